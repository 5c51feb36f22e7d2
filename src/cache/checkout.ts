/**
 * Moves data between the workspace and the object store: `save` records a workspace path in the
 * cache, `checkout` makes a workspace path match a recorded hash. Files are materialised with the
 * first link type in `cache.type` that the filesystem supports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, errorCode } from '../errors.js';
import type { HashInfo, ManifestEntry, PathHash, PathHasher, SinkFile, StoreProgress } from '../hash/hash-path.js';
import { SymlinkGuard, checkedInside, joinEntry, joinInside, type RepoPath } from '../schema/repo-path.js';
import type { Sha256 } from '../schema/sha256.js';
import { readUpTo, removePath, startDirectoryBuild } from '../util/fs.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { hashBytes } from '../hash/hash-file.js';
import type { FileIdentity, Signed } from '../util/stat-signature.js';
import { copyObjects, type CopyItem } from '../objects/bulk-copy.js';
import type { AlsoWrite } from '../objects/transfer.js';
import { BULK_MIN, isItemError } from '../util/bulk.js';
import { storeFiles } from './bulk-store.js';
import { REMEMBER_CHECKS_ABOVE, SYNC_ADD_LIMIT, corruptObject, type LinkType, type ObjectStore, type StoredFile } from './object-store.js';
import type { PlacedRecord } from './placed-record.js';
import { UnsavedChangesError, filesToDiscard } from './unsaved.js';

export type CheckoutOutcome = 'unchanged' | 'restored';

/** A hash the cache does not hold; `path` is the workspace path that needs it. */
export class MissingObjectError extends MlpError {
  constructor(
    readonly path: string,
    readonly hash: Sha256,
  ) {
    super(`${path}: its data (${hash.slice(0, 12)}) is not in the cache`, {
      hint: 'run `mlp pull` to fetch it from a remote, or `mlp repro` to rebuild it',
    });
  }
}

const FALLBACK_ERRORS = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EPERM', 'EMLINK', 'EINVAL', 'ENOSYS', 'EACCES']);

/**
 * A path started before its data was fetched (`prepareNewPaths`): a private directory beside its
 * place that is the new directory, or holds the new file under its own name.
 */
interface EarlyPlace {
  build: string;
  dirs: Directories;
  /** Files the fetch wrote there, by entry path ('' for a file): the object whose bytes they hold, and their stat. */
  written: Map<string, { hash: Sha256; stat: Signed }>;
}

export class CacheCheckout {
  /** Link types that failed once in this process are not tried again. */
  private readonly unsupported = new Set<LinkType>();
  /** Places started by `prepareNewPaths` that no checkout has taken yet. */
  private readonly early = new Map<RepoPath, EarlyPlace>();
  /** The cache is on another filesystem than the workspace: temp files go next to their destination. */
  private crossDevice = false;

  constructor(
    private readonly root: string,
    readonly store: ObjectStore,
    private readonly linkTypes: readonly LinkType[],
    private readonly hasher: PathHasher,
    /** Where every path checked out or saved is noted, for `mlp checkout` after a branch switch. */
    private readonly placed?: PlacedRecord,
  ) {}

  /** Whether saving hardlinks workspace files into the cache instead of copying them. */
  get savesByLink(): boolean {
    return this.linkTypes.find((t) => !this.unsupported.has(t)) === 'hardlink';
  }

  /**
   * Hashes the workspace path `rel` and stores it in the cache in the same pass: each file's
   * object holds exactly the bytes that were hashed (a file changing meanwhile is read again, or
   * the command fails). Large files are copied and hashed without blocking the event loop.
   * Returns undefined if the path does not exist. `copy` stores copies even where the cache type
   * is hardlink (outputs git tracks stay private, writable files).
   */
  async hashAndSave(rel: RepoPath, signal?: AbortSignal, copy?: 'copy', progress?: StoreProgress): Promise<PathHash | undefined> {
    checkedInside(this.root, rel);
    const hashed = await this.hasher.hashAndStore(
      rel,
      {
        has: (hash) => this.store.has(hash),
        add: (fileRel, abs, stat, onBytes) => this.addFile(fileRel, abs, stat, signal, copy, onBytes),
        // Copies of many files go through both cores; links cost no copy, so they stay here.
        ...(this.savesByLink && !copy ? {} : { addMany: (files: readonly SinkFile[], onStored: (index: number) => void) => this.storeMany(files, onStored) }),
      },
      progress,
    );
    if (hashed?.manifest) this.store.putManifest(hashed.manifest);
    if (hashed) this.placed?.note(rel, hashed.hash);
    return hashed;
  }

  /** Stores copies of `files` on all cores (src/util/bulk.ts); undefined for those left to `addFile`. */
  private storeMany(files: readonly SinkFile[], onStored: (index: number) => void): ({ hash: Sha256; stat: FileIdentity } | undefined)[] {
    const which = files.flatMap((f, i) => (f.stat.size <= SYNC_ADD_LIMIT ? [i] : []));
    if (which.length < BULK_MIN) return [];
    const items = which.map((i) => {
      const { rel, abs, stat } = files[i] as SinkFile;
      return { abs, label: rel, dev: stat.dev, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
    });
    const onItems = (from: number, to: number): void => {
      for (let k = from; k < to; k++) onStored(which[k] as number);
    };
    const out: ({ hash: Sha256; stat: FileIdentity } | undefined)[] = [];
    storeFiles(this.store, items, onItems).forEach((r, k) => {
      // A file that failed (changed while read, unreadable) is done again by `addFile`, whose error the user sees.
      if (!isItemError(r)) out[which[k] as number] = r;
    });
    return out;
  }

  private async addFile(
    rel: string,
    abs: string,
    stat: fs.Stats,
    signal: AbortSignal | undefined,
    copy: 'copy' | undefined,
    onBytes?: (bytes: number) => void,
  ): Promise<StoredFile> {
    if (this.savesByLink && !copy) {
      try {
        return await this.store.addFile(abs, stat, { link: true, label: rel, signal, ...(onBytes ? { onBytes } : {}) });
      } catch (error) {
        if (!FALLBACK_ERRORS.has(errorCode(error) ?? '')) throw error;
        this.unsupported.add('hardlink');
      }
    }
    return this.store.addFile(abs, stat, { label: rel, signal, ...(onBytes ? { onBytes } : {}) });
  }

  /**
   * Stores the workspace path `rel`, which the caller hashed as `hashed`. Fails if its content
   * is no longer what was hashed.
   */
  async save(rel: RepoPath, hashed: PathHash): Promise<void> {
    const now = await this.hashAndSave(rel);
    if (now?.hash !== hashed.hash) {
      throw new MlpError(`${rel} changed after mlp hashed it`, { hint: 'run the command again' });
    }
  }

  /**
   * Gives the workspace path `rel` private copies of any files that share their data with the
   * cache (hardlinks, symlinks), so that a command may write to them in place — needed for
   * `persist` outputs, which are not deleted before their stage runs.
   */
  unprotect(rel: RepoPath): void {
    const abs = checkedInside(this.root, rel);
    const walk = (file: string): void => {
      const stat = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!stat) return;
      if (stat.isDirectory()) {
        for (const name of fs.readdirSync(file)) walk(path.join(file, name));
        return;
      }
      if (!stat.isSymbolicLink() && stat.nlink < 2) return;
      const tmp = `${file}.mlp-unprotect.tmp`;
      fs.copyFileSync(file, tmp);
      fs.chmodSync(tmp, 0o644);
      fs.renameSync(tmp, file);
    };
    walk(abs);
  }

  /** Whether every object needed to check out `info` is in the cache. */
  isComplete(info: HashInfo): boolean {
    if (!this.store.has(info.hash)) return false;
    if (info.nfiles === undefined) return true;
    return this.store.readManifest(info.hash).every((e) => this.store.has(e.hash));
  }

  /**
   * Makes workspace path `rel` match `info`, restoring from the cache what differs. Unless
   * `force`, nothing is touched if that would overwrite or delete a file whose content is not in
   * the cache: an `UnsavedChangesError` lists those files. `copy` places private copies whatever
   * the configured cache types (outputs git tracks: they must look like files from git).
   * `relink` (DVC's `checkout --relink`) places the files again with the configured link type
   * even when they already match: each is replaced by a rename, never deleted first, and only
   * from a verified cache object (if the cache lacks it, the workspace copy is left alone).
   */
  checkout(rel: RepoPath, info: HashInfo, current?: PathHash, force = false, copy?: 'copy', relink = false): CheckoutOutcome {
    // Checked before anything is read or written: the filesystem may have changed since load.
    const guard = new SymlinkGuard(this.root);
    guard.check(rel);
    const now = current ?? this.hasher.hash(rel);
    const abs = joinInside(this.root, rel);
    if (now && now.hash === info.hash) {
      if (relink) this.relink(rel, abs, info, guard, copy);
      this.placed?.note(rel, info.hash);
      return relink ? 'restored' : 'unchanged';
    }
    const outcome = this.restore(rel, abs, info, now, guard, force, copy);
    this.placed?.note(rel, info.hash);
    return outcome;
  }

  /** Re-creates `rel`, whose content already is `info`, from the cache (see `checkout`). */
  private relink(rel: RepoPath, abs: string, info: HashInfo, guard: SymlinkGuard, copy: 'copy' | undefined): void {
    const read = new VerifiedBytes();
    if (info.nfiles === undefined) {
      this.verifyObject(rel, info.hash, info.size, read);
      this.materialize(info.hash, abs, rel, copy, info.size, read);
      return;
    }
    if (!this.store.has(info.hash)) throw new MissingObjectError(rel, info.hash);
    const manifest = this.store.readManifest(info.hash);
    for (const entry of manifest) this.verifyObject(`${rel}/${entry.path}`, entry.hash, entry.size, read);
    for (const entry of manifest) {
      const entryRel = joinEntry(rel, entry.path);
      guard.check(entryRel);
      this.materialize(entry.hash, path.join(abs, entry.path), entryRel, copy, entry.size, read);
    }
    this.hasher.recordDirectory(rel, { hash: info.hash, size: info.size, nfiles: info.nfiles }, manifest);
  }

  private restore(rel: RepoPath, abs: string, info: HashInfo, now: PathHash | undefined, guard: SymlinkGuard, force: boolean, copy: 'copy' | undefined): CheckoutOutcome {
    const read = new VerifiedBytes();
    if (info.nfiles === undefined) {
      // Written during the fetch of a pull, beside its place.
      const early = now === undefined ? this.takeEarly(rel) : undefined;
      const there = early?.written.get('');
      if (early && there?.hash === info.hash) {
        fs.renameSync(path.join(early.build, path.basename(abs)), abs);
        removePath(early.build);
        this.hasher.remember(rel, info.hash, there.stat);
        return 'restored';
      }
      if (early) removePath(early.build);
      this.verifyObject(rel, info.hash, info.size, read);
      if (!force) this.refuseUnsaved(rel, now, info.hash, undefined);
      if (now) removePath(abs);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      this.materialize(info.hash, abs, rel, copy, info.size, read);
      return 'restored';
    }
    if (!this.store.has(info.hash)) throw new MissingObjectError(rel, info.hash);
    const manifest = this.store.readManifest(info.hash);
    let written: Map<string, Signed> | undefined;
    if (now === undefined) {
      written = this.checkoutNewDirectory(rel, abs, manifest, copy);
    } else {
      for (const entry of manifest) this.verifyObject(`${rel}/${entry.path}`, entry.hash, entry.size, read);
      if (!force) this.refuseUnsaved(rel, now, info.hash, manifest);
      this.checkoutDirectory(rel, abs, manifest, now, guard, copy, read);
    }
    // The next status finds the directory unchanged by one stat per file, without its manifest.
    this.hasher.recordDirectory(rel, { hash: info.hash, size: info.size, nfiles: info.nfiles }, manifest, written);
    return 'restored';
  }

  private refuseUnsaved(rel: RepoPath, now: PathHash | undefined, hash: Sha256, manifest: ManifestEntry[] | undefined): void {
    const inCache = (h: Sha256): boolean => this.store.has(h);
    const files = filesToDiscard(rel, now, hash, manifest, inCache);
    // A wanted entry that the workspace hash left out (a file `.mlpignore` now matches) is still
    // overwritten when it is written: its content must be saved too.
    if (now?.manifest && manifest) {
      const seen = new Set<string>(now.manifest.map((e) => e.path));
      for (const entry of manifest) {
        if (seen.has(entry.path)) continue;
        const there = this.hasher.hash(joinEntry(rel, entry.path));
        if (there && there.hash !== entry.hash && !(there.manifest ? there.manifest.every((e) => inCache(e.hash)) : inCache(there.hash))) {
          files.push(`${rel}/${entry.path}`);
        }
      }
    }
    if (files.length > 0) throw new UnsavedChangesError(rel, files);
  }

  private checkoutDirectory(
    rel: RepoPath,
    abs: string,
    manifest: ManifestEntry[],
    now: PathHash | undefined,
    guard: SymlinkGuard,
    copy: 'copy' | undefined,
    read: VerifiedBytes,
  ): void {
    if (now && !now.manifest) removePath(abs); // a file where a directory belongs
    const existing = new Map((now?.manifest ?? []).map((e) => [e.path as string, e.hash]));
    const wanted = new Set<string>(manifest.map((e) => e.path));
    // Hashing follows symlinked subdirectories, so both what is there and what is wanted may lead
    // outside: every path is checked before it is deleted or written.
    for (const entry of now?.manifest ?? []) {
      if (wanted.has(entry.path)) continue;
      guard.check(joinEntry(rel, entry.path));
      removePath(path.join(abs, entry.path));
    }
    const dirs = new Directories();
    for (const entry of manifest) {
      const have = existing.get(entry.path);
      if (have === entry.hash) continue;
      const entryRel = joinEntry(rel, entry.path);
      const fileAbs = path.join(abs, entry.path);
      const parent = path.dirname(fileAbs);
      // A directory this checkout created holds only what it wrote there: no symlink can be in
      // the way and nothing needs removing, so its files cost no lstat and no failing mkdir.
      if (dirs.createdHere(parent) !== true) {
        guard.check(entryRel);
        if (have !== undefined) removePath(fileAbs);
        dirs.make(parent);
      }
      this.materialize(entry.hash, fileAbs, entryRel, copy, entry.size, read);
    }
    dirs.make(abs); // an empty directory is checked out too
  }

  /**
   * A directory where nothing is yet (the usual `pull` or `checkout` after a clone): it is built
   * in a private temp directory beside `abs` (`startDirectoryBuild`) and renamed into place whole,
   * so each file costs one creation (no temp file and rename per file) and a command killed
   * half-way leaves no partial directory, only an owner-tagged temp directory that the next
   * checkout of the path removes.
   * Copies of small objects are written on all cores (src/util/bulk.ts), each from bytes read
   * and hashed just before; other link types go through `materialize`, one by one. A missing or
   * damaged object stops the checkout with the workspace as it was. Returns the stat signatures of
   * the files written in bulk, by entry path (the rename leaves them as they were).
   */
  private checkoutNewDirectory(rel: RepoPath, abs: string, manifest: readonly ManifestEntry[], copy: 'copy' | undefined): Map<string, Signed> {
    // Started during the fetch of a pull, with the files it could write already there.
    const early = this.takeEarly(rel);
    const build = early?.build ?? startDirectoryBuild(abs);
    try {
      const dirs = early?.dirs ?? new Directories();
      dirs.markCreated(build);
      const read = new VerifiedBytes();
      // Small copies are written in bulk; other link types one by one.
      const copies = copy === 'copy' || this.copiesInto(build);
      const bulk: ManifestEntry[] = [];
      const written = new Map<string, Signed>();
      for (const entry of manifest) {
        const entryRel = joinEntry(rel, entry.path);
        const there = early?.written.get(entry.path);
        if (there?.hash === entry.hash) {
          this.hasher.remember(entryRel, entry.hash, there.stat);
          written.set(entry.path, there.stat);
          continue;
        }
        const dest = path.join(build, entry.path);
        dirs.make(path.dirname(dest));
        if (copies && entry.size <= WRITE_WHOLE_LIMIT) {
          bulk.push(entry);
          continue;
        }
        this.verifyObject(entryRel, entry.hash, entry.size, read);
        this.materialize(entry.hash, dest, entryRel, copy, entry.size, read);
      }
      if (bulk.length > 0) this.placeMany(rel, build, bulk).forEach((stat, i) => stat && written.set((bulk[i] as ManifestEntry).path, stat));
      fs.renameSync(build, abs);
      return written;
    } catch (error) {
      removePath(build);
      throw error;
    }
  }

  /**
   * Pull (src/remote/transfer.ts, `fetch`): each path of `wanted` that does not exist yet and
   * will be a copy is started now, as `checkoutNewDirectory` starts a directory (a file gets a
   * private directory of its own beside its place), and the fetch writes each file's verified
   * bytes there as well as into the cache: one read and one hash serve both, and the workspace
   * files are written while the cache's are. The checkout that follows writes what the fetch did
   * not report (objects the cache had, a failed item) and renames the result into place;
   * `discardEarly` removes what no checkout took.
   */
  prepareNewPaths(wanted: readonly { path: RepoPath; info: HashInfo }[]): AlsoWrite {
    const destinations = new Map<Sha256, string[]>();
    const byDest = new Map<string, { early: EarlyPlace; key: string; hash: Sha256 }>();
    const add = (early: EarlyPlace, key: string, hash: Sha256, dest: string): void => {
      byDest.set(dest, { early, key, hash });
      const list = destinations.get(hash);
      if (list) list.push(dest);
      else destinations.set(hash, [dest]);
    };
    const guard = new SymlinkGuard(this.root);
    for (const { path: rel, info } of wanted) {
      if (this.early.has(rel)) continue;
      let build: string;
      let manifest: ManifestEntry[] | undefined;
      try {
        guard.check(rel);
        const abs = joinInside(this.root, rel);
        if (fs.statSync(abs, { throwIfNoEntry: false }) !== undefined) continue;
        manifest = info.nfiles === undefined ? undefined : this.store.readManifest(info.hash);
        build = startDirectoryBuild(abs);
      } catch {
        continue; // the checkout meets it again and reports it
      }
      if (!this.copiesInto(build)) {
        removePath(build);
        continue;
      }
      const early: EarlyPlace = { build, dirs: new Directories(), written: new Map() };
      early.dirs.markCreated(build);
      this.early.set(rel, early);
      if (!manifest) {
        add(early, '', info.hash, path.join(build, path.basename(rel)));
        continue;
      }
      for (const entry of manifest) {
        const dest = path.join(build, entry.path);
        early.dirs.make(path.dirname(dest));
        add(early, entry.path, entry.hash, dest);
      }
    }
    return {
      destinations,
      written: (dest, stat) => {
        const target = byDest.get(dest);
        target?.early.written.set(target.key, { hash: target.hash, stat });
      },
    };
  }

  /** Removes the places `prepareNewPaths` started that no checkout took (a pull that stopped early). */
  discardEarly(): void {
    for (const early of this.early.values()) removePath(early.build);
    this.early.clear();
  }

  /** The place `prepareNewPaths` started for `rel`, now the checkout's to finish or remove. */
  private takeEarly(rel: RepoPath): EarlyPlace | undefined {
    const early = this.early.get(rel);
    this.early.delete(rel);
    return early;
  }

  /**
   * Whether files checked out into `dir` (a private directory) are copies with this cache's types:
   * a reflink is tried once there, as `materialize` would on the first file.
   */
  private copiesInto(dir: string): boolean {
    for (const type of this.linkTypes) {
      if (this.unsupported.has(type)) continue;
      if (type === 'copy') return true;
      if (type !== 'reflink') return false;
      const source = this.store.tempPath();
      try {
        fs.writeFileSync(source, 'probe');
        linkOrCopy('reflink', source, path.join(dir, 'probe'));
        return false;
      } catch (error) {
        if (!FALLBACK_ERRORS.has(errorCode(error) ?? '')) return false;
        this.unsupported.add('reflink');
      } finally {
        fs.rmSync(source, { force: true });
        fs.rmSync(path.join(dir, 'probe'), { force: true });
      }
    }
    return false;
  }

  /**
   * Writes the small files `entries` of directory `rel` into `build`, its new directory, on all
   * cores; see `checkoutNewDirectory`. Returns the stat signature of each file written in bulk.
   */
  private placeMany(rel: RepoPath, build: string, entries: readonly ManifestEntry[]): (FileIdentity | undefined)[] {
    const items = entries.map((e): CopyItem => ({ hash: e.hash, size: e.size, from: this.store.objectPath(e.hash), dest: path.join(build, e.path) }));
    return copyObjects(items, { mode: 0o644, signatures: true }).map((result, i) => {
      const item = items[i] as CopyItem;
      const entryRel = joinEntry(rel, (entries[i] as ManifestEntry).path);
      // An error (a full disk, permissions): done again here, where the error is the real one.
      if (isItemError(result)) {
        fs.rmSync(item.dest, { force: true });
        if (!this.writeCopy(item.hash, item.size, item.dest, entryRel, undefined)) throw corruptObject(this.store.objectPath(item.hash));
        return;
      }
      if ('problem' in result) {
        if (result.problem === 'missing') throw new MissingObjectError(entryRel, item.hash);
        this.store.quarantine(item.hash);
        throw corruptObject(this.store.objectPath(item.hash));
      }
      if (result.stat) this.hasher.remember(entryRel, item.hash, result.stat);
      return result.stat;
    });
  }

  /**
   * Checks that object `hash` still matches its name before it is used (see ObjectStore.check).
   * A small object (of recorded `size`) is read and hashed, and its bytes kept in `read` for
   * writing it: one read serves checking and copying.
   */
  private verifyObject(rel: string, hash: Sha256, size: number | undefined, read: VerifiedBytes): void {
    if (size !== undefined && size <= WRITE_WHOLE_LIMIT) {
      const bytes = readObject(this.store.objectPath(hash), size);
      if (bytes === undefined) throw new MissingObjectError(rel, hash);
      if (bytes.length === size) {
        if (hashBytes(bytes) !== hash) {
          this.store.quarantine(hash);
          throw corruptObject(this.store.objectPath(hash));
        }
        read.keep(hash, bytes);
        return;
      }
    }
    const checked = this.store.check(hash);
    if (checked === 'missing') throw new MissingObjectError(rel, hash);
    if (checked === 'corrupt') throw corruptObject(this.store.objectPath(hash));
  }

  /** Marks object `hash` as verified (it was just written from data of known hash). */
  markVerified(hash: Sha256): void {
    this.store.markVerified(hash);
  }

  /** Places object `hash` at `dest` (whose directory exists); `size`, when known, lets a small copy take the short path. */
  private materialize(hash: Sha256, dest: string, rel: RepoPath, copy: 'copy' | undefined, size: number | undefined, read: VerifiedBytes): void {
    const object = this.store.objectPath(hash);
    for (const type of copy ? [copy] : this.linkTypes) {
      if (this.unsupported.has(type)) continue;
      try {
        if (type === 'copy' && size !== undefined && size <= WRITE_WHOLE_LIMIT && this.writeCopy(hash, size, dest, rel, read.get(hash))) return;
        this.placeAtomically(type, object, dest);
        this.hasher.remember(rel, hash, fs.statSync(dest)); // `dest` may be in a directory not yet in place
        return;
      } catch (error) {
        // A plain copy is the last resort: when it fails (permissions, a full disk) that is the
        // user's problem to see, not a sign that the link type is unsupported here.
        if (type === 'copy' || !FALLBACK_ERRORS.has(errorCode(error) ?? '')) throw error;
        this.unsupported.add(type);
      }
    }
    throw new MlpError(`cannot check out ${rel}: none of the cache types ${this.linkTypes.join(', ')} works here`, {
      hint: 'add `copy` to cache.type in .mlp/config.yaml',
    });
  }

  /**
   * A small object's copy in the fewest system calls: the object is read whole and hashed (what
   * lands in the workspace is verified bytes, whatever happened to the object since it was
   * checked), written to a temp file created with the workspace file's mode (no chmod after) and
   * renamed over `dest`; the temp file's fstat gives the hash state its signature (no stat of
   * `dest`). Seven calls per file, where a kernel copy took fourteen. False (nothing done) when
   * the object's size is not the recorded one: the general path then copies whatever it holds.
   */
  private writeCopy(hash: Sha256, size: number, dest: string, rel: RepoPath, verified: Buffer | undefined): boolean {
    const object = this.store.objectPath(hash);
    let bytes = verified;
    if (bytes === undefined) {
      bytes = readObject(object, size);
      if (bytes === undefined) throw new MissingObjectError(rel, hash);
      if (bytes.length !== size) return false;
      if (hashBytes(bytes) !== hash) {
        this.store.quarantine(hash);
        throw corruptObject(object);
      }
    }
    const stat = this.throughTemp(dest, (tmp) => {
      const out = fs.openSync(tmp, 'wx', 0o644);
      try {
        for (let done = 0; done < bytes.length; ) done += fs.writeSync(out, bytes, done, bytes.length - done);
        return fs.fstatSync(out); // the inode and mtime it sees are dest's after the rename
      } finally {
        fs.closeSync(out);
      }
    });
    this.hasher.remember(rel, hash, stat);
    return true;
  }

  /** Links or copies `object` to `dest` through a temp file (see `throughTemp`). */
  private placeAtomically(type: LinkType, object: string, dest: string): void {
    // rename(2) does nothing when both names are hardlinks of one file (a relink of a workspace
    // file that already is the cache object): the temp name would stay behind.
    this.throughTemp(dest, (tmp) => linkOrCopy(type, object, tmp), type === 'hardlink');
  }

  /**
   * Fills a temp file with `fill`, then renames it over `dest`: a command killed half-way through
   * a copy never leaves a truncated workspace file, which the next checkout would have to treat as
   * unsaved work. The temp file is in the cache's temp folder (owner-marked, swept after a killed
   * command); where the cache is on another filesystem (rename fails with EXDEV) it is an
   * owner-marked temp next to `dest` instead, so the swap stays atomic there too.
   */
  private throughTemp<T>(dest: string, fill: (tmp: string) => T, mayStay = false): T {
    for (const tmp of this.crossDevice ? [] : [this.store.tempPath()]) {
      try {
        return renamed(tmp, dest, fill, mayStay);
      } catch (error) {
        if (errorCode(error) !== 'EXDEV') throw error;
        this.crossDevice = true;
      }
    }
    return renamed(`${dest}.${tempOwnerTag()}.tmp`, dest, fill, mayStay);
  }
}

/** `fill(tmp)` then renames `tmp` over `dest`; `tmp` is removed when that fails (or, with `mayStay`, always). */
function renamed<T>(tmp: string, dest: string, fill: (tmp: string) => T, mayStay: boolean): T {
  try {
    const result = fill(tmp);
    fs.renameSync(tmp, dest);
    if (mayStay) fs.rmSync(tmp, { force: true });
    return result;
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** Objects up to this size are checked out by `writeCopy` (read whole, hashed, written). */
const WRITE_WHOLE_LIMIT = REMEMBER_CHECKS_ABOVE;
/** Verified bytes one checkout keeps between its check and its writes (beyond, objects are read again). */
const KEEP_BYTES = 64 * 1024 * 1024;

/** Small objects' bytes, read and verified by a checkout's first pass, for its writes. */
class VerifiedBytes {
  private readonly bytes = new Map<Sha256, Buffer>();
  private total = 0;

  keep(hash: Sha256, data: Buffer): void {
    if (this.total + data.length > KEEP_BYTES || this.bytes.has(hash)) return;
    this.bytes.set(hash, data);
    this.total += data.length;
  }

  get(hash: Sha256): Buffer | undefined {
    return this.bytes.get(hash);
  }
}

/** Up to `size` + 1 bytes of `file`; undefined when it does not exist. */
function readObject(file: string, size: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return readUpTo(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The directories one checkout made or found, so that each costs one mkdir at most rather than
 * one failing mkdir (and a stat) per file.
 */
class Directories {
  /** Directory → whether this checkout created it. */
  private readonly known = new Map<string, boolean>();

  createdHere(dir: string): boolean | undefined {
    return this.known.get(dir);
  }

  markCreated(dir: string): void {
    this.known.set(dir, true);
  }

  /** Creates `dir` and its missing parents. The caller has checked that no symlink leads outside on the way. */
  make(dir: string): void {
    if (this.known.has(dir)) return;
    try {
      fs.mkdirSync(dir);
      this.known.set(dir, true);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') {
        this.known.set(dir, false);
        return;
      }
      if (code !== 'ENOENT') throw error;
      this.make(path.dirname(dir));
      fs.mkdirSync(dir);
      this.known.set(dir, true);
    }
  }
}

/**
 * Places `object` at `dest`, a fresh temp name. Copies are exclusive (COPYFILE_EXCL): without it
 * the copy truncates its destination, and ext4 then starts writing the file back when it is closed
 * (its `auto_da_alloc` guard for files rewritten in place): 0.7 s for 1 GiB, on top of the copy.
 */
function linkOrCopy(type: LinkType, object: string, dest: string): void {
  switch (type) {
    case 'reflink':
      fs.copyFileSync(object, dest, fs.constants.COPYFILE_FICLONE_FORCE | fs.constants.COPYFILE_EXCL);
      fs.chmodSync(dest, 0o644);
      return;
    case 'hardlink':
      fs.linkSync(object, dest);
      return;
    case 'symlink':
      fs.symlinkSync(object, dest);
      return;
    case 'copy':
      fs.copyFileSync(object, dest, fs.constants.COPYFILE_EXCL);
      fs.chmodSync(dest, 0o644);
      return;
  }
}
