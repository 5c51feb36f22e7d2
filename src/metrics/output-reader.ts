/**
 * Reads a stage output as it was on one side (the workspace or a revision). An output kept in the
 * cache (`cache: true`) is not in git: at a revision it is found through that revision's
 * `pipeline.lock` and the local cache. Metrics and plots both read their files through this.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestEntry } from '../hash/hash-path.js';
import { parseManifest } from '../schema/manifest.js';
import type { Sha256 } from '../schema/sha256.js';
import { RevisionSource, readText, type FileSource } from '../git/file-source.js';
import { Lockfile, type LockedPath, type LockEntry } from '../lock/lockfile.js';
import { LOCK_FILE } from '../pipeline/schema.js';

/** Where cached outputs can be found: the path of a cache object by its hash. */
export type ObjectPath = (hash: Sha256) => string;

export class OutputReader {
  private lock: LockEntry[] | undefined;

  constructor(
    readonly source: FileSource,
    private readonly objectPath: ObjectPath,
  ) {}

  /** The file's bytes on this side, or undefined where it is neither in git nor in the local cache. */
  read(file: string): Buffer | undefined {
    return this.source.read(file) ?? this.fromCache(file);
  }

  /** The files under directory `dir` on this side: in git (or on disk), else in a cached directory output. */
  list(dir: string): string[] {
    const listed = this.source.list(dir);
    if (listed.length > 0 || this.source.commit === undefined) return listed;
    const out = this.lockedOut(dir);
    const manifest = out?.nfiles === undefined ? undefined : this.manifest(out.hash);
    return (manifest ?? []).map((e) => `${dir}/${e.path}`).sort();
  }

  private fromCache(file: string): Buffer | undefined {
    if (this.source.commit === undefined) return undefined; // the workspace is what is on disk
    const out = this.lockedOut(file);
    if (out) return this.object(out.hash);
    // A file inside a cached directory: found through the directory's manifest.
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) {
      const parent = this.lockedOut(dir);
      if (!parent) continue;
      const entry = this.manifest(parent.hash)?.find((e) => `${dir}/${e.path}` === file);
      return entry ? this.object(entry.hash) : undefined;
    }
    return undefined;
  }

  private lockedOut(file: string): LockedPath | undefined {
    this.lock ??= this.loadLock();
    for (const entry of this.lock) {
      const out = entry.outs.find((o) => o.path === file);
      if (out) return out;
    }
    return undefined;
  }

  private object(hash: Sha256): Buffer | undefined {
    try {
      return fs.readFileSync(this.objectPath(hash));
    } catch {
      return undefined; // not in the local cache: `mlp pull` would fetch it
    }
  }

  private manifest(hash: Sha256): ManifestEntry[] | undefined {
    const bytes = this.object(hash);
    if (!bytes) return undefined;
    try {
      return parseManifest(bytes.toString('utf8'), hash);
    } catch {
      return undefined; // a damaged manifest: `mlp pull` or `mlp repro` replaces it; nothing to draw from it
    }
  }

  /** The entries of every lock file at the revision (the root's, and those next to sub-pipelines). */
  private loadLock(): LockEntry[] {
    const files = this.source instanceof RevisionSource ? this.source.files().filter((f) => f === LOCK_FILE || f.endsWith(`/${LOCK_FILE}`)) : [LOCK_FILE];
    return files.flatMap((file) => {
      const text = readText(this.source, file);
      if (text === undefined) return [];
      try {
        return [...Lockfile.parse(text, file).values()];
      } catch {
        return []; // a broken lock at an old revision only means no cached outputs there
      }
    });
  }

}
