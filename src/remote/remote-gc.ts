/**
 * `mlp gc --cloud`: removes the objects of a remote that nothing in the gc scope references,
 * with the same scope rules as the local cache (cache/gc.ts). Directory manifests the local
 * cache lacks are read from the remote first, so the files of a directory that is only on the
 * remote are kept too.
 *
 * Removal order matters for an interrupted gc: push trusts a manifest on the remote to mean that
 * all its files are there, so manifests (those the local cache knows as such) go before files.
 */
import { keepSet, localManifest, type GcObject } from '../cache/gc.js';
import type { HashInfo } from '../hash/hash-path.js';
import { pool } from '../objects/transfer.js';
import type { Repo } from '../repo/repo.js';
import type { Sha256 } from '../schema/sha256.js';
import type { RemoteBackend } from './backend.js';
import { RemoteObjectDb } from './remote-odb.js';
import { readRemoteManifests } from './transfer.js';

export interface RemoteGcPlan {
  /** Manifests first: `remove.slice(0, manifests)`. */
  remove: GcObject[];
  manifests: number;
  bytes: number;
  kept: number;
  /** Referenced directories whose manifest is neither in the cache nor on the remote. */
  unknownManifests: string[];
}

/** What a gc of the remote would remove, keeping everything `refs` need. */
export async function planRemoteGc(repo: Repo, backend: RemoteBackend, refs: readonly HashInfo[], jobs: number): Promise<RemoteGcPlan> {
  const remote = new RemoteObjectDb(backend);
  const dirs = [...new Set(refs.filter((r) => r.nfiles !== undefined && !repo.objects.has(r.hash)).map((r) => r.hash))];
  let fromRemote: Map<Sha256, { hash: Sha256 }[]>;
  try {
    fromRemote = await readRemoteManifests(remote, dirs, jobs);
  } finally {
    await remote.releaseScratch();
  }
  const manifest = (hash: Sha256): Sha256[] | undefined => localManifest(repo, hash) ?? fromRemote.get(hash)?.map((e) => e.hash);
  const keep = keepSet(refs, manifest);
  const remove: GcObject[] = [];
  let kept = 0;
  let bytes = 0;
  for (const o of await remote.list(jobs)) {
    if (keep.hashes.has(o.hash)) kept++;
    else {
      remove.push(o);
      bytes += o.size;
    }
  }
  // Manifests first (see the module comment).
  const manifests = remove.filter((o) => manifest(o.hash) !== undefined);
  const first = new Set(manifests);
  const files = remove.filter((o) => !first.has(o));
  return { remove: [...manifests, ...files], manifests: manifests.length, bytes, kept, unknownManifests: keep.unknownManifests };
}

/** Removes what `plan` lists from the remote, `jobs` at a time: manifests, then files. Returns how many went. */
export async function applyRemoteGc(backend: RemoteBackend, plan: RemoteGcPlan, jobs: number): Promise<number> {
  const remote = new RemoteObjectDb(backend);
  let removed = 0;
  const run = async (list: readonly GcObject[]): Promise<void> => {
    await pool(list, jobs, undefined, async (o) => {
      await remote.remove(o.hash);
      removed++;
    });
  };
  await run(plan.remove.slice(0, plan.manifests));
  await run(plan.remove.slice(plan.manifests));
  // And the partial uploads of killed pushes (src/util/temp-files.ts says whose are abandoned).
  await remote.sweepAllTemps(jobs);
  return removed;
}
