/**
 * Content-addressed object store: `.mlp/cache/files/sha256/<2 hex>/<62 hex>`. Objects are
 * written to a temp file in the store and renamed into place, so a reader never sees a partial
 * object, and they are made read-only. Directory manifests are stored as objects too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, errorCode } from '../errors.js';
import { hashBytes, hashFileSync } from '../hash/hash-file.js';
import { serializeManifest, type ManifestEntry } from '../hash/hash-path.js';
import { parseManifest } from '../schema/manifest.js';
import { hashFromNames, type Sha256 } from '../schema/sha256.js';

export { LINK_TYPES, type LinkType } from '../schema/config.js';

export class ObjectStore {
  readonly objectsDir: string;
  private readonly tmpDir: string;

  constructor(readonly cacheDir: string) {
    this.objectsDir = path.join(cacheDir, 'files', 'sha256');
    this.tmpDir = path.join(cacheDir, 'tmp');
  }

  /** Object paths are built only from a `Sha256`: a hash read from a file cannot name a path. */
  objectPath(hash: Sha256): string {
    return path.join(this.objectsDir, hash.slice(0, 2), hash.slice(2));
  }

  has(hash: Sha256): boolean {
    return fs.existsSync(this.objectPath(hash));
  }

  private tmpReady = false;
  private tmpCounter = 0;
  private readonly tmpPrefix = `${process.pid}-${randomBytes(4).toString('hex')}-`;

  private readonly shardsReady = new Set<string>();

  /**
   * A fresh temp path on the same filesystem as the objects, so that rename is atomic. With the
   * object's hash known, the temp file goes in the object's own directory: a rename within one
   * directory costs about half of one across directories here, which matters for many small files.
   */
  tempPath(hash?: Sha256): string {
    if (hash === undefined) {
      if (!this.tmpReady) {
        fs.mkdirSync(this.tmpDir, { recursive: true });
        this.tmpReady = true;
      }
      return path.join(this.tmpDir, this.tmpPrefix + String(this.tmpCounter++));
    }
    const shard = path.join(this.objectsDir, hash.slice(0, 2));
    if (!this.shardsReady.has(shard)) {
      fs.mkdirSync(shard, { recursive: true });
      this.shardsReady.add(shard);
    }
    return path.join(shard, `${hash.slice(2)}.${this.tmpPrefix}${this.tmpCounter++}.tmp`);
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
  }

  /**
   * Stores the workspace file `src`, whose hash is known, unless the object exists. With
   * `link` the object shares the file's inode (hardlink cache type); otherwise it is a copy
   * (a reflink where the filesystem supports it), so editing the workspace file later cannot
   * touch the object.
   */
  putFile(src: string, hash: Sha256, link = false): void {
    if (this.has(hash)) return;
    const tmp = this.tempPath(hash);
    try {
      if (link) fs.linkSync(src, tmp);
      else fs.copyFileSync(src, tmp, fs.constants.COPYFILE_FICLONE);
      this.commitTemp(tmp, hash);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  /**
   * Copies `src` into the store while hashing it, in one pass over the page cache: the kernel
   * copies on a libuv thread while this thread hashes. Used for large files.
   */
  async putFileHashing(src: string): Promise<{ hash: Sha256; size: number }> {
    const before = fs.statSync(src);
    const tmp = this.tempPath();
    try {
      const copying = fs.promises.copyFile(src, tmp, fs.constants.COPYFILE_FICLONE);
      const hash = hashFileSync(src);
      await copying;
      const after = fs.statSync(src);
      if (after.mtimeMs !== before.mtimeMs || after.size !== before.size) {
        throw new MlpError(`${src} changed while it was being added to the cache`, { hint: 'run the command again' });
      }
      if (this.has(hash)) fs.rmSync(tmp, { force: true });
      else this.commitTemp(tmp, hash);
      return { hash, size: before.size };
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  putBytes(data: string | Uint8Array, knownHash?: Sha256): Sha256 {
    const hash = knownHash ?? hashBytes(data);
    if (this.has(hash)) return hash;
    const tmp = this.tempPath(hash);
    try {
      fs.writeFileSync(tmp, data, { mode: 0o444 });
      this.commitTemp(tmp, hash, true);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
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
    if (hashBytes(text) !== hash) throw corruptObject(this.objectPath(hash));
    const entries = parseManifest(text, this.displayPath(hash));
    this.manifests.set(hash, entries);
    return entries;
  }

  /** `.mlp/cache/files/sha256/ab/cdef…`, as messages show an object. */
  private displayPath(hash: Sha256): string {
    const root = path.dirname(path.dirname(this.cacheDir));
    return path.relative(root, this.objectPath(hash)).split(path.sep).join('/');
  }

  /** Re-hashes an object and reports whether its content still matches its name. */
  verify(hash: Sha256): boolean {
    try {
      return hashFileSync(this.objectPath(hash)) === hash;
    } catch {
      return false;
    }
  }

  /** Removes an object whose content no longer matches its name. */
  quarantine(hash: Sha256): void {
    const file = this.objectPath(hash);
    fs.rmSync(file, { force: true });
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

export function corruptObject(file: string): MlpError {
  return new MlpError(`cache object ${file} is corrupted (its content does not match its hash)`, {
    hint: 'it has been removed; run `mlp pull` to fetch a good copy or `mlp repro -f` to rebuild it',
  });
}
