/**
 * Hashes workspace paths: a file by its bytes, a directory by the sha256 of its manifest — the
 * sorted list of (relative path, hash, size) of every file inside it. Unchanged files are looked
 * up in the state cache instead of being read.
 */
import fs from 'node:fs';
import path from 'node:path';
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

/** Receives file contents while they are hashed, so storing them costs no second read. */
export interface ObjectSink {
  has(hash: Sha256): boolean;
  putBytes(data: Uint8Array, hash: Sha256): void;
  putFile(abs: string, hash: Sha256): void;
}

/** Files up to this size are read whole: one read serves both hashing and storing. */
const WHOLE_READ_LIMIT = 16 * 1024 * 1024;

export class PathHasher {
  constructor(
    private readonly root: string,
    private readonly state: StateCache,
  ) {}

  /**
   * Hash of the repo-relative path `rel`, or undefined if it does not exist. With a `sink`,
   * every file is also handed to it (read once) unless the sink already has its object.
   */
  hash(rel: RepoPath, sink?: ObjectSink): PathHash | undefined {
    const abs = joinInside(this.root, rel);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      return undefined;
    }
    if (stat.isDirectory()) return this.hashDirectory(rel, abs, sink);
    return { hash: this.hashFile(rel, abs, stat, sink), size: stat.size };
  }

  /** Hash of one file, from the state cache when its inode, mtime and size are unchanged. */
  hashFile(rel: string, abs: string, stat: fs.Stats, sink?: ObjectSink): Sha256 {
    const known = this.state.get(rel, stat);
    if (known && (!sink || sink.has(known))) return known;
    if (stat.size > WHOLE_READ_LIMIT) {
      const hash = known ?? hashFileSync(abs);
      this.state.set(rel, stat, hash);
      sink?.putFile(abs, hash);
      return hash;
    }
    const bytes = fs.readFileSync(abs);
    const hash = hashBytes(bytes);
    this.state.set(rel, stat, hash);
    sink?.putBytes(bytes, hash);
    return hash;
  }

  /** Records a hash computed elsewhere (e.g. while copying into the cache). */
  remember(rel: RepoPath, hash: Sha256): void {
    const stat = fs.statSync(joinInside(this.root, rel));
    this.state.set(rel, stat, hash);
  }

  private hashDirectory(rel: RepoPath, abs: string, sink: ObjectSink | undefined): PathHash {
    const manifest: ManifestEntry[] = [];
    let size = 0;
    const walk = (dirAbs: string, prefix: string): void => {
      const entries = fs.readdirSync(dirAbs, { withFileTypes: true });
      for (const entry of entries) {
        const childAbs = path.join(dirAbs, entry.name);
        // Names from the filesystem: never empty, `.`, `..` or containing `/`.
        const childRel = (prefix ? `${prefix}/${entry.name}` : entry.name) as EntryPath;
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          const target = fs.statSync(childAbs, { throwIfNoEntry: false });
          isDir = target?.isDirectory() ?? false;
          isFile = target?.isFile() ?? false;
        }
        if (isDir) {
          walk(childAbs, childRel);
        } else if (isFile) {
          const stat = fs.statSync(childAbs);
          const hash = this.hashFile(`${rel}/${childRel}`, childAbs, stat, sink);
          manifest.push({ path: childRel, hash, size: stat.size });
          size += stat.size;
        }
      }
    };
    walk(abs, '');
    manifest.sort((a, b) => compareStrings(a.path, b.path));
    return { hash: hashBytes(serializeManifest(manifest)), size, nfiles: manifest.length, manifest };
  }
}
