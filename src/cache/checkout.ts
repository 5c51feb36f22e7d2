/**
 * Moves data between the workspace and the object store: `save` records a workspace path in the
 * cache, `checkout` makes a workspace path match a recorded hash. Files are materialised with the
 * first link type in `cache.type` that the filesystem supports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, errorCode } from '../errors.js';
import { hashFileSync } from '../hash/hash-file.js';
import type { HashInfo, ManifestEntry, PathHash, PathHasher } from '../hash/hash-path.js';
import type { StateCache } from '../hash/state-cache.js';
import { SymlinkGuard, checkedInside, joinEntry, joinInside, type RepoPath } from '../schema/repo-path.js';
import type { Sha256 } from '../schema/sha256.js';
import { removePath } from '../util/fs.js';
import { corruptObject, type LinkType, type ObjectStore } from './object-store.js';

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

/** Files above this size are copied into the cache while being hashed, in one pass. */
const STREAM_THRESHOLD = 64 * 1024 * 1024;

const FALLBACK_ERRORS = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EPERM', 'EMLINK', 'EINVAL', 'ENOSYS', 'EACCES']);

export class CacheCheckout {
  /** Link types that failed once in this process are not tried again. */
  private readonly unsupported = new Set<LinkType>();

  constructor(
    private readonly root: string,
    readonly store: ObjectStore,
    private readonly linkTypes: readonly LinkType[],
    private readonly hasher: PathHasher,
    private readonly state: StateCache,
  ) {}

  /** Whether saving hardlinks workspace files into the cache instead of copying them. */
  get savesByLink(): boolean {
    return this.linkTypes.find((t) => !this.unsupported.has(t)) === 'hardlink';
  }

  /**
   * Hashes the workspace path `rel` and stores it in the cache in the same pass (one read per
   * file; a large new file is copied by the kernel while it is hashed). Returns undefined if the
   * path does not exist.
   */
  async hashAndSave(rel: RepoPath): Promise<PathHash | undefined> {
    const abs = checkedInside(this.root, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (stat?.isFile() && stat.size >= STREAM_THRESHOLD && !this.savesByLink && this.state.get(rel, stat) === undefined) {
      const stored = await this.store.putFileHashing(abs);
      this.hasher.remember(rel, stored.hash);
      this.markVerified(stored.hash);
      return stored;
    }
    if (this.savesByLink) {
      const hashed = this.hasher.hash(rel);
      if (hashed) this.save(rel, hashed);
      return hashed;
    }
    const hashed = this.hasher.hash(rel, this.store);
    if (hashed?.manifest) this.store.putManifest(hashed.manifest);
    return hashed;
  }

  /** Stores the workspace path `rel` (already hashed) in the cache. */
  save(rel: RepoPath, hashed: PathHash): void {
    const abs = checkedInside(this.root, rel);
    if (!hashed.manifest) {
      this.saveFile(abs, hashed.hash);
      return;
    }
    for (const entry of hashed.manifest) this.saveFile(path.join(abs, entry.path), entry.hash);
    this.store.putManifest(hashed.manifest);
  }

  private saveFile(abs: string, hash: Sha256): void {
    if (this.savesByLink) {
      try {
        this.store.putFile(abs, hash, true);
        fs.chmodSync(abs, 0o444);
        return;
      } catch (error) {
        if (!FALLBACK_ERRORS.has(errorCode(error) ?? '')) throw error;
        this.unsupported.add('hardlink');
      }
    }
    this.store.putFile(abs, hash);
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

  /** Makes workspace path `rel` match `info`, restoring from the cache what differs. */
  checkout(rel: RepoPath, info: HashInfo, current?: PathHash): CheckoutOutcome {
    // Checked before anything is read or written: the filesystem may have changed since load.
    const guard = new SymlinkGuard(this.root);
    guard.check(rel);
    const now = current ?? this.hasher.hash(rel);
    if (now && now.hash === info.hash) return 'unchanged';
    const abs = joinInside(this.root, rel);
    if (info.nfiles === undefined) {
      this.verifyObject(rel, info.hash);
      if (now) removePath(abs);
      this.materialize(info.hash, abs, rel);
      return 'restored';
    }
    if (!this.store.has(info.hash)) throw new MissingObjectError(rel, info.hash);
    const manifest = this.store.readManifest(info.hash);
    for (const entry of manifest) this.verifyObject(`${rel}/${entry.path}`, entry.hash);
    this.checkoutDirectory(rel, abs, manifest, now, guard);
    return 'restored';
  }

  private checkoutDirectory(rel: RepoPath, abs: string, manifest: ManifestEntry[], now: PathHash | undefined, guard: SymlinkGuard): void {
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
    for (const entry of manifest) {
      const have = existing.get(entry.path);
      if (have === entry.hash) continue;
      guard.check(joinEntry(rel, entry.path));
      const fileAbs = path.join(abs, entry.path);
      if (have !== undefined) removePath(fileAbs);
      this.materialize(entry.hash, fileAbs, joinEntry(rel, entry.path));
    }
    fs.mkdirSync(abs, { recursive: true });
  }

  /**
   * Checks that object `hash` still matches its name before it is used. The result is kept in
   * the state cache by the object's inode and mtime, so an object is re-read only if it changed
   * (e.g. written through a hardlink).
   */
  private verifyObject(rel: string, hash: Sha256): void {
    const objectPath = this.store.objectPath(hash);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(objectPath);
    } catch {
      throw new MissingObjectError(rel, hash);
    }
    const key = `cache:${hash}`;
    if (this.state.get(key, stat) === hash) return;
    if (hashFileSync(objectPath) !== hash) {
      this.store.quarantine(hash);
      throw corruptObject(objectPath);
    }
    this.state.set(key, stat, hash);
  }

  /** Marks object `hash` as verified (it was just written from data of known hash). */
  markVerified(hash: Sha256): void {
    const stat = fs.statSync(this.store.objectPath(hash), { throwIfNoEntry: false });
    if (stat) this.state.set(`cache:${hash}`, stat, hash);
  }

  private materialize(hash: Sha256, dest: string, rel: RepoPath): void {
    const object = this.store.objectPath(hash);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    for (const type of this.linkTypes) {
      if (this.unsupported.has(type)) continue;
      try {
        linkOrCopy(type, object, dest);
        this.hasher.remember(rel, hash);
        return;
      } catch (error) {
        if (!FALLBACK_ERRORS.has(errorCode(error) ?? '')) throw error;
        this.unsupported.add(type);
      }
    }
    throw new MlpError(`cannot check out ${rel}: none of the cache types ${this.linkTypes.join(', ')} works here`, {
      hint: 'add `copy` to cache.type in .mlp/config.yaml',
    });
  }
}

function linkOrCopy(type: LinkType, object: string, dest: string): void {
  switch (type) {
    case 'reflink':
      fs.copyFileSync(object, dest, fs.constants.COPYFILE_FICLONE_FORCE);
      fs.chmodSync(dest, 0o644);
      return;
    case 'hardlink':
      fs.linkSync(object, dest);
      return;
    case 'symlink':
      fs.symlinkSync(object, dest);
      return;
    case 'copy':
      fs.copyFileSync(object, dest);
      fs.chmodSync(dest, 0o644);
      return;
  }
}
