/**
 * The run-cache store: the one module that knows where run-cache entries live and how they are
 * named, locally (`.mlp/cache/runs/<2 hex>/<62 hex>`) and on remotes (`runs/<2 hex>/<62 hex>`
 * under the remote's root). Stage execution (src/repro/run-cache.ts: the key and when the
 * run-cache may be used), gc and the transfer engine read and write entries only through it.
 *
 * An entry names the paths a restore writes to, and entries also arrive from remotes, so every
 * entry is validated (src/schema/run-entry.ts) when it is read, before it is sent, and before a
 * downloaded one is kept: a damaged or crafted entry is a located error, never a stray write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import type { LockedPath } from '../lock/lockfile.js';
import { parseRunEntry } from '../schema/run-entry.js';
import { hashFromNames, isShardName, type Sha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';
import { tempOwnerTag } from '../util/temp-files.js';

/** The folder of the entries, under the cache directory and under a remote's root. */
const RUNS = 'runs';

/** A run-cache entry as gc sees it: undefined `outs` when it is invalid or unreadable. */
export interface RunEntry {
  key: Sha256;
  outs: LockedPath[] | undefined;
}

export class RunCache {
  /** `.mlp/cache/runs`. */
  readonly dir: string;

  /**
   * @param cacheDir the cache directory (`.mlp/cache`)
   * @param root the repository root, so that errors name entries relative to it
   */
  constructor(
    cacheDir: string,
    private readonly root: string,
  ) {
    this.dir = RunCache.dirIn(cacheDir);
  }

  /** The entries' folder in cache directory `cacheDir` (the object store sweeps temp files there). */
  static dirIn(cacheDir: string): string {
    return path.join(cacheDir, RUNS);
  }

  /** The remote key of entry `key`; built only from a `Sha256`, so a key from a file cannot name another. */
  static remoteKey(key: Sha256): string {
    return `${RUNS}/${key.slice(0, 2)}/${key.slice(2)}`;
  }

  /**
   * The entry keys of a remote, given its one-level directory listing. A listing is remote
   * input: only `<2 hex>/<62 hex>` names become keys (and so local file names); anything else —
   * temp files of an interrupted push, `..`, names a hostile server makes up — is skipped.
   */
  static async remoteKeys(list: (dir: string) => Promise<string[]>): Promise<Sha256[]> {
    const keys: Sha256[] = [];
    for (const shard of await list(RUNS)) {
      if (!isShardName(shard)) continue;
      for (const rest of await list(`${RUNS}/${shard}`)) {
        const key = hashFromNames(shard, rest);
        if (key !== undefined) keys.push(key);
      }
    }
    return keys;
  }

  /** The local file of entry `key`. */
  file(key: Sha256): string {
    return path.join(this.dir, key.slice(0, 2), key.slice(2));
  }

  /** The entry's file as errors name it (repository-relative, `/`-separated). */
  label(key: Sha256): string {
    return path.relative(this.root, this.file(key)).split(path.sep).join('/');
  }

  /** Keys of the local entries; other names (temp files of interrupted writes) are skipped. */
  keys(): Sha256[] {
    const keys: Sha256[] = [];
    for (const shard of readdir(this.dir)) {
      if (!isShardName(shard)) continue;
      for (const rest of readdir(path.join(this.dir, shard))) {
        const key = hashFromNames(shard, rest);
        if (key !== undefined) keys.push(key);
      }
    }
    return keys;
  }

  /** The outputs recorded for `key`, validated; undefined if there is no entry. */
  read(key: Sha256): LockedPath[] | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file(key), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    return parseRunEntry(text, this.label(key));
  }

  /** Records `outs` for `key` (atomically: a reader never sees half an entry). */
  write(key: Sha256, outs: readonly LockedPath[]): void {
    writeFileAtomic(this.file(key), `${JSON.stringify({ outs })}\n`);
  }

  /** Every local entry with its outputs (undefined when it is invalid or unreadable), for gc. */
  *entries(): Generator<RunEntry> {
    for (const key of this.keys()) {
      let outs: LockedPath[] | undefined;
      try {
        outs = this.read(key);
      } catch {
        outs = undefined;
      }
      yield { key, outs };
    }
  }

  /** Removes entry `key`; one already gone is not an error. */
  remove(key: Sha256): void {
    fs.rmSync(this.file(key), { force: true });
  }

  /**
   * Entry `key` for sending: validated first (only valid entries leave this machine; a damaged
   * one is reported with its location), then its file and size.
   */
  sendable(key: Sha256): { file: string; size: number } {
    const file = this.file(key);
    parseRunEntry(fs.readFileSync(file, 'utf8'), this.label(key));
    return { file, size: fs.statSync(file).size };
  }

  /** Where a download of entry `key` is written before `adopt` keeps it (its folder exists). */
  tempFile(key: Sha256): string {
    const file = this.file(key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return `${file}.${tempOwnerTag()}.tmp`;
  }

  /**
   * Keeps the downloaded entry `tmp` as entry `key`, after validating it (an entry names the
   * paths a later repro writes to); `source` names where it came from in errors.
   */
  adopt(tmp: string, key: Sha256, source: string): void {
    parseRunEntry(fs.readFileSync(tmp, 'utf8'), source);
    fs.renameSync(tmp, this.file(key));
  }
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
