/**
 * The state cache remembers the hash of each file by its stat signature (inode, mtime, size), so
 * unchanged files are never re-read; `cache:<hash>` entries record that a cache object was
 * verified (src/cache/checkout.ts). It lives in `.mlp/tmp/state.json`, a `SignatureStore`
 * (src/util/signature-store.ts, shared with the parse cache).
 *
 * Entries for files that were deleted or changed can never match again, but nothing removes them
 * as they happen: after months of use the file held 200,000 of them and every command paid for
 * loading them. So the cache prunes itself — it stats every entry's file and drops those whose
 * signature no longer matches — when it has doubled since the last prune or the last prune is a
 * day old (only above a size where loading costs anything), and `mlp gc` prunes it always. The
 * doubling keeps the work amortised: a prune costs one stat per entry, and between two prunes at
 * least as many entries were added.
 *
 * Directories have records of their own, in a second, small store (`state.dirs.json`): a
 * directory's hash, size and file count, with a digest of the paths and stat signatures of every
 * file it held when that hash was computed. `mlp status` of an unchanged directory of 20,000 files
 * then costs a walk (one stat per file) and one sha256 of their signatures — never the per-file
 * store (2.5 MB of JSON for 20,000 files, ~20% of such a status) and never the manifest (sorting,
 * serialising and hashing 20,000 entries). The per-file store is read only when something asks
 * it: a directory that changed, a file, a cache object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSha256, type Sha256 } from '../schema/sha256.js';
import { SignatureStore } from '../util/signature-store.js';
import { sameSignature, statSignature, type Signed } from '../util/stat-signature.js';

/** The file's stat signature (inode, mtime, size) when it was hashed, and the hash. */
type Entry = [ino: number, mtimeMs: number, size: number, hash: string];

/** Where the file behind a state key is, or undefined when the key means nothing any more. */
export type LocateKey = (key: string) => string | undefined;

/** The state key recording that cache object `hash` was verified. */
export function objectKey(hash: string): string {
  return `cache:${hash}`;
}

/** The object hash of an `objectKey`, or undefined for a workspace path key. */
export function objectOfKey(key: string): string | undefined {
  return key.startsWith('cache:') ? key.slice('cache:'.length) : undefined;
}

/** A directory's record: the digest of its files' paths and signatures, and its hash, size and file count then. */
type DirEntry = [digest: string, hash: string, size: number, nfiles: number];

/** What a directory record gives back when its digest still matches. */
export interface DirectoryRecord {
  hash: Sha256;
  size: number;
  nfiles: number;
}

/** Below this many entries loading costs little: no automatic prune. */
export const PRUNE_MIN_ENTRIES = 5000;
const PRUNE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface StateHeader {
  version: 1;
  /**
   * When the entries were last checked against the files, and how many were left. Absent in
   * files written before pruning existed (older mlp versions read the file and ignore it).
   */
  pruned?: { at: number; entries: number };
}

export class StateCache {
  /** The per-file store, read on first use (see the top of this file). */
  private files: { store: SignatureStore<Entry, StateHeader>; pruned: { at: number; entries: number }; fresh: boolean } | undefined;

  private constructor(
    private readonly file: string,
    private readonly dirs: SignatureStore<DirEntry, DirsHeader>,
    private readonly locate: LocateKey | undefined,
  ) {}

  /**
   * Opens the state; with `locate`, entries whose file is gone or changed are pruned when the
   * state is saved and has grown (see above). Without it, it is never pruned.
   */
  static load(file: string, locate?: LocateKey): StateCache {
    return new StateCache(file, SignatureStore.load<DirEntry, DirsHeader>(dirsFile(file), { accepts: (header) => header.version === 1 }), locate);
  }

  private get fileStore(): SignatureStore<Entry, StateHeader> {
    if (!this.files) {
      const store = SignatureStore.load<Entry, StateHeader>(this.file, { accepts: (header) => header.version === 1 });
      // A file written before pruning existed was never pruned: prune it as soon as that pays.
      // A new one holds only what this command recorded, all current: nothing to prune yet.
      const fresh = !store.loadedHeader.version;
      const pruned = fresh ? { at: Date.now(), entries: 0 } : (store.loadedHeader.pruned ?? { at: 0, entries: 0 });
      this.files = { store, pruned, fresh };
    }
    return this.files.store;
  }

  /** Entries of files and objects (reading the per-file store). */
  get size(): number {
    return this.fileStore.size;
  }

  /** The recorded hash of `key` if the file still has the same stat signature. */
  get(key: string, stat: Signed): Sha256 | undefined {
    const entry = this.fileStore.get(key);
    if (!entry || !sameSignature(entry, stat)) return undefined;
    // state.json is a file too: a recorded hash becomes an object name only if it is a hash.
    return isSha256(entry[3]) ? entry[3] : undefined;
  }

  set(key: string, stat: Signed, hash: string): void {
    const store = this.fileStore;
    const entry = store.get(key);
    if (entry && entry[3] === hash && sameSignature(entry, stat)) return;
    store.set(key, [...statSignature(stat), hash]);
  }

  delete(key: string): void {
    this.fileStore.delete(key);
  }

  /** The recorded hash of directory `key` if `digest` (of its files' paths and signatures, see PathHasher) is the recorded one. */
  getDirectory(key: string, digest: string): DirectoryRecord | undefined {
    const entry = this.dirs.get(key);
    if (!Array.isArray(entry) || entry[0] !== digest || !isSha256(entry[1])) return undefined;
    const [, hash, size, nfiles] = entry;
    return typeof size === 'number' && typeof nfiles === 'number' ? { hash, size, nfiles } : undefined;
  }

  setDirectory(key: string, digest: string, record: DirectoryRecord): void {
    const entry = this.dirs.get(key);
    if (entry && entry[0] === digest && entry[1] === record.hash) return;
    this.dirs.set(key, [digest, record.hash, record.size, record.nfiles]);
  }

  /** Drops every entry whose file is gone or no longer has the recorded signature, and records of directories that are gone. Returns how many. */
  prune(): number {
    if (!this.locate) return 0;
    const store = this.fileStore;
    // Stale entries mostly come from whole directories that were deleted (old runs, old
    // outputs): one stat of the directory answers for all of its files.
    const dirExists = new Map<string, boolean>();
    const kept = new Map<string, Entry>();
    for (const [key, entry] of store.entries()) {
      const file = this.locate(key);
      let stat: fs.Stats | undefined;
      if (file !== undefined) {
        const dir = path.dirname(file);
        let exists = dirExists.get(dir);
        if (exists === undefined) dirExists.set(dir, (exists = fs.existsSync(dir)));
        try {
          stat = exists ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
        } catch {
          stat = undefined; // unreadable (EACCES, ENOTDIR, …): the entry cannot be used either
        }
      }
      if (stat && sameSignature(entry, stat)) kept.set(key, entry);
    }
    const removed = store.size - kept.size;
    store.replace(kept); // also when nothing was removed: the new `pruned` record is saved
    (this.files as { pruned: { at: number; entries: number } }).pruned = { at: Date.now(), entries: kept.size };
    // A directory record of a changed directory is replaced when it is next hashed; one of a
    // directory that is gone would stay for ever.
    const keptDirs = new Map<string, DirEntry>();
    for (const [key, entry] of this.dirs.entries()) {
      const dir = this.locate(key);
      let isDir = false;
      try {
        isDir = dir !== undefined && (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false);
      } catch {
        isDir = false;
      }
      if (isDir) keptDirs.set(key, entry);
    }
    const removedDirs = this.dirs.size - keptDirs.size;
    if (removedDirs > 0) this.dirs.replace(keptDirs);
    return removed + removedDirs;
  }

  /** Whether the state grew enough since the last prune for a prune to pay for itself. */
  private prunePays(): boolean {
    if (!this.files || !this.locate) return false;
    const n = this.files.store.size;
    if (n < PRUNE_MIN_ENTRIES) return false;
    return n > 2 * this.files.pruned.entries || Date.now() - this.files.pruned.at > PRUNE_MAX_AGE_MS;
  }

  /** Writes the state if it changed, pruning it first when that pays (see the top of this file). */
  save(): void {
    if (this.files?.fresh) this.files.pruned = { at: Date.now(), entries: this.files.store.size };
    else if (this.prunePays()) this.prune();
    if (this.files) this.files.store.save({ version: 1, pruned: this.files.pruned });
    this.dirs.save({ version: 1 });
  }
}

interface DirsHeader {
  version: 1;
}

/** Where the directory records of the state in `file` live (`state.json` → `state.dirs.json`). */
function dirsFile(file: string): string {
  return file.endsWith('.json') ? `${file.slice(0, -'.json'.length)}.dirs.json` : `${file}.dirs`;
}
