/**
 * A remote that is a directory on this machine (a mounted share, another disk). Uploads are
 * copied to a temp name beside the object and renamed; downloads of small objects are read whole
 * and hashed in memory, so verification costs no second read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError, errorCode } from '../errors.js';
import { copyWhileHashing, hashBytes } from '../hash/hash-file.js';
import { readUpTo } from '../util/fs.js';
import { isTempName, removeAbandonedTemps, tempOwnerTag } from '../util/temp-files.js';
import type { BytesProgress, LocalFiles, PutSource, RemoteBackend, RemoteFile } from './backend.js';

const WHOLE_READ = 8 * 1024 * 1024;
/** Files up to this size are copied with synchronous calls (see put). */
const SYNC_LIMIT = 256 * 1024;

/**
 * A small object of known size: one open, one read, one close (`readFileSync` adds an fstat and
 * a second read). A size that differs from the recorded one only shows in the hash (checked by
 * the caller).
 */
function readSmall(file: string, size: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    return readUpTo(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

export class LocalBackend implements RemoteBackend {
  readonly defaultJobs = 16;
  private readonly madeDirs = new Set<string>();
  /** Temp names carry their owner, so that a later push can tell abandoned ones (src/util/temp-files.ts). */
  private readonly tmpTag = `.${tempOwnerTag()}`;
  private counter = 0;

  constructor(
    private readonly root: string,
    readonly label: string,
  ) {}

  private abs(key: string): string {
    // Keys are built by mlp ('/'-separated, no `.` or `..` parts): joined without normalising,
    // which cost more than the copy itself for 20,000 small objects.
    return key === '' ? this.root : `${this.root}${path.sep}${key.split('/').join(path.sep)}`;
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fs.promises.readdir(this.abs(dir));
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') {
        if (dir === '' || dir === 'files' || dir === 'runs') this.checkRoot();
        return [];
      }
      throw this.wrap(error, dir);
    }
  }

  /** The remote's root must exist (a missing mount should not look like an empty remote). */
  private checkRoot(): void {
    if (!fs.existsSync(this.root)) {
      throw new MlpError(`local remote ${this.root} does not exist`, { hint: `create it (mkdir -p ${this.root}) or fix the remote's url` });
    }
  }

  async prepareForPush(): Promise<void> {
    try {
      await fs.promises.mkdir(this.root, { recursive: true });
    } catch (error) {
      const wrapped = this.wrap(error, '');
      if (wrapped instanceof MlpError) throw wrapped;
      throw new MlpError(`cannot create the local remote directory ${this.root} (${errorCode(error) ?? 'error'})`, {
        hint: "a part of that path is not a directory: fix the remote's url (`mlp remote modify <name> url <path>`)",
        cause: error,
      });
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.abs(key));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw this.wrap(error, key);
    }
  }

  async listFiles(dir: string): Promise<RemoteFile[]> {
    const files: RemoteFile[] = [];
    for (const name of await this.list(dir)) {
      const stat = await fs.promises.stat(this.abs(`${dir}/${name}`)).catch(() => undefined);
      if (stat?.isFile()) files.push({ name, size: stat.size });
    }
    return files;
  }

  async remove(key: string): Promise<void> {
    try {
      await fs.promises.rm(this.abs(key), { force: true });
    } catch (error) {
      throw this.wrap(error, key);
    }
  }

  readonly local: LocalFiles = {
    path: (key) => this.abs(key),
    tempPath: (key) => {
      const dest = this.abs(key);
      this.makeDir(path.dirname(dest), key);
      return this.tempName(dest);
    },
  };

  /** Creates `dir` (the directory of `key`) once per process; the root must exist already. */
  private makeDir(dir: string, key: string): void {
    if (this.madeDirs.has(dir)) return;
    if (this.madeDirs.size === 0) this.checkRoot();
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw this.wrap(error, key);
    }
    this.madeDirs.add(dir);
  }

  private tempName(dest: string): string {
    return `${dest}${this.tmpTag}-${this.counter++}.tmp`;
  }

  async put(key: string, source: PutSource, progress: BytesProgress): Promise<void> {
    const { file, size, data } = source;
    const dest = this.abs(key);
    this.makeDir(path.dirname(dest), key);
    const tmp = this.tempName(dest);
    try {
      if (size <= SYNC_LIMIT) {
        // Small files synchronously: one read and one write syscall each, where the promise API
        // makes four thread-pool round trips per file (open, stat, read/write, close).
        fs.writeFileSync(tmp, data ?? fs.readFileSync(file), { mode: 0o444 });
        fs.renameSync(tmp, dest);
      } else if (data) {
        await fs.promises.writeFile(tmp, data, { mode: 0o444 });
        await fs.promises.rename(tmp, dest);
      } else {
        // Exclusive: a truncating copy makes ext4 write the file back on close (see src/cache/checkout.ts).
        await fs.promises.copyFile(file, tmp, fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL);
        await fs.promises.rename(tmp, dest);
      }
    } catch (error) {
      await fs.promises.rm(tmp, { force: true });
      throw this.wrap(error, key);
    }
    progress(size);
  }

  async get(key: string, dest: string, size: number | undefined, progress: BytesProgress): Promise<false | { hash?: string; readOnly?: boolean }> {
    const src = this.abs(key);
    try {
      if (size !== undefined && size <= WHOLE_READ) {
        const data = size <= SYNC_LIMIT ? readSmall(src, size) : await fs.promises.readFile(src);
        if (size <= SYNC_LIMIT) fs.writeFileSync(dest, data, { mode: 0o444 });
        else await fs.promises.writeFile(dest, data, { mode: 0o444 });
        progress(data.length);
        return { hash: hashBytes(data), readOnly: true };
      }
      return await this.copyHashed(src, dest, progress);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' && !fs.existsSync(src)) {
        this.checkRoot(); // a missing remote is an error, not a remote without this object
        return false;
      }
      if (errorCode(error) === 'ENOSPC' || errorCode(error) === 'EDQUOT') throw error; // the local disk: the engine reports it
      throw this.wrap(error, key);
    }
  }

  /**
   * A large object: the kernel copies it while this thread hashes it (`copyWhileHashing`), where
   * hashing the copy afterwards took one after the other; a file that changed meanwhile leaves
   * the hash to the engine, which hashes the copy.
   */
  private async copyHashed(src: string, dest: string, progress: BytesProgress): Promise<{ hash?: string }> {
    const input = await fs.promises.open(src, 'r');
    try {
      const hashed = await copyWhileHashing(src, input, await input.stat(), dest);
      progress((await fs.promises.stat(dest)).size);
      return hashed ? { hash: hashed.hash } : {};
    } finally {
      await input.close();
    }
  }

  async sweepTemps(dir: string): Promise<number> {
    return removeAbandonedTemps(this.abs(dir), isTempName).files;
  }

  async close(): Promise<void> {}

  private wrap(error: unknown, key: string): unknown {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new MlpError(`permission denied on local remote ${this.label} (${key})`, {
        hint: 'check the directory permissions of the remote, or use another remote with -r',
        cause: error,
      });
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new MlpError(`no space left on the remote ${this.label}`, { hint: 'free space on the remote disk, then rerun the same command (what was sent is kept)', cause: error });
    }
    return error;
  }
}
