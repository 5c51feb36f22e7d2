/**
 * Hashes workspace paths: a file by its bytes, a directory by the sha256 of its manifest — the
 * sorted list of (relative path, hash, size) of every file inside it. Unchanged files are looked
 * up in the state cache instead of being read.
 */
import { type IgnoreScope, type MlpIgnore } from './mlpignore.js';
import fs from 'node:fs';
import { MlpError } from '../errors.js';
import { joinInside, type EntryPath, type RepoPath } from '../schema/repo-path.js';
import type { Sha256 } from '../schema/sha256.js';
import { hashBytes, hashFileSync } from './hash-file.js';
import type { StateCache } from './state-cache.js';

/** What the lockfile and pointer files record for an output or dependency. */
export interface HashInfo {
  hash: Sha256;
  size: number;
  /** Present for directories only. */
  nfiles?: number;
}

export interface ManifestEntry {
  /** Relative to the directory; validated (src/schema/manifest.ts) when read from an object. */
  path: EntryPath;
  hash: Sha256;
  size: number;
}

export interface PathHash extends HashInfo {
  /** The directory's manifest, present for directories only. */
  manifest?: ManifestEntry[];
}

/** Canonical bytes of a directory manifest; its sha256 is the directory's hash. */
export function serializeManifest(entries: readonly ManifestEntry[]): string {
  return `${JSON.stringify(entries.map((e) => ({ path: e.path, hash: e.hash, size: e.size })))}\n`;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Stores files while they are hashed: `add` returns the hash of exactly what it stored and the
 * stat that content belongs to (the file may change while it is read).
 */
export interface FileSink {
  has(hash: Sha256): boolean;
  /** `onBytes`: bytes of this file read so far, when the sink reports them (large files). */
  add(rel: string, abs: string, stat: fs.Stats, onBytes?: (bytes: number) => void): Promise<{ hash: Sha256; stat: fs.Stats }>;
}

/** Where a long hash-and-store is (`mlp add` of many or large files shows it). */
export interface StoreProgress {
  /** Files found under a path, and their bytes (called once per path, before they are stored). */
  found(files: number, bytes: number): void;
  /** One file done (stored, or already in the store). */
  stored(bytes: number): void;
  /** Bytes of the file being stored read so far (a large file advances while it is read). */
  reading?(bytes: number): void;
}

export class PathHasher {
  constructor(
    private readonly root: string,
    private readonly state: StateCache,
    /** `.mlpignore` rules: matching files are not part of a directory. */
    private readonly ignore?: MlpIgnore,
  ) {}

  /** Hash of the repo-relative path `rel`, or undefined if it does not exist. */
  hash(rel: RepoPath): PathHash | undefined {
    const abs = joinInside(this.root, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) {
      if (!stat.isFile()) throw specialFileError(rel, stat);
      return { hash: this.hashFile(rel, abs, stat), size: stat.size };
    }
    return this.manifestOf(
      walkFiles(rel, abs, this.ignore?.scope(rel)).map((f) => ({ path: f.rel, hash: this.hashFile(`${rel}/${f.rel}`, f.abs, f.stat), size: f.stat.size })),
    );
  }

  /**
   * Hashes `rel` and stores every file in `sink` in the same pass (one read per file), unless the
   * state cache knows the file's hash and the sink has that object already.
   */
  async hashAndStore(rel: RepoPath, sink: FileSink, progress?: StoreProgress): Promise<PathHash | undefined> {
    const abs = joinInside(this.root, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) {
      if (!stat.isFile()) throw specialFileError(rel, stat);
      progress?.found(1, stat.size);
      const stored = await this.storeFile(rel, abs, stat, sink, progress);
      progress?.stored(stored.size);
      return stored;
    }
    const manifest: ManifestEntry[] = [];
    const files = walkFiles(rel, abs, this.ignore?.scope(rel));
    progress?.found(
      files.length,
      files.reduce((n, f) => n + f.stat.size, 0),
    );
    for (const f of files) {
      const stored = await this.storeFile(`${rel}/${f.rel}`, f.abs, f.stat, sink, progress);
      manifest.push({ path: f.rel, ...stored });
      progress?.stored(stored.size);
    }
    return this.manifestOf(manifest);
  }

  /** Hash and size of what was stored (the file may have changed since `stat` was taken). */
  private async storeFile(rel: string, abs: string, stat: fs.Stats, sink: FileSink, progress?: StoreProgress): Promise<{ hash: Sha256; size: number }> {
    const known = this.state.get(rel, stat);
    if (known && sink.has(known)) return { hash: known, size: stat.size };
    const stored = await sink.add(rel, abs, stat, progress?.reading ? (bytes) => progress.reading?.(bytes) : undefined);
    this.state.set(rel, stored.stat, stored.hash);
    return { hash: stored.hash, size: stored.stat.size };
  }

  /** Hash of one file, from the state cache when its inode, mtime and size are unchanged. */
  hashFile(rel: string, abs: string, stat: fs.Stats): Sha256 {
    const known = this.state.get(rel, stat);
    if (known) return known;
    const hash = stat.size > WHOLE_READ_LIMIT ? hashFileSync(abs) : hashBytes(fs.readFileSync(abs));
    this.state.set(rel, stat, hash);
    return hash;
  }

  /** Records a hash computed elsewhere (e.g. while copying into the cache). */
  remember(rel: RepoPath, hash: Sha256, stat: fs.Stats = fs.statSync(joinInside(this.root, rel))): void {
    this.state.set(rel, stat, hash);
  }

  private manifestOf(entries: ManifestEntry[]): PathHash {
    return manifestHash(entries);
  }
}

/**
 * The hash a file or directory anywhere on disk would get in the lock (e.g. a model directory
 * being served), without a state cache or `.mlpignore`; undefined if it does not exist.
 */
export function hashStandalone(abs: string): PathHash | undefined {
  const stat = fs.statSync(abs, { throwIfNoEntry: false });
  if (!stat) return undefined;
  const hashOne = (file: string, size: number): Sha256 => (size > WHOLE_READ_LIMIT ? hashFileSync(file) : hashBytes(fs.readFileSync(file)));
  if (!stat.isDirectory()) {
    if (!stat.isFile()) throw specialFileError(abs, stat);
    return { hash: hashOne(abs, stat.size), size: stat.size };
  }
  return manifestHash(walkFiles(abs, abs).map((f) => ({ path: f.rel, hash: hashOne(f.abs, f.stat.size), size: f.stat.size })));
}

/** A directory's hash and size from the entries of its manifest (sorted here). */
function manifestHash(entries: ManifestEntry[]): PathHash {
  const manifest = entries.sort((a, b) => compareStrings(a.path, b.path));
  const size = manifest.reduce((n, e) => n + e.size, 0);
  return { hash: hashBytes(serializeManifest(manifest)), size, nfiles: manifest.length, manifest };
}

/** Files up to this size are read whole (one read, no chunking). */
const WHOLE_READ_LIMIT = 16 * 1024 * 1024;

/**
 * Every file under directory `abs` (the workspace path `rel`), following symlinks, with its path
 * relative to `abs`. A FIFO, socket or device inside is an error that names it: opening a FIFO
 * blocks until a writer comes, and the others have no content to store.
 */
function walkFiles(rel: string, abs: string, ignore?: IgnoreScope): { rel: EntryPath; abs: string; stat: fs.Stats }[] {
  const files: { rel: EntryPath; abs: string; stat: fs.Stats }[] = [];
  const walk = (dirAbs: string, prefix: string, scope: IgnoreScope | undefined): void => {
    for (const entry of fs.readdirSync(dirAbs, { withFileTypes: true })) {
      // Concatenated, not path.join: `dirAbs` is normalised and a name holds no `/` (join's
      // normalising was 4% of a status of 20,000 files).
      const childAbs = `${dirAbs}/${entry.name}`;
      // Names from the filesystem: never empty, `.`, `..` or containing `/`.
      const childRel = (prefix ? `${prefix}/${entry.name}` : entry.name) as EntryPath;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let special: fs.Stats | fs.Dirent | undefined = isDir || isFile || entry.isSymbolicLink() ? undefined : entry;
      if (entry.isSymbolicLink()) {
        const target = fs.statSync(childAbs, { throwIfNoEntry: false });
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
        if (target && !isDir && !isFile) special = target;
      }
      if (scope?.ignores(`${rel}/${childRel}`, isDir)) continue;
      if (special) throw specialFileError(`${rel}/${childRel}`, special);
      if (isDir) walk(childAbs, childRel, scope?.enter(`${rel}/${childRel}`));
      else if (isFile) files.push({ rel: childRel, abs: childAbs, stat: fs.statSync(childAbs) });
    }
  };
  walk(abs, '', ignore);
  return files;
}

/** What kind of non-regular file `stat` describes, in words. */
function specialKind(stat: fs.Stats | fs.Dirent): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** A FIFO, socket or device where mlp needs file content: refused, never opened. */
export function specialFileError(rel: string, stat: fs.Stats | fs.Dirent): MlpError {
  return new MlpError(`${rel} is ${specialKind(stat)}: mlp tracks only regular files and directories`, {
    hint: `move ${rel} out of the tracked path: a FIFO, socket or device has no content that mlp could store`,
  });
}
