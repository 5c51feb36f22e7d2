/**
 * Hashes workspace paths: a file by its bytes, a directory by the sha256 of its manifest — the
 * sorted list of (relative path, hash, size) of every file inside it. Unchanged files are looked
 * up in the state cache instead of being read; a directory none of whose files changed (the same
 * paths with the same stat signatures: one stat each) gets its recorded hash back without its
 * manifest being built, serialised or hashed — the manifest is then built only if a caller reads it.
 */
import { type IgnoreScope, type MlpIgnore } from './mlpignore.js';
import fs from 'node:fs';
import { MlpError } from '../errors.js';
import { joinInside, type EntryPath, type RepoPath } from '../schema/repo-path.js';
import type { Sha256 } from '../schema/sha256.js';
import { hashBytes, hashFileSync } from './hash-file.js';
import type { StateCache } from './state-cache.js';
import type { FileIdentity, Signed } from '../util/stat-signature.js';

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
  /**
   * Stores many files at once, where the sink can do that faster (on several threads): the hash
   * and stored signature of each, or undefined for those `add` must do one by one.
   * `onStored(i)` hears that file `i` is done.
   */
  addMany?(files: readonly SinkFile[], onStored: (index: number) => void): ({ hash: Sha256; stat: FileIdentity } | undefined)[];
}

/** A file for `FileSink.addMany`: its repository path, absolute path and stat. */
export interface SinkFile {
  rel: string;
  abs: string;
  stat: fs.Stats;
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
    const files = walkFiles(rel, abs, this.ignore?.scope(rel), compactStat);
    const digest = signatureDigest(files);
    const recorded = this.state.getDirectory(rel, digest);
    if (recorded) return withLazyManifest(recorded, () => this.manifestOf(this.entriesOf(rel, files)).manifest as ManifestEntry[]);
    const hashed = this.manifestOf(this.entriesOf(rel, files));
    this.state.setDirectory(rel, digest, { hash: hashed.hash, size: hashed.size, nfiles: files.length });
    return hashed;
  }

  private entriesOf(rel: string, files: readonly WalkedFile<Signed>[]): ManifestEntry[] {
    return files.map((f) => ({ path: f.rel, hash: this.hashFile(`${rel}/${f.rel}`, f.abs, f.stat), size: f.stat.size }));
  }

  /**
   * Records that directory `rel` holds `info` (whose manifest is `manifest`), e.g. right after a
   * checkout wrote it, so that the next status need not build its manifest. Only when every
   * file there now is exactly a manifest entry whose hash the state holds for the file's current
   * signature; otherwise nothing is recorded and the next hash works it out. `written`: the
   * signatures of files the caller has just written there (by entry path), taken instead of a
   * stat of each (the directory is still listed: the digest follows the order a walk finds).
   */
  recordDirectory(rel: RepoPath, info: { hash: Sha256; size: number; nfiles: number }, manifest: readonly ManifestEntry[], written?: ReadonlyMap<string, Signed>): void {
    const abs = joinInside(this.root, rel);
    let files: WalkedFile<Signed>[];
    try {
      files = walkFiles(rel, abs, this.ignore?.scope(rel), compactStat, written);
    } catch {
      return; // a special file or an unreadable directory: the next hash reports it
    }
    if (files.length !== manifest.length || manifest.length !== info.nfiles) return;
    const wanted = new Map<string, ManifestEntry>(manifest.map((e) => [e.path, e]));
    for (const f of files) {
      const entry = wanted.get(f.rel);
      if (!entry || entry.size !== f.stat.size || this.state.get(`${rel}/${f.rel}`, f.stat) !== entry.hash) return;
    }
    this.state.setDirectory(rel, signatureDigest(files), info);
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
      const known = this.knownStored(rel, stat, sink);
      const stored = known ? { hash: known, stat } : await this.addToSink(rel, abs, stat, sink, progress);
      progress?.stored(stored.stat.size);
      return { hash: stored.hash, size: stored.stat.size };
    }
    const manifest: ManifestEntry[] = [];
    const files = walkFiles(rel, abs, this.ignore?.scope(rel));
    progress?.found(
      files.length,
      files.reduce((n, f) => n + f.stat.size, 0),
    );
    // The signatures of what was stored (a file may change while it is read): the directory's
    // record is valid for exactly those.
    const stored = new Array<{ hash: Sha256; stat: Signed }>(files.length);
    const pending: number[] = [];
    files.forEach((f, i) => {
      const known = this.knownStored(`${rel}/${f.rel}`, f.stat, sink);
      if (known) {
        stored[i] = { hash: known, stat: f.stat };
        progress?.stored(f.stat.size);
      } else pending.push(i);
    });
    const toStore: SinkFile[] = pending.map((i) => {
      const f = files[i] as WalkedFile;
      return { rel: `${rel}/${f.rel}`, abs: f.abs, stat: f.stat };
    });
    // Many at once where the sink can (on several threads); the rest, and any it left, one by one.
    const many = toStore.length > 1 ? (sink.addMany?.(toStore, (k) => progress?.stored((toStore[k] as SinkFile).stat.size)) ?? []) : [];
    for (const [k, i] of pending.entries()) {
      const file = toStore[k] as SinkFile;
      let one = many[k];
      if (one) this.state.set(file.rel, one.stat, one.hash);
      else {
        one = await this.addToSink(file.rel, file.abs, file.stat, sink, progress);
        progress?.stored(one.stat.size);
      }
      stored[i] = one;
    }
    const storedFiles: WalkedFile<Signed>[] = files.map((f, i) => {
      const s = stored[i] as { hash: Sha256; stat: Signed };
      manifest.push({ path: f.rel, hash: s.hash, size: s.stat.size });
      return s.stat === f.stat ? f : { ...f, stat: s.stat };
    });
    const hashed = this.manifestOf(manifest);
    this.state.setDirectory(rel, signatureDigest(storedFiles), { hash: hashed.hash, size: hashed.size, nfiles: manifest.length });
    return hashed;
  }

  /** The hash of file `rel` when the state cache knows it for `stat` and the sink holds that object. */
  private knownStored(rel: string, stat: Signed, sink: FileSink): Sha256 | undefined {
    const known = this.state.get(rel, stat);
    return known && sink.has(known) ? known : undefined;
  }

  /** Stores one file in the sink: the hash and stat of what was stored (the file may have changed since `stat` was taken). */
  private async addToSink(rel: string, abs: string, stat: fs.Stats, sink: FileSink, progress?: StoreProgress): Promise<{ hash: Sha256; stat: fs.Stats }> {
    const stored = await sink.add(rel, abs, stat, progress?.reading ? (bytes) => progress.reading?.(bytes) : undefined);
    this.state.set(rel, stored.stat, stored.hash);
    return stored;
  }

  /** Hash of one file, from the state cache when its inode, mtime and size are unchanged. */
  hashFile(rel: string, abs: string, stat: Signed): Sha256 {
    const known = this.state.get(rel, stat);
    if (known) return known;
    const hash = stat.size > WHOLE_READ_LIMIT ? hashFileSync(abs) : hashBytes(fs.readFileSync(abs));
    this.state.set(rel, stat, hash);
    return hash;
  }

  /** Records a hash computed elsewhere (e.g. while copying into the cache). */
  remember(rel: RepoPath, hash: Sha256, stat: Signed = fs.statSync(joinInside(this.root, rel))): void {
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

/**
 * A digest of the paths and stat signatures of `files`, in walk order (the order readdir gives,
 * stable while a directory is unchanged; another order only costs a recomputation). Equal
 * digests mean the same files with the same signatures: then their hashes, and the directory's,
 * are the recorded ones — the same trust the state cache puts in one file's signature.
 */
function signatureDigest(files: readonly WalkedFile<Signed>[]): string {
  let text = '';
  for (const f of files) text += `${f.rel}\0${f.stat.ino}:${f.stat.mtimeMs}:${f.stat.size}\n`;
  return hashBytes(text);
}

/** A directory's recorded hash, with its manifest built only when something reads it. */
function withLazyManifest(record: { hash: Sha256; size: number; nfiles: number }, build: () => ManifestEntry[]): PathHash {
  let manifest: ManifestEntry[] | undefined;
  return {
    hash: record.hash,
    size: record.size,
    nfiles: record.nfiles,
    get manifest(): ManifestEntry[] {
      return (manifest ??= build());
    },
  };
}

/** Files up to this size are read whole (one read, no chunking). */
const WHOLE_READ_LIMIT = 16 * 1024 * 1024;

/**
 * Every file under directory `abs` (the workspace path `rel`), following symlinks, with its path
 * relative to `abs`. A FIFO, socket or device inside is an error that names it: opening a FIFO
 * blocks until a writer comes, and the others have no content to store.
 */
interface WalkedFile<S extends Signed = fs.Stats> {
  rel: EntryPath;
  abs: string;
  stat: S;
}

/** Only the signature of a stat: what a walk that only hashes keeps of each file (see `Signed`). */
function compactStat(stat: fs.Stats): Signed {
  return { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
}

function walkFiles(rel: string, abs: string, ignore?: IgnoreScope): WalkedFile[];
function walkFiles<S extends Signed>(rel: string, abs: string, ignore: IgnoreScope | undefined, keep: (stat: fs.Stats) => S, known?: ReadonlyMap<string, S>): WalkedFile<S>[];
function walkFiles(rel: string, abs: string, ignore?: IgnoreScope, keep?: (stat: fs.Stats) => Signed, known?: ReadonlyMap<string, Signed>): WalkedFile<Signed>[] {
  const files: WalkedFile<Signed>[] = [];
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
      else if (isFile) {
        // A regular file (not a symlink) whose signature the caller knows.
        const signature = entry.isFile() ? known?.get(childRel) : undefined;
        if (signature) {
          files.push({ rel: childRel, abs: childAbs, stat: signature });
          continue;
        }
        const stat = fs.statSync(childAbs);
        files.push({ rel: childRel, abs: childAbs, stat: keep ? keep(stat) : stat });
      }
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
