/**
 * Hashes workspace paths: a file by its bytes, a directory by the sha256 of its manifest — the
 * sorted list of (relative path, hash, size) of every file inside it. Unchanged files are looked
 * up in the state cache instead of being read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashBytes, hashFileSync } from './hash-file.js';
import type { StateCache } from './state-cache.js';

/** What the lockfile and pointer files record for an output or dependency. */
export interface HashInfo {
  hash: string;
  size: number;
  /** Present for directories only. */
  nfiles?: number;
}

export interface ManifestEntry {
  path: string;
  hash: string;
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
  has(hash: string): boolean;
  add(rel: string, abs: string, stat: fs.Stats): Promise<{ hash: string; stat: fs.Stats }>;
}

export class PathHasher {
  constructor(
    private readonly root: string,
    private readonly state: StateCache,
  ) {}

  /** Hash of the repo-relative path `rel`, or undefined if it does not exist. */
  hash(rel: string): PathHash | undefined {
    const abs = path.join(this.root, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) return { hash: this.hashFile(rel, abs, stat), size: stat.size };
    return this.manifestOf(walkFiles(abs).map((f) => {
      const childRel = `${rel}/${f.rel}`;
      return { path: f.rel, hash: this.hashFile(childRel, f.abs, f.stat), size: f.stat.size };
    }));
  }

  /**
   * Hashes `rel` and stores every file in `sink` in the same pass (one read per file), unless the
   * state cache knows the file's hash and the sink has that object already.
   */
  async hashAndStore(rel: string, sink: FileSink): Promise<PathHash | undefined> {
    const abs = path.join(this.root, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) return this.storeFile(rel, abs, stat, sink);
    const manifest: ManifestEntry[] = [];
    for (const f of walkFiles(abs)) manifest.push({ path: f.rel, ...(await this.storeFile(`${rel}/${f.rel}`, f.abs, f.stat, sink)) });
    return this.manifestOf(manifest);
  }

  /** Hash and size of what was stored (the file may have changed since `stat` was taken). */
  private async storeFile(rel: string, abs: string, stat: fs.Stats, sink: FileSink): Promise<{ hash: string; size: number }> {
    const known = this.state.get(rel, stat);
    if (known && sink.has(known)) return { hash: known, size: stat.size };
    const stored = await sink.add(rel, abs, stat);
    this.state.set(rel, stored.stat, stored.hash);
    return { hash: stored.hash, size: stored.stat.size };
  }

  /** Hash of one file, from the state cache when its inode, mtime and size are unchanged. */
  hashFile(rel: string, abs: string, stat: fs.Stats): string {
    const known = this.state.get(rel, stat);
    if (known) return known;
    const hash = stat.size > WHOLE_READ_LIMIT ? hashFileSync(abs) : hashBytes(fs.readFileSync(abs));
    this.state.set(rel, stat, hash);
    return hash;
  }

  /** Records a hash computed elsewhere (e.g. while copying into the cache). */
  remember(rel: string, hash: string): void {
    const stat = fs.statSync(path.join(this.root, rel));
    this.state.set(rel, stat, hash);
  }

  private manifestOf(entries: ManifestEntry[]): PathHash {
    const manifest = entries.sort((a, b) => compareStrings(a.path, b.path));
    const size = manifest.reduce((n, e) => n + e.size, 0);
    return { hash: hashBytes(serializeManifest(manifest)), size, nfiles: manifest.length, manifest };
  }
}

/** Files up to this size are read whole (one read, no chunking). */
const WHOLE_READ_LIMIT = 16 * 1024 * 1024;

/** Every file under directory `abs` (following symlinks), with its path relative to `abs`. */
function walkFiles(abs: string): { rel: string; abs: string; stat: fs.Stats }[] {
  const files: { rel: string; abs: string; stat: fs.Stats }[] = [];
  const walk = (dirAbs: string, prefix: string): void => {
    for (const entry of fs.readdirSync(dirAbs, { withFileTypes: true })) {
      const childAbs = path.join(dirAbs, entry.name);
      const childRel = prefix ? `${prefix}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = fs.statSync(childAbs, { throwIfNoEntry: false });
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir) walk(childAbs, childRel);
      else if (isFile) files.push({ rel: childRel, abs: childAbs, stat: fs.statSync(childAbs) });
    }
  };
  walk(abs, '');
  return files;
}
