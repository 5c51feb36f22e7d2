/**
 * A remote (any `RemoteBackend`: local directory, SSH, S3) as an object database
 * (src/objects/object-db.ts), and its run-cache entries as a `RunEntryDb`. The backend stores
 * bytes under keys; this layer names keys only from a `Sha256`, verifies what it downloads
 * against the name before handing it over, and reads listings as untrusted input (only
 * `<2 hex>/<62 hex>` names become hashes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { hashBytes, hashFileSync } from '../hash/hash-file.js';
import type { BytesProgress, LocalObjectFiles, ObjectContent, ObjectDb, ReadOptions, ReadProblem, StoredObject } from '../objects/object-db.js';
import type { RunEntryDb } from '../objects/run-entries.js';
import { pool } from '../objects/transfer.js';
import { hashFromNames, isShardName, type Sha256 } from '../schema/sha256.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { RunCache } from '../cache/run-cache.js';
import { objectKey, type RemoteBackend } from './backend.js';

/** A shard with at least this many wanted objects is listed instead of asked object by object. */
const LIST_THRESHOLD = 4;

export class RemoteObjectDb implements ObjectDb {
  readonly label: string;
  readonly defaultJobs: number;
  private scratchDir: string | undefined;
  private scratchCounter = 0;

  readonly localFiles: LocalObjectFiles | undefined;

  constructor(readonly backend: RemoteBackend) {
    this.label = backend.label;
    this.defaultJobs = backend.defaultJobs;
    const local = backend.local;
    // A remote's damaged object is reported, never deleted by a transfer (`remote verify --repair` does that).
    this.localFiles = local && { path: (hash) => local.path(objectKey(hash)), tempPath: (hash) => local.tempPath(objectKey(hash)), damaged: () => undefined };
  }

  /**
   * Existence is asked in bulk: for a shard (`files/sha256/<2 hex>/`) holding several wanted
   * objects one listing answers for all of them; single objects are asked one by one.
   */
  async hasMany(hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<Set<Sha256>> {
    const byShard = new Map<string, Sha256[]>();
    for (const h of hashes) {
      const shard = h.slice(0, 2);
      let list = byShard.get(shard);
      if (!list) byShard.set(shard, (list = []));
      list.push(h);
    }
    const found = new Set<Sha256>();
    const singles: Sha256[] = [];
    const shards: string[] = [];
    for (const [shard, list] of byShard) {
      if (list.length >= LIST_THRESHOLD) shards.push(shard);
      else singles.push(...list);
    }
    await pool(shards, jobs, signal, async (shard) => {
      const names = new Set(await this.backend.list(`files/sha256/${shard}`));
      for (const h of byShard.get(shard) ?? []) if (names.has(h.slice(2))) found.add(h);
    });
    await pool(singles, jobs, signal, async (h) => {
      if (await this.backend.exists(objectKey(h))) found.add(h);
    });
    return found;
  }

  /**
   * Downloads object `hash` into `options.into` (the destination's staging file) and checks it
   * against its name; without `into`, into a private temp file whose bytes are returned (a
   * reader that must not write to the cache: `mlp status -c`).
   */
  async read(hash: Sha256, options: ReadOptions = {}): Promise<ObjectContent | ReadProblem> {
    const into = options.into ?? this.scratchPath();
    let keep = false;
    try {
      const got = await this.backend.get(objectKey(hash), into, options.size, options.progress ?? (() => {}));
      if (got === false) return { problem: 'missing' };
      const actual = got.hash ?? hashFileSync(into);
      if (actual !== hash) return { problem: 'corrupt', actual };
      if (options.into === undefined) {
        const data = fs.readFileSync(into);
        return { size: data.length, verified: hash, data };
      }
      // The size from the manifest or pointer is what was just verified (same bytes, same hash).
      const size = options.size ?? fs.statSync(into).size;
      keep = true;
      return { size, verified: hash, file: into, staged: true, readOnly: got.readOnly === true };
    } finally {
      if (!keep) fs.rmSync(into, { force: true });
    }
  }

  async write(hash: Sha256, content: ObjectContent, progress: BytesProgress = () => {}): Promise<void> {
    let data = content.data;
    if (content.verified !== hash) {
      // Bytes match names: what was not hashed on the way in is hashed before it leaves.
      data ??= content.file !== undefined ? fs.readFileSync(content.file) : undefined;
      if (data === undefined || hashBytes(data) !== hash) {
        throw new MlpError(`refusing to send object ${hash.slice(0, 12)}: its content does not match its name`, { hint: 'nothing was sent; rerun the command' });
      }
    }
    await this.backend.put(objectKey(hash), { file: content.file ?? '', size: content.size, data }, progress);
  }

  /** Every object on the remote (temp files of interrupted uploads are not objects), sorted by hash. */
  async list(jobs: number): Promise<StoredObject[]> {
    const shards = (await this.backend.list('files/sha256')).filter(isShardName);
    const objects: StoredObject[] = [];
    await pool(shards, jobs, undefined, async (shard) => {
      for (const f of await this.backend.listFiles(`files/sha256/${shard}`)) {
        const hash = hashFromNames(shard, f.name);
        if (hash) objects.push({ hash, size: f.size });
      }
    });
    return objects.sort((a, b) => (a.hash < b.hash ? -1 : 1));
  }

  async remove(hash: Sha256): Promise<void> {
    await this.backend.remove(objectKey(hash));
  }

  /**
   * A killed push leaves partial uploads beside the objects it was sending; this push sends the
   * same ones, so the shards it writes to are where to look (one listing each).
   */
  async prepareWrites(hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<void> {
    const shards = [...new Set(hashes.map((h) => h.slice(0, 2)))];
    await pool(shards, jobs, signal, async (shard) => {
      await this.backend.sweepTemps(`files/sha256/${shard}`);
    });
  }

  /** Removes every partial upload no live mlp process owns (`mlp gc --cloud`). */
  async sweepAllTemps(jobs: number): Promise<void> {
    const shards = (await this.backend.list('files/sha256')).filter(isShardName);
    await pool(shards, jobs, undefined, async (shard) => {
      await this.backend.sweepTemps(`files/sha256/${shard}`);
    });
  }

  /** A temp file outside the repository, owner-tagged, removed by `releaseScratch` at the latest. */
  scratchPath(): string {
    this.scratchDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `mlp-remote-${tempOwnerTag()}-`));
    return path.join(this.scratchDir, String(this.scratchCounter++));
  }

  /** Removes the temp files of reads without a staging file (the backend stays open: its owner closes it). */
  async releaseScratch(): Promise<void> {
    if (this.scratchDir !== undefined) fs.rmSync(this.scratchDir, { recursive: true, force: true });
    this.scratchDir = undefined;
  }
}

/** The run-cache entries of a remote: `runs/<2 hex>/<62 hex>` under its root. */
export class RemoteRunEntries implements RunEntryDb {
  constructor(private readonly remote: RemoteObjectDb) {}

  /** Through `RunCache`, which owns the layout and reads the listing as untrusted input. */
  async keys(): Promise<Sha256[]> {
    return RunCache.remoteKeys((dir) => this.remote.backend.list(dir));
  }

  async read(key: Sha256): Promise<Buffer | undefined> {
    const tmp = this.remote.scratchPath();
    try {
      if ((await this.remote.backend.get(RunCache.remoteKey(key), tmp, undefined, () => {})) === false) return undefined;
      return fs.readFileSync(tmp);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  async write(key: Sha256, data: Buffer): Promise<void> {
    await this.remote.backend.put(RunCache.remoteKey(key), { file: '', size: data.length, data }, () => {});
  }

  where(key: Sha256): string {
    return `${RunCache.remoteKey(key)} on the remote ${this.remote.label}`;
  }
}
