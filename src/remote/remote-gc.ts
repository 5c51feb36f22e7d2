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
import type { Repo } from '../repo/repo.js';
import { hashFromNames, isShardName } from '../schema/sha256.js';
import { forEachLimit } from '../util/pool.js';
import { objectKey, type RemoteBackend } from './backend.js';
import { fetchManifests } from './transfer.js';

export interface RemoteGcPlan {
  /** Manifests first: `remove.slice(0, manifests)`. */
  remove: GcObject[];
  manifests: number;
  bytes: number;
  kept: number;
  /** Referenced directories whose manifest is neither in the cache nor on the remote. */
  unknownManifests: string[];
}

/** Every object on the remote (temp files of interrupted uploads are not objects). */
export async function listRemoteObjects(backend: RemoteBackend, jobs: number): Promise<GcObject[]> {
  const shards = (await backend.list('files/sha256')).filter(isShardName);
  const objects: GcObject[] = [];
  await forEachLimit(shards, jobs, async (shard) => {
    for (const f of await backend.listFiles(`files/sha256/${shard}`)) {
      const hash = hashFromNames(shard, f.name);
      if (hash) objects.push({ hash, size: f.size });
    }
  });
  return objects.sort((a, b) => (a.hash < b.hash ? -1 : 1));
}

/** What a gc of the remote would remove, keeping everything `refs` need. */
export async function planRemoteGc(repo: Repo, backend: RemoteBackend, refs: readonly HashInfo[], jobs: number): Promise<RemoteGcPlan> {
  const dirs = [...new Set(refs.filter((r) => r.nfiles !== undefined && !repo.store.has(r.hash)).map((r) => r.hash))];
  await fetchManifests(repo, backend, dirs, jobs);
  const keep = keepSet(refs, (hash) => localManifest(repo, hash));
  const remove: GcObject[] = [];
  let kept = 0;
  let bytes = 0;
  for (const o of await listRemoteObjects(backend, jobs)) {
    if (keep.hashes.has(o.hash)) kept++;
    else {
      remove.push(o);
      bytes += o.size;
    }
  }
  // Manifests first (see the module comment).
  const manifests = remove.filter((o) => localManifest(repo, o.hash) !== undefined);
  const first = new Set(manifests);
  const files = remove.filter((o) => !first.has(o));
  return { remove: [...manifests, ...files], manifests: manifests.length, bytes, kept, unknownManifests: keep.unknownManifests };
}

/** Removes what `plan` lists from the remote, `jobs` at a time: manifests, then files. Returns how many went. */
export async function applyRemoteGc(backend: RemoteBackend, plan: RemoteGcPlan, jobs: number): Promise<number> {
  let removed = 0;
  const run = (list: readonly GcObject[]): Promise<void> =>
    forEachLimit(list, jobs, async (o) => {
      await backend.remove(objectKey(o.hash));
      removed++;
    });
  await run(plan.remove.slice(0, plan.manifests));
  await run(plan.remove.slice(plan.manifests));
  // And the partial uploads of killed pushes (src/util/temp-files.ts says whose are abandoned).
  const shards = (await backend.list('files/sha256')).filter(isShardName);
  await forEachLimit(shards, jobs, async (shard) => {
    await backend.sweepTemps(`files/sha256/${shard}`);
  });
  return removed;
}
