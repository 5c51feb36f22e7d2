/**
 * Push, fetch and remote status: the policies around the one `transfer(src, dst)`
 * (src/objects/transfer.ts) between the local cache and a remote, both object databases.
 *
 * - What: the objects recorded for the targets (pointer files and the lock), directory
 *   manifests expanded into their files.
 * - Order: push sends directory manifests after all the files they list, so a manifest on the
 *   remote means its files got there first (and an unchanged directory costs one check, not one
 *   per file); fetch gets manifests first, because they say which files a directory needs.
 * - Run-cache entries (`--run-cache`) go through `syncRunEntries`, the same either way.
 *
 * Remote status only reads: manifests the cache lacks are read from the remote into memory,
 * never into the cache (it runs without the repository lock). Core only: no printing.
 */
import fs from 'node:fs';
import { MlpError } from '../errors.js';
import type { HashInfo, ManifestEntry } from '../hash/hash-path.js';
import type { Repo } from '../repo/repo.js';
import { CacheObjectDb, CacheRunEntries } from '../cache/cache-odb.js';
import { recordedPaths } from '../data/checkout-workspace.js';
import { isReadProblem } from '../objects/object-db.js';
import { syncRunEntries } from '../objects/run-entries.js';
import { newProgress, pool, transfer, type AlsoWrite, type SourceFailure, type TransferItem, type TransferProgress } from '../objects/transfer.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import { parseManifest } from '../schema/manifest.js';
import type { Sha256 } from '../schema/sha256.js';
import { objectKey, type RemoteBackend } from './backend.js';
import { RemoteObjectDb, RemoteRunEntries } from './remote-odb.js';

export { newProgress, pool, type TransferProgress } from '../objects/transfer.js';

export interface TransferOptions {
  jobs?: number | undefined;
  runCache?: boolean | undefined;
  progress?: TransferProgress | undefined;
  signal?: AbortSignal | undefined;
  /** repro --pull: objects missing on the remote are not failures (the stages rebuild them). */
  allowMissing?: boolean | undefined;
  /** The recorded paths to transfer (or compare), instead of resolving `targets` (see routing.ts). */
  wanted?: RecordedPath[] | undefined;
  /**
   * Fetch for a pull: once the directory manifests are in the cache, where the files' verified
   * bytes are written as well (the workspace's new paths: CacheCheckout.prepareNewPaths).
   */
  alsoWrite?: ((wanted: readonly RecordedPath[]) => AlsoWrite) | undefined;
}

export interface ObjectFailure {
  hash: Sha256;
  /** Workspace path that needs it. */
  path: string;
  reason: 'missing-local' | 'corrupted-local' | 'missing-remote' | 'corrupted-remote';
  message: string;
}

export interface TransferSummary {
  remote: string;
  /** Objects sent or received. */
  transferred: number;
  bytes: number;
  /** Objects the other side already had. */
  upToDate: number;
  runCacheEntries: number;
  failures: ObjectFailure[];
  seconds: number;
}

/** The objects recorded for `targets` that may be pushed (not `push: false`): files first, then directory manifests. */
function localObjects(
  repo: Repo,
  wanted: readonly RecordedPath[],
): { files: TransferItem[]; manifests: TransferItem[]; plain: Set<string>; missing: ObjectFailure[] } {
  const files = new Map<string, TransferItem>();
  const plain = new Set<string>();
  const manifests = new Map<string, TransferItem>();
  const missing: ObjectFailure[] = [];
  const addInfo = (rel: string, info: HashInfo): void => {
    if (info.nfiles === undefined) {
      plain.add(info.hash);
      if (!files.has(info.hash)) files.set(info.hash, { hash: info.hash, size: info.size, path: rel });
      return;
    }
    if (manifests.has(info.hash)) return;
    if (!repo.objects.has(info.hash)) {
      missing.push(missingLocal(info.hash, rel));
      return;
    }
    let entries: ManifestEntry[];
    try {
      entries = repo.objects.readManifest(info.hash);
    } catch (error) {
      if (!(error instanceof MlpError) || repo.objects.has(info.hash)) throw error;
      missing.push(corruptedLocal(info.hash, rel)); // readManifest removed it
      return;
    }
    for (const e of entries) {
      if (!files.has(e.hash)) files.set(e.hash, { hash: e.hash, size: e.size, path: `${rel}/${e.path}` });
    }
    manifests.set(info.hash, { hash: info.hash, size: undefined, path: rel });
  };
  for (const { path: rel, info, noPush } of wanted) if (!noPush) addInfo(rel, info);
  return { files: [...files.values()], manifests: [...manifests.values()], plain, missing };
}

function corruptedLocal(hash: Sha256, rel: string): ObjectFailure {
  return {
    hash,
    path: rel,
    reason: 'corrupted-local',
    message: `${rel}: the cache object ${hash.slice(0, 12)} is corrupted (its content does not match its hash); it was removed and not pushed`,
  };
}

function missingLocal(hash: Sha256, rel: string): ObjectFailure {
  return { hash, path: rel, reason: 'missing-local', message: `${rel}: its data (${hash.slice(0, 12)}) is not in the local cache, so it was not pushed` };
}

/** A push's source problem (the local cache), in the words of the push. */
function pushFailure(f: SourceFailure): ObjectFailure {
  return f.problem === 'missing' ? missingLocal(f.item.hash, f.item.path) : corruptedLocal(f.item.hash, f.item.path);
}

/** A fetch's source problem (the remote), in the words of the fetch. */
function fetchFailure(f: SourceFailure, remote: string): ObjectFailure {
  const { hash, path: rel } = f.item;
  if (f.problem === 'missing') {
    return { hash, path: rel, reason: 'missing-remote', message: `${rel}: its data (${hash.slice(0, 12)}) is not on the remote ${remote}` };
  }
  const actual = f.actual === undefined ? '' : ` (its content hashes to ${f.actual.slice(0, 12)}, not ${hash.slice(0, 12)})`;
  return {
    hash,
    path: rel,
    reason: 'corrupted-remote',
    message: `${rel}: the remote object ${objectKey(hash)} on ${remote} is corrupted${actual}; it was not stored`,
  };
}

export async function push(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: TransferOptions = {}): Promise<TransferSummary> {
  const started = performance.now();
  const progress = options.progress ?? newProgress();
  const jobs = options.jobs ?? backend.defaultJobs;
  const cache = new CacheObjectDb(repo.objects);
  const remote = new RemoteObjectDb(backend);
  try {
    await backend.prepareForPush?.();
    const { files, manifests, plain, missing } = localObjects(repo, options.wanted ?? recordedPaths(repo, targets));
    const failures: ObjectFailure[] = [...missing];
    progress.phase = 'checking';
    // A directory manifest on the remote means its files are there too (see the module comment).
    const manifestsThere = await remote.hasMany(
      manifests.map((m) => m.hash),
      jobs,
      options.signal,
    );
    const needed = new Set(plain);
    for (const m of manifests) if (!manifestsThere.has(m.hash)) for (const e of repo.objects.readManifest(m.hash)) needed.add(e.hash);
    const present = files.filter((f) => {
      if (!needed.has(f.hash)) return false;
      if (repo.objects.hasListed(f.hash)) return true;
      failures.push(missingLocal(f.hash, f.path));
      return false;
    });
    const sendManifests = manifests.filter((m) => !manifestsThere.has(m.hash));
    for (const m of sendManifests) m.size = fs.statSync(repo.objects.objectPath(m.hash)).size;
    progress.phase = 'transferring';
    const sent = await transfer(cache, remote, present, { jobs, signal: options.signal, progress });
    failures.push(...sent.failed.map(pushFailure));
    // Manifests last, and only those whose files all made it.
    const failedHashes = new Set(failures.map((f) => f.hash));
    const complete = sendManifests.filter((m) => repo.objects.readManifest(m.hash).every((e) => !failedHashes.has(e.hash)));
    const sentManifests = await transfer(cache, remote, complete, { jobs, signal: options.signal, progress, destinationLacks: true });
    failures.push(...sentManifests.failed.map(pushFailure));

    const runCacheEntries = options.runCache
      ? await syncRunEntries(new CacheRunEntries(repo.runCache), new RemoteRunEntries(remote), jobs, options.signal)
      : 0;
    progress.phase = 'done';
    return {
      remote: backend.label,
      transferred: sent.transferred.length + sentManifests.transferred.length,
      bytes: sent.bytes + sentManifests.bytes,
      upToDate: files.length - needed.size + sent.skipped + manifestsThere.size,
      runCacheEntries,
      failures,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await remote.releaseScratch();
  }
}

export async function fetch(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: TransferOptions = {}): Promise<TransferSummary> {
  const started = performance.now();
  const progress = options.progress ?? newProgress();
  const jobs = options.jobs ?? backend.defaultJobs;
  const cache = new CacheObjectDb(repo.objects);
  const remote = new RemoteObjectDb(backend);
  try {
    const runCacheEntries = options.runCache
      ? await syncRunEntries(new RemoteRunEntries(remote), new CacheRunEntries(repo.runCache), jobs, options.signal)
      : 0;
    const wanted = options.wanted ?? recordedPaths(repo, targets);
    progress.phase = 'transferring';
    const opts = { jobs, signal: options.signal, progress };
    // Directory manifests first: they say which files a directory needs.
    const manifests: TransferItem[] = [];
    for (const { path: rel, info } of wanted) if (info.nfiles !== undefined) manifests.push({ hash: info.hash, size: undefined, path: rel });
    const gotManifests = await transfer(remote, cache, manifests, opts);
    const files: TransferItem[] = [];
    for (const { path: rel, info } of wanted) {
      if (info.nfiles === undefined) files.push({ hash: info.hash, size: info.size, path: rel });
      else if (repo.objects.has(info.hash)) {
        for (const e of repo.objects.readManifest(info.hash)) files.push({ hash: e.hash, size: e.size, path: `${rel}/${e.path}` });
      } // else: its manifest failed above
    }
    const gotFiles = await transfer(remote, cache, files, { ...opts, also: options.alsoWrite?.(wanted) });
    const failures = [...gotManifests.failed, ...gotFiles.failed].map((f) => fetchFailure(f, backend.label));
    progress.phase = 'done';
    return {
      remote: backend.label,
      transferred: gotManifests.transferred.length + gotFiles.transferred.length,
      bytes: gotManifests.bytes + gotFiles.bytes,
      upToDate: gotManifests.skipped + gotFiles.skipped,
      runCacheEntries,
      failures: options.allowMissing ? failures.filter((f) => f.reason !== 'missing-remote') : failures,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await remote.releaseScratch();
  }
}

/**
 * The entries of the directory manifests `hashes` that the local cache lacks, read from the
 * remote into memory (verified against their names and parsed through the schema); those the
 * remote lacks or holds damaged are left out. Writes nothing locally.
 */
export async function readRemoteManifests(remote: RemoteObjectDb, hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<Map<Sha256, ManifestEntry[]>> {
  const found = new Map<Sha256, ManifestEntry[]>();
  await pool(hashes, jobs, signal, async (hash) => {
    const content = await remote.read(hash);
    if (isReadProblem(content) || content.data === undefined) return;
    found.set(hash, parseManifest(content.data.toString('utf8'), `${objectKey(hash)} on the remote ${remote.label}`));
  });
  return found;
}

export interface RemoteStatusItem {
  path: string;
  source: string;
  /** in-sync: both sides have everything; new: only here; missing: only there; both partial otherwise. */
  state: 'in-sync' | 'not-pushed' | 'not-fetched' | 'partly' | 'missing-everywhere';
  localOnly: number;
  remoteOnly: number;
  missing: number;
}

/** What is new locally, missing locally, and in sync with the remote, per recorded path. Reads only. */
export async function remoteStatus(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: TransferOptions = {}): Promise<RemoteStatusItem[]> {
  const jobs = options.jobs ?? backend.defaultJobs;
  const remote = new RemoteObjectDb(backend);
  try {
    const wanted = options.wanted ?? recordedPaths(repo, targets);
    const all = new Set<Sha256>();
    const unknownManifests: Sha256[] = [];
    for (const { info } of wanted) {
      all.add(info.hash);
      if (info.nfiles !== undefined && !repo.objects.has(info.hash)) unknownManifests.push(info.hash);
    }
    // A directory whose manifest is only on the remote: read the manifest from there (into memory).
    const remoteManifests = await readRemoteManifests(remote, unknownManifests, jobs, options.signal);
    const hashesOf = new Map<Sha256, Sha256[]>();
    for (const { info } of wanted) {
      let hashes = [info.hash];
      if (info.nfiles !== undefined) {
        const entries = repo.objects.has(info.hash) ? repo.objects.readManifest(info.hash) : remoteManifests.get(info.hash);
        if (entries) hashes = hashes.concat(entries.map((e) => e.hash));
      }
      hashesOf.set(info.hash, hashes);
      for (const h of hashes) all.add(h);
    }
    const onRemote = await remote.hasMany([...all], jobs, options.signal);
    return wanted.map(({ path: rel, source, info }) => {
      let localOnly = 0;
      let remoteOnly = 0;
      let missing = 0;
      for (const h of hashesOf.get(info.hash) ?? [info.hash]) {
        const here = repo.objects.has(h);
        const there = onRemote.has(h);
        if (here && !there) localOnly++;
        else if (!here && there) remoteOnly++;
        else if (!here && !there) missing++;
      }
      const state: RemoteStatusItem['state'] =
        localOnly + remoteOnly + missing === 0
          ? 'in-sync'
          : missing > 0 && localOnly + remoteOnly === 0
            ? 'missing-everywhere'
            : localOnly > 0 && remoteOnly === 0 && missing === 0
              ? 'not-pushed'
              : remoteOnly > 0 && localOnly === 0 && missing === 0
                ? 'not-fetched'
                : 'partly';
      return { path: rel, source, state, localOnly, remoteOnly, missing };
    });
  } finally {
    await remote.releaseScratch();
  }
}
