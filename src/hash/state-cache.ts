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
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSha256, type Sha256 } from '../schema/sha256.js';
import { SignatureStore } from '../util/signature-store.js';
import { sameSignature, statSignature } from '../util/stat-signature.js';

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
  private constructor(
    private readonly store: SignatureStore<Entry, StateHeader>,
    private pruned: { at: number; entries: number },
    private readonly locate: LocateKey | undefined,
  ) {}

  /**
   * Loads the state; with `locate`, entries whose file is gone or changed are pruned when the
   * state is saved and has grown (see above). Without it, it is never pruned.
   */
  static load(file: string, locate?: LocateKey): StateCache {
    const store = SignatureStore.load<Entry, StateHeader>(file, { accepts: (header) => header.version === 1 });
    // A file written before pruning existed was never pruned: prune it as soon as that pays.
    const pruned = store.loadedHeader.version ? (store.loadedHeader.pruned ?? { at: 0, entries: 0 }) : { at: Date.now(), entries: 0 };
    return new StateCache(store, pruned, locate);
  }

  get size(): number {
    return this.store.size;
  }

  /** The recorded hash of `key` if the file still has the same stat signature. */
  get(key: string, stat: fs.Stats): Sha256 | undefined {
    const entry = this.store.get(key);
    if (!entry || !sameSignature(entry, stat)) return undefined;
    // state.json is a file too: a recorded hash becomes an object name only if it is a hash.
    return isSha256(entry[3]) ? entry[3] : undefined;
  }

  set(key: string, stat: fs.Stats, hash: string): void {
    const entry = this.store.get(key);
    if (entry && entry[3] === hash && sameSignature(entry, stat)) return;
    this.store.set(key, [...statSignature(stat), hash]);
  }

  delete(key: string): void {
    this.store.delete(key);
  }

  /** Drops every entry whose file is gone or no longer has the recorded signature. Returns how many. */
  prune(): number {
    if (!this.locate) return 0;
    // Stale entries mostly come from whole directories that were deleted (old runs, old
    // outputs): one stat of the directory answers for all of its files.
    const dirExists = new Map<string, boolean>();
    const kept = new Map<string, Entry>();
    for (const [key, entry] of this.store.entries()) {
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
    const removed = this.store.size - kept.size;
    this.store.replace(kept); // also when nothing was removed: the new `pruned` record is saved
    this.pruned = { at: Date.now(), entries: kept.size };
    return removed;
  }

  /** Whether the state grew enough since the last prune for a prune to pay for itself. */
  private prunePays(): boolean {
    const n = this.store.size;
    if (!this.locate || n < PRUNE_MIN_ENTRIES) return false;
    return n > 2 * this.pruned.entries || Date.now() - this.pruned.at > PRUNE_MAX_AGE_MS;
  }

  /** Writes the state if it changed, pruning it first when that pays (see the top of this file). */
  save(): void {
    if (this.prunePays()) this.prune();
    this.store.save({ version: 1, pruned: this.pruned });
  }
}
