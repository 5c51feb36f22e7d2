/**
 * The transfer engine shared by every remote kind: decides which objects the other side lacks,
 * moves them with many in flight, verifies every downloaded object against its hash before it
 * enters the cache (temp file → verify → rename), and reports progress through a mutable
 * counter the CLI renders. Core only: no printing.
 *
 * Existence is asked in bulk: for a shard (`files/sha256/<2 hex>/`) holding several wanted
 * objects one listing answers for all of them; single objects are asked one by one. Directory
 * manifests are sent after the files they list, so a manifest on the remote means its files got
 * there first.
 */
import fs from 'node:fs';
import { MlpError, errorCode } from '../errors.js';
import { hashFileSync } from '../hash/hash-file.js';
import type { HashInfo, ManifestEntry } from '../hash/hash-path.js';
import type { Repo } from '../repo/repo.js';
import { recordedPaths } from '../data/checkout-workspace.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import type { Sha256 } from '../schema/sha256.js';
import { parseManifest } from '../schema/manifest.js';
import { RunCache } from '../cache/run-cache.js';
import { forEachLimit } from '../util/pool.js';
import { objectKey, runKey, type PutSource, type RemoteBackend } from './backend.js';

export interface TransferProgress {
  phase: 'collecting' | 'checking' | 'transferring' | 'checkout' | 'done';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export function newProgress(): TransferProgress {
  return { phase: 'collecting', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 };
}

export interface TransferOptions {
  jobs?: number;
  runCache?: boolean;
  progress?: TransferProgress;
  signal?: AbortSignal;
  /** repro --pull: objects missing on the remote are not failures (the stages rebuild them). */
  allowMissing?: boolean;
  /** The recorded paths to transfer, instead of resolving `targets`. */
  wanted?: RecordedPath[];
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

interface WantedObject {
  hash: Sha256;
  size: number | undefined;
  /** Workspace path that needs it, for messages. */
  path: string;
}

/** Per-object outcome that does not stop the transfer. */
class ObjectProblem extends Error {
  constructor(readonly failure: ObjectFailure) {
    super(failure.message);
  }
}

const interruptedError = (): MlpError =>
  new MlpError('transfer interrupted', { hint: 'rerun the same command: what was transferred is kept', exitCode: 130 });

/**
 * Runs `work` over `items`, `jobs` at a time (src/util/pool.ts). An `ObjectProblem` is collected
 * and the rest go on; any other error stops new work, waits for what is in flight, and is rethrown.
 */
export async function pool<T>(items: readonly T[], jobs: number, signal: AbortSignal | undefined, work: (item: T) => Promise<void>): Promise<ObjectFailure[]> {
  const failures: ObjectFailure[] = [];
  const collect = async (item: T): Promise<void> => {
    try {
      await work(item);
    } catch (error) {
      if (error instanceof ObjectProblem) failures.push(error.failure);
      else throw error;
    }
  };
  await forEachLimit(items, jobs, collect, { signal, aborted: interruptedError });
  return failures;
}

/** Which of `hashes` the remote holds. */
export async function remoteHas(backend: RemoteBackend, hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<Set<Sha256>> {
  const byShard = new Map<string, Sha256[]>();
  for (const h of hashes) {
    const shard = h.slice(0, 2);
    let list = byShard.get(shard);
    if (!list) byShard.set(shard, (list = []));
    list.push(h);
  }
  const found = new Set<Sha256>();
  const singles: Sha256[] = [];
  const shards: string[] = [];
  for (const [shard, list] of byShard) {
    if (list.length >= LIST_THRESHOLD) shards.push(shard);
    else singles.push(...list);
  }
  await pool(shards, jobs, signal, async (shard) => {
    const names = new Set(await backend.list(`files/sha256/${shard}`));
    for (const h of byShard.get(shard) ?? []) if (names.has(h.slice(2))) found.add(h);
  });
  await pool(singles, jobs, signal, async (h) => {
    if (await backend.exists(objectKey(h))) found.add(h);
  });
  return found;
}

/** A shard with at least this many wanted objects is listed instead of asked object by object. */
const LIST_THRESHOLD = 4;

/** The objects recorded for `targets`: files first, then directory manifests. */
function localObjects(
  repo: Repo,
  targets: readonly string[],
): { files: WantedObject[]; manifests: WantedObject[]; plain: Set<string>; missing: ObjectFailure[] } {
  const files = new Map<string, WantedObject>();
  const plain = new Set<string>();
  const manifests = new Map<string, WantedObject>();
  const missing: ObjectFailure[] = [];
  const addInfo = (rel: string, info: HashInfo): void => {
    if (info.nfiles === undefined) {
      plain.add(info.hash);
      if (!files.has(info.hash)) files.set(info.hash, { hash: info.hash, size: info.size, path: rel });
      return;
    }
    if (manifests.has(info.hash)) return;
    if (!repo.store.has(info.hash)) {
      missing.push(missingLocal(info.hash, rel));
      return;
    }
    let entries: ManifestEntry[];
    try {
      entries = repo.store.readManifest(info.hash);
    } catch (error) {
      if (!(error instanceof MlpError) || repo.store.has(info.hash)) throw error;
      missing.push(corruptedLocal(info.hash, rel)); // readManifest removed it
      return;
    }
    for (const e of entries) {
      if (!files.has(e.hash)) files.set(e.hash, { hash: e.hash, size: e.size, path: `${rel}/${e.path}` });
    }
    manifests.set(info.hash, { hash: info.hash, size: undefined, path: rel });
  };
  for (const { path: rel, info } of recordedPaths(repo, targets)) addInfo(rel, info);
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

/** Objects up to this size are read whole for sending: one read serves verifying and sending. */
const SEND_WHOLE = 4 * 1024 * 1024;

/**
 * What to send for object `o`, verified first (see readForUpload). A damaged object is removed
 * from the cache and never sent.
 */
async function verifiedSource(repo: Repo, o: WantedObject, signal: AbortSignal | undefined): Promise<PutSource> {
  const source = await readForUpload(repo, o.hash, o.size, signal);
  if (source === 'corrupt') throw new ObjectProblem(corruptedLocal(o.hash, o.path));
  if (source === 'missing') throw new ObjectProblem(missingLocal(o.hash, o.path));
  return source;
}

/**
 * Local object `hash`, checked before it is uploaded: a small object is read and hashed in
 * memory and those very bytes are sent; a large one is re-hashed first (remembered per inode,
 * mtime and size, so an unchanged object is read once across pushes). A damaged object is
 * removed from the cache.
 */
export async function readForUpload(repo: Repo, hash: Sha256, size: number | undefined, signal: AbortSignal | undefined): Promise<PutSource | 'missing' | 'corrupt'> {
  const file = repo.store.objectPath(hash);
  const known = size ?? fs.statSync(file, { throwIfNoEntry: false })?.size;
  if (known === undefined) return 'missing';
  if (known <= SEND_WHOLE) {
    const data = await repo.store.readVerified(hash, known);
    return typeof data === 'string' ? data : { file, size: data.length, data };
  }
  const checked = await repo.store.checkAsync(hash, signal);
  if (checked !== 'ok') return checked;
  return { file, size: fs.statSync(file).size };
}

function missingLocal(hash: Sha256, rel: string): ObjectFailure {
  return { hash, path: rel, reason: 'missing-local', message: `${rel}: its data (${hash.slice(0, 12)}) is not in the local cache, so it was not pushed` };
}

function jobsFor(backend: RemoteBackend, options: TransferOptions): number {
  return options.jobs ?? backend.defaultJobs;
}

function sizeOf(repo: Repo, hash: Sha256): number {
  return fs.statSync(repo.store.objectPath(hash)).size;
}

export async function push(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: TransferOptions = {}): Promise<TransferSummary> {
  const started = performance.now();
  const progress = options.progress ?? newProgress();
  const jobs = jobsFor(backend, options);
  const { files, manifests, plain, missing } = localObjects(repo, targets);
  const failures: ObjectFailure[] = [...missing];
  progress.phase = 'checking';
  // A directory manifest on the remote means its files are there too: manifests are sent only
  // after all their files. So an unchanged directory costs one check, not one per file.
  const manifestsThere = await remoteHas(backend, manifests.map((m) => m.hash), jobs, options.signal);
  const needed = new Set(plain);
  for (const m of manifests) if (!manifestsThere.has(m.hash)) for (const e of repo.store.readManifest(m.hash)) needed.add(e.hash);
  const present = files.filter((f) => {
    if (!needed.has(f.hash)) return false;
    if (repo.store.has(f.hash)) return true;
    failures.push(missingLocal(f.hash, f.path));
    return false;
  });
  const skipped = files.length - needed.size;
  const all = [...present, ...manifests];
  const onRemote = await remoteHas(backend, present.map((o) => o.hash), jobs, options.signal);
  for (const h of manifestsThere) onRemote.add(h);
  const send = (list: WantedObject[]): WantedObject[] => list.filter((o) => !onRemote.has(o.hash));
  const sendFiles = send(present);
  const sendManifests = send(manifests);
  for (const o of [...sendFiles, ...sendManifests]) o.size ??= sizeOf(repo, o.hash);
  // A killed push leaves partial uploads beside the objects it was sending; this push sends the
  // same ones, so the shards it writes to are where to look (one listing each).
  const shards = [...new Set([...sendFiles, ...sendManifests].map((o) => o.hash.slice(0, 2)))];
  await pool(shards, jobs, options.signal, async (shard) => {
    await backend.sweepTemps(`files/sha256/${shard}`);
  });
  progress.phase = 'transferring';
  progress.totalFiles = sendFiles.length + sendManifests.length;
  progress.totalBytes = [...sendFiles, ...sendManifests].reduce((n, o) => n + (o.size ?? 0), 0);
  let bytes = 0;
  let transferred = 0;
  const upload = async (o: WantedObject): Promise<void> => {
    const source = await verifiedSource(repo, o, options.signal);
    await backend.put(objectKey(o.hash), source, (n) => {
      progress.bytes += n;
      bytes += n;
    });
    progress.files++;
    transferred++;
  };
  failures.push(...(await pool(sendFiles, jobs, options.signal, upload)));
  // Manifests last, and only those whose files all made it.
  const failedHashes = new Set(failures.map((f) => f.hash));
  const completeManifests = sendManifests.filter((m) => repo.store.readManifest(m.hash).every((e) => !failedHashes.has(e.hash)));
  failures.push(...(await pool(completeManifests, jobs, options.signal, upload)));

  let runCacheEntries = 0;
  if (options.runCache) {
    const have = new Set(await RunCache.remoteKeys((dir) => backend.list(dir)));
    const runs = repo.runCache.keys().filter((k) => !have.has(k));
    await pool(runs, jobs, options.signal, async (k) => {
      await backend.put(runKey(k), repo.runCache.sendable(k), () => {});
      runCacheEntries++;
    });
  }
  progress.phase = 'done';
  return {
    remote: backend.label,
    transferred,
    bytes,
    upToDate: skipped + all.length - sendFiles.length - sendManifests.length,
    runCacheEntries,
    failures,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Downloads object `o` into the cache: temp file beside its final place, verify, rename. An
 * object whose content does not match its name never enters the cache.
 */
async function download(repo: Repo, backend: RemoteBackend, o: WantedObject, progress: TransferProgress, counted: { bytes: number }): Promise<void> {
  const tmp = repo.store.tempPath(o.hash);
  let ok = false;
  try {
    let got: false | { hash?: string; readOnly?: boolean };
    try {
      got = await backend.get(objectKey(o.hash), tmp, o.size, (n) => {
        progress.bytes += n;
        counted.bytes += n;
      });
    } catch (error) {
      throw localDiskError(error, repo) ?? error;
    }
    if (got === false) {
      throw new ObjectProblem({
        hash: o.hash,
        path: o.path,
        reason: 'missing-remote',
        message: `${o.path}: its data (${o.hash.slice(0, 12)}) is not on the remote ${backend.label}`,
      });
    }
    const actual = got.hash ?? hashFileSync(tmp);
    if (actual !== o.hash) {
      throw new ObjectProblem({
        hash: o.hash,
        path: o.path,
        reason: 'corrupted-remote',
        message: `${o.path}: the remote object ${objectKey(o.hash)} on ${backend.label} is corrupted (its content hashes to ${actual.slice(0, 12)}, not ${o.hash.slice(0, 12)}); it was not stored`,
      });
    }
    try {
      repo.store.commitTemp(tmp, o.hash, got.readOnly === true);
    } catch (error) {
      throw localDiskError(error, repo) ?? error;
    }
    ok = true;
    repo.cache.markVerified(o.hash);
    progress.files++;
  } finally {
    if (!ok) fs.rmSync(tmp, { force: true });
  }
}

function localDiskError(error: unknown, repo: Repo): MlpError | undefined {
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new MlpError(`no space left on the local disk while writing to the cache ${repo.cacheDir}`, {
      hint: 'free disk space (`mlp gc -A` removes cache objects no commit uses), then rerun the same command: what was fetched is kept',
      cause: error,
    });
  }
  return undefined;
}

export async function fetch(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: TransferOptions = {}): Promise<TransferSummary> {
  const started = performance.now();
  const progress = options.progress ?? newProgress();
  const jobs = jobsFor(backend, options);
  const counted = { bytes: 0 };
  let transferred = 0;
  let upToDate = 0;
  const failures: ObjectFailure[] = [];
  let runCacheEntries = 0;

  if (options.runCache) {
    const have = new Set(repo.runCache.keys());
    const runs = (await RunCache.remoteKeys((dir) => backend.list(dir))).filter((k) => !have.has(k));
    await pool(runs, jobs, options.signal, async (k) => {
      const tmp = repo.runCache.tempFile(k);
      try {
        if ((await backend.get(runKey(k), tmp, undefined, () => {})) === false) return;
        repo.runCache.adopt(tmp, k, `${runKey(k)} on the remote ${backend.label}`);
        runCacheEntries++;
      } catch (error) {
        if (error instanceof MlpError) throw error;
        throw localDiskError(error, repo) ?? error;
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    });
  }

  const wanted = options.wanted ?? recordedPaths(repo, targets);
  progress.phase = 'transferring';
  // Directory manifests first: they say which files a directory needs.
  const manifestsToGet = new Map<string, WantedObject>();
  for (const { path: rel, info } of wanted) {
    if (info.nfiles !== undefined && !repo.store.has(info.hash)) manifestsToGet.set(info.hash, { hash: info.hash, size: undefined, path: rel });
  }
  progress.totalFiles = manifestsToGet.size;
  failures.push(
    ...(await pool([...manifestsToGet.values()], jobs, options.signal, async (o) => {
      await download(repo, backend, o, progress, counted);
      transferred++;
    })),
  );
  const files = new Map<string, WantedObject>();
  const seen = new Set<string>();
  for (const { path: rel, info } of wanted) {
    if (seen.has(info.hash)) continue;
    seen.add(info.hash);
    if (info.nfiles === undefined) {
      if (repo.store.has(info.hash)) upToDate++;
      else files.set(info.hash, { hash: info.hash, size: info.size, path: rel });
      continue;
    }
    if (!repo.store.has(info.hash)) continue; // its manifest failed above
    if (!manifestsToGet.has(info.hash)) upToDate++;
    for (const e of repo.store.readManifest(info.hash)) {
      if (files.has(e.hash) || seen.has(e.hash)) continue;
      seen.add(e.hash);
      if (repo.store.has(e.hash)) upToDate++;
      else files.set(e.hash, { hash: e.hash, size: e.size, path: `${rel}/${e.path}` });
    }
  }
  const list = [...files.values()];
  progress.totalFiles += list.length;
  progress.totalBytes += list.reduce((n, o) => n + (o.size ?? 0), 0);
  failures.push(
    ...(await pool(list, jobs, options.signal, async (o) => {
      await download(repo, backend, o, progress, counted);
      transferred++;
    })),
  );
  progress.phase = 'done';
  return {
    remote: backend.label,
    transferred,
    bytes: counted.bytes,
    upToDate,
    runCacheEntries,
    failures: options.allowMissing ? failures.filter((f) => f.reason !== 'missing-remote') : failures,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Gets the directory manifests `hashes` from the remote into the local cache (verified, like
 * every download). Those the remote lacks, or holds corrupted, are left out: callers check
 * `repo.store.has`.
 */
export async function fetchManifests(repo: Repo, backend: RemoteBackend, hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<void> {
  await pool(hashes, jobs, signal, async (hash) => {
    const tmp = repo.store.tempPath(hash);
    try {
      const got = await backend.get(objectKey(hash), tmp, undefined, () => {});
      if (got !== false && (got.hash ?? hashFileSync(tmp)) === hash) {
        parseManifest(fs.readFileSync(tmp, 'utf8'), `${objectKey(hash)} on the remote ${backend.label}`);
        repo.store.commitTemp(tmp, hash);
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  });
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

/** What is new locally, missing locally, and in sync with the remote, per recorded path. */
export async function remoteStatus(repo: Repo, backend: RemoteBackend, targets: readonly string[], options: TransferOptions = {}): Promise<RemoteStatusItem[]> {
  const jobs = jobsFor(backend, options);
  const wanted = recordedPaths(repo, targets);
  const hashesOf = new Map<Sha256, Sha256[]>();
  const all = new Set<Sha256>();
  const unknownManifests: Sha256[] = [];
  for (const { info } of wanted) {
    all.add(info.hash);
    if (info.nfiles !== undefined && !repo.store.has(info.hash)) unknownManifests.push(info.hash);
  }
  // A directory whose manifest is only on the remote: read the manifest from there.
  await fetchManifests(repo, backend, unknownManifests, jobs, options.signal);
  for (const { info } of wanted) {
    let hashes = [info.hash];
    if (info.nfiles !== undefined) {
      const entries = repo.store.has(info.hash) ? repo.store.readManifest(info.hash).map((e) => e.hash) : undefined;
      if (entries) hashes = hashes.concat(entries);
    }
    hashesOf.set(info.hash, hashes);
    for (const h of hashes) all.add(h);
  }
  const onRemote = await remoteHas(backend, [...all], jobs, options.signal);
  return wanted.map(({ path: rel, source, info }) => {
    let localOnly = 0;
    let remoteOnly = 0;
    let missing = 0;
    for (const h of hashesOf.get(info.hash) ?? [info.hash]) {
      const here = repo.store.has(h);
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
}
