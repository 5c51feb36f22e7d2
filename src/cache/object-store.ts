/**
 * Content-addressed object store: `.mlp/cache/files/sha256/<2 hex>/<62 hex>`. Objects are
 * written to a temp file in the store and renamed into place, so a reader never sees a partial
 * object, and they are made read-only. Directory manifests are stored as objects too.
 *
 * Bytes match names: a file enters the store only as the bytes that were hashed (read whole and
 * hashed in memory, or hashed while being copied into the temp file); if the source's stat shows
 * it changed meanwhile, the copy is thrown away and the file read again, a few times, then the
 * command fails. Objects are verified again before they are used or sent (`check`), with the
 * result remembered in the state cache per object inode, mtime and size; a bad one is removed.
 *
 * Temp files carry their owner (src/util/temp-files.ts). A process that writes to the store
 * leaves an `<owner>.owner` marker in `tmp/` until it exits; a marker whose process is gone means
 * a killed command, and the next command that writes to the store sweeps what it left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, errorCode, isErrnoException, withPath } from '../errors.js';
import { copyWhileHashing, hashBytes, hashFdSync, hashFile, hashFileSync } from '../hash/hash-file.js';
import { serializeManifest, type ManifestEntry } from '../hash/hash-path.js';
import { objectKey as verifiedKey, type StateCache } from '../hash/state-cache.js';
import { parseManifest } from '../schema/manifest.js';
import { hashFromNames, type Sha256 } from '../schema/sha256.js';
import { readUpToScratch } from '../util/fs.js';
import { sameFile, type FileIdentity, type Signed } from '../util/stat-signature.js';
import { isAbandoned, isTempName, removeAbandonedTemps, tempOwnerTag, type SweepResult } from '../util/temp-files.js';
import { RunCache } from './run-cache.js';

export { LINK_TYPES, type LinkType } from '../schema/config.js';

/**
 * How a file enters the store, by size (bench/add-file.mjs; figures in bench/README.md): up to
 * WHOLE_READ_LIMIT it is read whole and hashed in memory, so its temp file can go beside the
 * object (a cheaper rename, which counts for many small files); up to SYNC_ADD_LIMIT it is
 * copied while hashed in one synchronous pass through a reused 128 KiB buffer (about twice as
 * fast as reading it whole, and at most ~60 ms of main thread); larger files take the same pass
 * asynchronously, so the event loop stays free (about as fast at that size).
 */
const WHOLE_READ_LIMIT = 256 * 1024;
export const SYNC_ADD_LIMIT = 32 * 1024 * 1024;
/** Reads of a file that keeps changing before the command gives up. */
const ATTEMPTS = 3;
/**
 * Where file times are kernel ticks (older kernels: 4–10 ms), a write in the same tick as the
 * previous one leaves mtime unchanged. A file modified this recently is "racy": its content is
 * confirmed by a second read (small files) or by waiting the window out (large ones).
 */
const RACY_MS = 25;
/**
 * Objects up to this size are verified by reading and hashing them whenever they are used (one
 * read of at most 256 KiB), not by a check remembered in the hash state: an entry per small
 * object doubled the state (6 MB for 20,000 files), which every command pays to load and every
 * change to rewrite.
 */
export const REMEMBER_CHECKS_ABOVE = 256 * 1024;
/** Existence probes in one shard directory before `hasListed` lists it instead. */
const PROBES_BEFORE_LISTING = 4;

/** A file stored: the hash of exactly what was stored, and the source's stat that content belongs to. */
export interface StoredFile {
  hash: Sha256;
  size: number;
  stat: fs.Stats;
  /** Link mode: the object is the source's own inode (false when the object existed already). */
  linked: boolean;
}

export interface AddFileOptions {
  /** Hardlink the source as the object instead of copying it. */
  link?: boolean;
  /** The path as the user knows it, for messages. */
  label?: string;
  signal?: AbortSignal;
  /** Bytes of the file read so far, while a large file is stored (restarts at 0 if it is read again). */
  onBytes?: (bytes: number) => void;
}

export type ObjectCheck = 'ok' | 'missing' | 'corrupt';

export class FileChangedError extends MlpError {
  constructor(readonly label: string) {
    super(`${label} changed while mlp was reading it (${ATTEMPTS} tries)`, {
      hint: 'wait until the program writing it has finished (or stop it), then run the command again',
    });
  }
}

/** Thrown on `signal` abort: nothing was stored. */
export class AddInterrupted extends MlpError {
  constructor(label: string) {
    super(`interrupted while storing ${label}; nothing was stored`, { hint: 'run the command again', exitCode: 130 });
  }
}

const isRacy = (stat: Signed): boolean => Date.now() - stat.mtimeMs < RACY_MS;

const markers = new Set<string>();
/** Owner markers go when the process ends normally (a killed one leaves its marker: that is the point). */
function removeOnExit(marker: string): void {
  if (markers.size === 0) process.once('exit', () => markers.forEach((m) => fs.rmSync(m, { force: true })));
  markers.add(marker);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class ObjectStore {
  readonly objectsDir: string;
  readonly tmpDir: string;

  /**
   * `verifications`: the state cache that remembers which objects were checked (optional for
   * tools and tests). `helper`: a store in a worker thread of a process whose main thread has
   * claimed the temp files already (see `claim`); it neither sweeps nor leaves a marker.
   */
  constructor(
    readonly cacheDir: string,
    private readonly verifications?: () => StateCache,
    helper?: 'helper',
  ) {
    this.objectsDir = path.join(cacheDir, 'files', 'sha256');
    this.tmpDir = path.join(cacheDir, 'tmp');
    this.claimed = helper === 'helper';
  }

  /** Object paths are built only from a `Sha256`: a hash read from a file cannot name a path. */
  objectPath(hash: Sha256): string {
    // Concatenated: `objectsDir` is normalised and a hash is hex (path.join's normalising was 2%
    // of a pull of 20,000 files).
    return `${this.objectsDir}${path.sep}${hash.slice(0, 2)}${path.sep}${hash.slice(2)}`;
  }

  has(hash: Sha256): boolean {
    return fs.existsSync(this.objectPath(hash));
  }

  /**
   * `has` for bulk work (adding, fetching many objects): after a few probes in one shard
   * directory, the shard is listed once and later answers come from that listing, kept up to date
   * by this process's own writes and removals. One readdir then answers for a shard's objects
   * where each probe of an absent object was a failing system call (20,000 of them in a pull).
   * A listing can only lag behind other processes' writes, which costs a rewrite of identical
   * bytes at worst; objects are removed only under the repository lock (gc) or when corrupt.
   */
  hasListed(hash: Sha256): boolean {
    const shard = hash.slice(0, 2);
    const names = this.shardIndex.get(shard);
    if (names) return names.has(hash.slice(2));
    const probes = (this.shardProbes.get(shard) ?? 0) + 1;
    if (probes < PROBES_BEFORE_LISTING) {
      this.shardProbes.set(shard, probes);
      return this.has(hash);
    }
    return this.listShard(shard).has(hash.slice(2));
  }

  /** Object names (and temp names) per listed shard; see `hasListed`. */
  private readonly shardIndex = new Map<string, Set<string>>();
  private readonly shardProbes = new Map<string, number>();

  private listShard(shard: string): Set<string> {
    const names = new Set<string>();
    try {
      for (const name of fs.readdirSync(path.join(this.objectsDir, shard))) names.add(name);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
    }
    this.shardIndex.set(shard, names);
    return names;
  }

  private claimed: boolean;
  private tmpCounter = 0;
  private readonly owner = tempOwnerTag();

  private readonly shardsReady = new Set<string>();

  /**
   * A fresh temp path on the same filesystem as the objects, so that rename is atomic. With the
   * object's hash known, the temp file goes in the object's own directory: a rename within one
   * directory costs about half of one across directories here, which matters for many small files.
   */
  tempPath(hash?: Sha256): string {
    this.claim();
    if (hash === undefined) return `${this.tmpDir}${path.sep}${this.owner}-${this.tmpCounter++}`;
    const shard = `${this.objectsDir}${path.sep}${hash.slice(0, 2)}`;
    if (!this.shardsReady.has(shard)) {
      // A shard this call creates is empty: known without listing it (see `hasListed`).
      if (fs.mkdirSync(shard, { recursive: true }) !== undefined && !this.shardIndex.has(hash.slice(0, 2))) this.shardIndex.set(hash.slice(0, 2), new Set());
      this.shardsReady.add(shard);
    }
    return `${shard}${path.sep}${hash.slice(2)}.${this.owner}-${this.tmpCounter++}.tmp`;
  }

  /**
   * Before this process's first temp file (and before worker threads write any): sweep what
   * killed commands left (only when one of their markers says so, so the common case costs one
   * readdir), then leave our own marker.
   */
  claim(): void {
    if (this.claimed) return;
    this.claimed = true;
    fs.mkdirSync(this.tmpDir, { recursive: true });
    const now = Date.now();
    let killed = false;
    for (const name of fs.readdirSync(this.tmpDir)) {
      if (!name.endsWith('.owner')) continue;
      const stat = fs.statSync(path.join(this.tmpDir, name), { throwIfNoEntry: false });
      if (stat && isAbandoned(name, stat.mtimeMs, now)) killed = true;
    }
    if (killed) this.sweepTemps();
    const marker = path.join(this.tmpDir, `${this.owner}.owner`);
    try {
      fs.writeFileSync(marker, '');
      removeOnExit(marker);
    } catch {
      // Without a marker a killed run is only swept by gc: not worth failing the command for.
    }
  }

  /**
   * Removes every temp file (and owner marker) that no live mlp process owns: in `tmp/`, beside
   * objects, and beside run-cache entries. Used by gc, and after a killed command.
   */
  sweepTemps(dryRun = false): SweepResult {
    const result: SweepResult = { files: 0, bytes: 0 };
    removeAbandonedTemps(this.tmpDir, () => true, result, dryRun);
    for (const base of [this.objectsDir, RunCache.dirIn(this.cacheDir)]) {
      let shards: string[];
      try {
        shards = fs.readdirSync(base);
      } catch {
        continue;
      }
      for (const shard of shards) if (shard.length === 2) removeAbandonedTemps(path.join(base, shard), isTempName, result, dryRun);
    }
    return result;
  }

  /** Moves a fully written temp file into place as object `hash`, read-only. */
  commitTemp(tmp: string, hash: Sha256, alreadyReadOnly = false): void {
    const dest = this.objectPath(hash);
    if (!alreadyReadOnly) fs.chmodSync(tmp, 0o444);
    try {
      fs.renameSync(tmp, dest);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.renameSync(tmp, dest);
    }
    this.shardIndex.get(hash.slice(0, 2))?.add(hash.slice(2));
  }

  /**
   * Stores the file `src` (whose stat the caller took) and returns the hash of what was stored.
   * Synchronous: meant for files up to SYNC_ADD_LIMIT (larger ones work, blocking the event loop).
   */
  addFileSync(src: string, stat: FileIdentity, options: AddFileOptions = {}): StoredFile {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const stored = options.link ? this.linkOnce(src) : stat.size <= WHOLE_READ_LIMIT ? this.readWholeOnce(src, attempt === 0 ? stat : undefined) : this.copyOnceSync(src);
      if (stored) return stored;
      sleepSync(10 * (attempt + 1));
    }
    throw new FileChangedError(options.label ?? src);
  }

  /** Stores the file `src` of any size; large ones are copied and hashed off the main thread's critical path. */
  async addFile(src: string, stat: fs.Stats, options: AddFileOptions = {}): Promise<StoredFile> {
    if (stat.size <= SYNC_ADD_LIMIT) return this.addFileSync(src, stat, options);
    const label = options.label ?? src;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const stored = options.link
        ? await this.linkOnceAsync(src, label, options.signal, options.onBytes)
        : await this.copyOnce(src, label, options.signal, options.onBytes);
      if (stored) return stored;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
    throw new FileChangedError(label);
  }

  /**
   * One read of a small file: stored only if the file did not change while it was read. The
   * checks are on the open file: a file replaced (renamed over) meanwhile was read whole and
   * consistently as it was, which is a version it really had.
   */
  private readWholeOnce(src: string, callerStat: FileIdentity | undefined): StoredFile | undefined {
    const fd = fs.openSync(src, 'r');
    let before: FileIdentity;
    let after: fs.Stats;
    let bytes: Buffer;
    try {
      // The caller's stat (taken by path, before the open) serves as "before" on a first try:
      // a file replaced or changed since then differs from it, and the next try takes its own.
      before = callerStat ?? fs.fstatSync(fd);
      bytes = readUpToScratch(fd, before.size); // written by putBytes before the next read
      after = fs.fstatSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (!sameFile(before, after) || bytes.length !== after.size) return undefined;
    const hash = hashBytes(bytes);
    if (isRacy(before) && hashFileSync(src) !== hash) return undefined;
    this.putBytes(bytes, hash);
    return { hash, size: bytes.length, stat: after, linked: false };
  }

  /** One pass of a larger file: copied into a temp file while hashed, synchronously. */
  private copyOnceSync(src: string): StoredFile | undefined {
    const fd = fs.openSync(src, 'r');
    const tmp = this.tempPath();
    let keep = false;
    try {
      const before = fs.fstatSync(fd);
      const out = fs.openSync(tmp, 'wx', 0o644);
      let copied: { hash: Sha256; size: number };
      try {
        copied = hashFdSync(fd, out);
      } catch (error) {
        throw namedAfter(error, tmp, this.tmpDir);
      } finally {
        fs.closeSync(out);
      }
      const after = fs.fstatSync(fd);
      if (!sameFile(before, after) || copied.size !== after.size) return undefined;
      if (isRacy(before) && hashFileSync(src) !== copied.hash) return undefined;
      if (!this.hasListed(copied.hash)) {
        this.commitTemp(tmp, copied.hash);
        keep = true;
      }
      return { hash: copied.hash, size: copied.size, stat: after, linked: false };
    } finally {
      fs.closeSync(fd);
      if (!keep) fs.rmSync(tmp, { force: true });
    }
  }

  /**
   * One pass of a large file, asynchronously: the kernel copies it into a temp file (a clone
   * where the filesystem can, else `copy_file_range`: no byte passes through this process) while
   * this thread hashes it through its own descriptor, so the copy and the hash take the two
   * cores. Both read one inode whose signature (inode, size, mtime) is the same by the path and
   * by the descriptor before and after: the bytes copied are the bytes hashed, with the trust
   * mlp puts in a stat signature everywhere (a file modified within RACY_MS is waited out first).
   */
  private async copyOnce(src: string, label: string, signal: AbortSignal | undefined, onBytes?: (bytes: number) => void): Promise<StoredFile | undefined> {
    const input = await fs.promises.open(src, 'r');
    const tmp = this.tempPath();
    let keep = false;
    try {
      let before = await input.stat();
      if (isRacy(before)) {
        await new Promise((resolve) => setTimeout(resolve, RACY_MS));
        before = await input.stat();
      }
      if (!sameFile(before, await fs.promises.stat(src))) return undefined; // replaced since it was opened
      let hashed;
      try {
        hashed = await copyWhileHashing(src, input, before, tmp, signal, onBytes);
      } catch (error) {
        if (signal?.aborted) throw new AddInterrupted(label);
        throw namedAfter(error, tmp, this.tmpDir);
      }
      if (!hashed) return undefined;
      if (!this.hasListed(hashed.hash)) {
        this.commitTemp(tmp, hashed.hash);
        keep = true;
      }
      this.markVerified(hashed.hash);
      return { hash: hashed.hash, size: hashed.size, stat: hashed.stat, linked: false };
    } finally {
      await input.close();
      if (!keep) await fs.promises.rm(tmp, { force: true });
    }
  }

  /**
   * Link mode: the object becomes the source's own inode. It is linked first and hashed through
   * the link, so what is named is what was read; a change meanwhile shows in the inode's mtime.
   */
  private linkOnce(src: string): StoredFile | undefined {
    const tmp = this.tempPath();
    fs.linkSync(src, tmp);
    let keep = false;
    try {
      const before = fs.statSync(tmp);
      const hash = hashFileSync(tmp);
      const after = fs.statSync(src);
      if (!sameFile(before, after)) return undefined;
      if (isRacy(before) && hashFileSync(tmp) !== hash) return undefined;
      const linked = this.commitLink(tmp, hash);
      keep = linked;
      return { hash, size: after.size, stat: after, linked };
    } finally {
      if (!keep) fs.rmSync(tmp, { force: true });
    }
  }

  private async linkOnceAsync(src: string, label: string, signal: AbortSignal | undefined, onBytes?: (bytes: number) => void): Promise<StoredFile | undefined> {
    const tmp = this.tempPath();
    await fs.promises.link(src, tmp);
    let keep = false;
    try {
      let before = await fs.promises.stat(tmp);
      if (isRacy(before)) {
        await new Promise((resolve) => setTimeout(resolve, RACY_MS));
        before = await fs.promises.stat(tmp);
      }
      let hash: Sha256;
      try {
        hash = await hashFile(tmp, signal, onBytes);
      } catch (error) {
        if (signal?.aborted) throw new AddInterrupted(label);
        throw error;
      }
      const after = await fs.promises.stat(src);
      if (!sameFile(before, after)) return undefined;
      const linked = this.commitLink(tmp, hash);
      keep = linked;
      this.markVerified(hash);
      return { hash, size: after.size, stat: after, linked };
    } finally {
      if (!keep) await fs.promises.rm(tmp, { force: true });
    }
  }

  /** Renames the link into place unless the object exists; the shared inode becomes read-only. */
  private commitLink(tmp: string, hash: Sha256): boolean {
    if (this.hasListed(hash)) return false;
    this.commitTemp(tmp, hash);
    return true;
  }

  putBytes(data: string | Uint8Array, knownHash?: Sha256): Sha256 {
    const hash = knownHash ?? hashBytes(data);
    if (this.hasListed(hash)) return hash;
    const tmp = this.tempPath(hash);
    try {
      fs.writeFileSync(tmp, data, { mode: 0o444 });
      this.commitTemp(tmp, hash, true);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw namedAfter(error, tmp, this.objectPath(hash));
    }
    return hash;
  }

  putManifest(entries: readonly ManifestEntry[]): Sha256 {
    return this.putBytes(serializeManifest(entries));
  }

  /** Directory manifests read (and validated) by this process; objects never change under their name. */
  private readonly manifests = new Map<Sha256, ManifestEntry[]>();

  /**
   * The entries of directory manifest `hash`, validated: every entry path a normalised relative
   * path without `..`, listed once, every hash a `Sha256` (a located error, exit 3, otherwise).
   * A manifest whose content does not match its name is removed.
   */
  readManifest(hash: Sha256): ManifestEntry[] {
    const known = this.manifests.get(hash);
    if (known) return known;
    let text: string;
    try {
      text = fs.readFileSync(this.objectPath(hash), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        throw new MlpError(`directory manifest ${hash.slice(0, 12)} is not in the cache`, {
          hint: 'run `mlp pull` to fetch it, or `mlp repro` to rebuild it',
        });
      }
      throw error;
    }
    if (hashBytes(text) !== hash) {
      this.quarantine(hash);
      throw corruptObject(this.objectPath(hash));
    }
    const entries = parseManifest(text, this.displayPath(hash));
    this.manifests.set(hash, entries);
    return entries;
  }

  /** `.mlp/cache/files/sha256/ab/cdef…`, as messages show an object. */
  private displayPath(hash: Sha256): string {
    const root = path.dirname(path.dirname(this.cacheDir));
    return path.relative(root, this.objectPath(hash)).split(path.sep).join('/');
  }

  /**
   * Whether object `hash` is there and still has the content its name says; a corrupt one is
   * removed. The answer is remembered per object inode, mtime and size (`cache:<hash>` in the
   * state cache, src/hash/state-cache.ts), so an object is re-read only when it changed (e.g. written through a hardlink).
   */
  check(hash: Sha256): ObjectCheck {
    const stat = this.objectStat(hash);
    if (!stat) return 'missing';
    if (this.verifiedAs(hash, stat)) return 'ok';
    return this.recordCheck(hash, stat, hashFileSync(this.objectPath(hash)));
  }

  /** `check` for large objects: the hashing yields to the event loop. */
  async checkAsync(hash: Sha256, signal?: AbortSignal): Promise<ObjectCheck> {
    const stat = this.objectStat(hash);
    if (!stat) return 'missing';
    if (this.verifiedAs(hash, stat)) return 'ok';
    return this.recordCheck(hash, stat, await hashFile(this.objectPath(hash), signal));
  }

  /**
   * The whole content of a small object, verified on the way (one read serves checking and
   * sending); a corrupt object is removed. Objects up to 256 KiB (`size`, when known) are read
   * synchronously: one syscall instead of four thread-pool round trips.
   */
  async readVerified(hash: Sha256, size?: number): Promise<Buffer | 'missing' | 'corrupt'> {
    let data: Buffer;
    try {
      const file = this.objectPath(hash);
      data = size !== undefined && size <= 256 * 1024 ? fs.readFileSync(file) : await fs.promises.readFile(file);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return 'missing';
      throw error;
    }
    if (hashBytes(data) === hash) return data;
    this.quarantine(hash);
    return 'corrupt';
  }

  /** Marks object `hash` (of `size` bytes, when known) as verified: it was just written from data of known hash. */
  markVerified(hash: Sha256, size?: number): void {
    if (size !== undefined && size <= REMEMBER_CHECKS_ABOVE) return;
    const state = this.verifications?.();
    const stat = state && this.objectStat(hash);
    if (state && stat && stat.size > REMEMBER_CHECKS_ABOVE) state.set(verifiedKey(hash), stat, hash);
  }

  private objectStat(hash: Sha256): fs.Stats | undefined {
    return fs.statSync(this.objectPath(hash), { throwIfNoEntry: false });
  }

  private verifiedAs(hash: Sha256, stat: fs.Stats): boolean {
    return stat.size > REMEMBER_CHECKS_ABOVE && this.verifications?.().get(verifiedKey(hash), stat) === hash;
  }

  private recordCheck(hash: Sha256, stat: fs.Stats, actual: Sha256): ObjectCheck {
    if (actual !== hash) {
      this.quarantine(hash);
      return 'corrupt';
    }
    if (stat.size > REMEMBER_CHECKS_ABOVE) this.verifications?.().set(verifiedKey(hash), stat, hash);
    return 'ok';
  }

  /** Removes an object whose content no longer matches its name. */
  quarantine(hash: Sha256): void {
    this.remove(hash);
  }

  /** Removes an object, and every record of it this store keeps (listings, manifests, verifications). */
  remove(hash: Sha256): void {
    fs.rmSync(this.objectPath(hash), { force: true });
    this.shardIndex.get(hash.slice(0, 2))?.delete(hash.slice(2));
    this.manifests.delete(hash);
    this.verifications?.().delete(verifiedKey(hash));
  }

  /** Every object hash in the store. */
  *listObjects(): Generator<Sha256> {
    let prefixes: string[];
    try {
      prefixes = fs.readdirSync(this.objectsDir);
    } catch {
      return;
    }
    for (const prefix of prefixes) {
      if (prefix.length !== 2) continue;
      for (const rest of fs.readdirSync(path.join(this.objectsDir, prefix))) {
        const hash = hashFromNames(prefix, rest); // skips temp files of interrupted writes, stray names
        if (hash !== undefined) yield hash;
      }
    }
  }
}

/**
 * Names a failure after the object being written rather than its temp file (whose name means
 * nothing to a user); a failed write(2) carries no path at all.
 */
function namedAfter(error: unknown, tmp: string, target: string): unknown {
  if (isErrnoException(error)) {
    if (error.path === tmp) error.path = target;
    const withDest = error as NodeJS.ErrnoException & { dest?: string };
    if (withDest.dest === tmp) withDest.dest = target;
  }
  return withPath(error, target);
}

export function corruptObject(file: string): MlpError {
  return new MlpError(`cache object ${file} is corrupted (its content does not match its hash)`, {
    hint: 'it has been removed; run `mlp pull` to fetch a good copy or `mlp repro -f` to rebuild it',
  });
}
