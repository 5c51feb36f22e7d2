/**
 * The local cache as an object database (src/objects/object-db.ts), and its run-cache entries as
 * a `RunEntryDb`, so that push and fetch are one `transfer` each way.
 *
 * Reading checks the object before it leaves: a small one is read whole and hashed in memory and
 * those very bytes are handed over; a large one is re-hashed first (remembered per inode, mtime
 * and size, so an unchanged object is read once across pushes). A damaged object is removed
 * (quarantined) and reported, never handed over. Writing stores only bytes that hash to the
 * name, through a temp file beside the object (owner-tagged) and a rename.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, errorCode } from '../errors.js';
import { hashBytes } from '../hash/hash-file.js';
import type { LocalObjectFiles, ObjectContent, ObjectDb, ReadOptions, ReadProblem, StoredObject } from '../objects/object-db.js';
import type { RunEntryDb } from '../objects/run-entries.js';
import type { Sha256 } from '../schema/sha256.js';
import type { ObjectStore } from './object-store.js';
import type { RunCache } from './run-cache.js';

/** Objects up to this size are read whole for sending: one read serves verifying and sending. */
const READ_WHOLE = 4 * 1024 * 1024;

export class CacheObjectDb implements ObjectDb {
  readonly defaultJobs = 16;

  readonly localFiles: LocalObjectFiles;

  constructor(
    readonly store: ObjectStore,
    readonly label: string = store.cacheDir,
  ) {
    this.localFiles = { path: (hash) => store.objectPath(hash), tempPath: (hash) => store.tempPath(hash), damaged: (hash) => store.quarantine(hash) };
  }

  async hasMany(hashes: readonly Sha256[]): Promise<Set<Sha256>> {
    return new Set(hashes.filter((h) => this.store.hasListed(h)));
  }

  async read(hash: Sha256, options: ReadOptions = {}): Promise<ObjectContent | ReadProblem> {
    const file = this.store.objectPath(hash);
    const size = options.size ?? fs.statSync(file, { throwIfNoEntry: false })?.size;
    if (size === undefined) return { problem: 'missing' };
    if (size <= READ_WHOLE) {
      const data = await this.store.readVerified(hash, size);
      if (data === 'missing') return { problem: 'missing' };
      if (data === 'corrupt') return { problem: 'corrupt' };
      return { size: data.length, verified: hash, data, file };
    }
    const checked = await this.store.checkAsync(hash, options.signal);
    if (checked !== 'ok') return { problem: checked };
    return { size: fs.statSync(file).size, verified: hash, file };
  }

  async write(hash: Sha256, content: ObjectContent): Promise<void> {
    if (content.staged && content.file !== undefined && content.verified === hash) {
      this.store.commitTemp(content.file, hash, content.readOnly === true);
      this.store.markVerified(hash, content.size);
      return;
    }
    const data = content.data ?? (content.file !== undefined ? await fs.promises.readFile(content.file) : undefined);
    if (data === undefined || hashBytes(data) !== hash) {
      throw new MlpError(`refusing to store object ${hash.slice(0, 12)}: its content does not match its name`, { hint: 'nothing was stored; rerun the command' });
    }
    this.store.putBytes(data, hash);
    this.store.markVerified(hash, data.length);
  }

  async list(): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for (const hash of this.store.listObjects()) {
      const stat = fs.statSync(this.store.objectPath(hash), { throwIfNoEntry: false });
      if (stat) objects.push({ hash, size: stat.size });
    }
    return objects;
  }

  async remove(hash: Sha256): Promise<void> {
    this.store.quarantine(hash);
  }

  stagingPath(hash: Sha256): string {
    return this.store.tempPath(hash);
  }

  writeError(error: unknown): MlpError | undefined {
    return localDiskError(error, this.store.cacheDir);
  }
}

/** Disk full while writing into the cache: said so, with what to do. */
export function localDiskError(error: unknown, cacheDir: string): MlpError | undefined {
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new MlpError(`no space left on the local disk while writing to the cache ${cacheDir}`, {
      hint: 'free disk space (`mlp gc -A` removes cache objects no commit uses), then rerun the same command: what was fetched is kept',
      cause: error,
    });
  }
  return undefined;
}

/** The run-cache entries of the local cache, through `RunCache` (which owns their layout). */
export class CacheRunEntries implements RunEntryDb {
  constructor(private readonly runs: RunCache) {}

  async keys(): Promise<Sha256[]> {
    return this.runs.keys();
  }

  async read(key: Sha256): Promise<Buffer | undefined> {
    try {
      return fs.readFileSync(this.runs.file(key));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Written to an owner-tagged temp file beside the entry, validated, renamed (`RunCache.adopt`). */
  async write(key: Sha256, data: Buffer): Promise<void> {
    const tmp = this.runs.tempFile(key);
    try {
      fs.writeFileSync(tmp, data);
      this.runs.adopt(tmp, key, this.runs.label(key));
    } catch (error) {
      if (error instanceof MlpError) throw error;
      throw localDiskError(error, path.dirname(this.runs.dir)) ?? error;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  where(key: Sha256): string {
    return this.runs.label(key);
  }
}
