/**
 * Reads a stage output as it was on one side (the workspace or a revision). An output kept in the
 * cache (`cache: true`) is not in git: at a revision it is found through that revision's
 * `pipeline.lock` and the local cache. Metrics and plots both read their files through this.
 */
import fs from 'node:fs';
import type { Sha256 } from '../schema/sha256.js';
import { readText, type FileSource } from '../git/file-source.js';
import { Lockfile, type LockEntry } from '../lock/lockfile.js';
import { LOCK_FILE } from '../pipeline/schema.js';

/** Where cached outputs can be found: the path of a cache object by its hash. */
export type ObjectPath = (hash: Sha256) => string;

export class OutputReader {
  private lock: Map<string, LockEntry> | undefined;

  constructor(
    readonly source: FileSource,
    private readonly objectPath: ObjectPath,
  ) {}

  /** The file's bytes on this side, or undefined where it is neither in git nor in the local cache. */
  read(file: string): Buffer | undefined {
    return this.source.read(file) ?? this.fromCache(file);
  }

  private fromCache(file: string): Buffer | undefined {
    if (this.source.commit === undefined) return undefined; // the workspace is what is on disk
    this.lock ??= this.loadLock();
    for (const entry of this.lock.values()) {
      const out = entry.outs.find((o) => o.path === file);
      if (!out) continue;
      try {
        return fs.readFileSync(this.objectPath(out.hash));
      } catch {
        return undefined; // not in the local cache: `mlp pull` would fetch it
      }
    }
    return undefined;
  }

  private loadLock(): Map<string, LockEntry> {
    const text = readText(this.source, LOCK_FILE);
    if (text === undefined) return new Map();
    try {
      return Lockfile.parse(text);
    } catch {
      return new Map(); // a broken lock at an old revision only means no cached outputs there
    }
  }
}
