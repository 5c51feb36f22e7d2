/**
 * The object-database interface: what the local cache (`.mlp/cache`) and every remote (local
 * directory, SSH, S3) offer, so that one `transfer(src, dst)` (./transfer.ts) moves objects
 * either way. Objects are named by the sha256 of their bytes; implementations build every path or
 * key from a `Sha256` only.
 *
 * Two promises hold for every implementation:
 * - `read` returns only content whose bytes were hashed to the object's name on the way
 *   (`verified`); a damaged object is reported (`corrupt`), and removed where the database owns
 *   it (the local cache quarantines), never returned.
 * - `write` stores only bytes that hash to the name: content whose `verified` is not the name is
 *   hashed first. Writes are atomic (temp name with an owner tag, then rename or a single PUT).
 */
import type { MlpError } from '../errors.js';
import type { Sha256 } from '../schema/sha256.js';

export type BytesProgress = (bytes: number) => void;

/** An object's content, as `read` hands it over. */
export interface ObjectContent {
  size: number;
  /** The hash its bytes were found to have while being read: equal to the name it was read as. */
  verified: Sha256;
  /** The bytes, when they were read whole (small objects). */
  data?: Buffer | undefined;
  /** A file holding the bytes (the object itself, or the staging file `read` filled). */
  file?: string | undefined;
  /** `file` is the destination's staging file (`ReadOptions.into`): `write` takes it over. */
  staged?: boolean | undefined;
  /** `file` was created read-only already. */
  readOnly?: boolean | undefined;
}

/** Why an object could not be read. `actual`: what its bytes hash to, when known. */
export type ReadProblem = { problem: 'missing' } | { problem: 'corrupt'; actual?: string | undefined };

export interface ReadOptions {
  /** Its size, when the caller knows it (from a manifest or pointer): lets small objects be read whole. */
  size?: number | undefined;
  /** A temp file on the destination's disk to download into (see `ObjectDb.stagingPath`). */
  into?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Bytes that crossed the wire (remotes report them; the local cache does not). */
  progress?: BytesProgress | undefined;
}

export interface StoredObject {
  hash: Sha256;
  size: number;
}

export interface ObjectDb {
  /** For messages: the remote's URL, or the cache directory. */
  readonly label: string;
  /** Objects in flight when `-j` is not given: sized for the link. */
  readonly defaultJobs: number;
  /** Which of `hashes` are here (asked in bulk where the storage allows it). */
  hasMany(hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<Set<Sha256>>;
  /** The content of object `hash`, verified on the way, or why it cannot be had. */
  read(hash: Sha256, options?: ReadOptions): Promise<ObjectContent | ReadProblem>;
  /** Stores `content` as object `hash` (verified first unless `content.verified` is `hash`). */
  write(hash: Sha256, content: ObjectContent, progress?: BytesProgress): Promise<void>;
  /** Every object here (temp files of interrupted writes are not objects). */
  list(jobs: number): Promise<StoredObject[]>;
  /** Deletes object `hash`; one already gone is not an error. */
  remove(hash: Sha256): Promise<void>;
  /**
   * A fresh temp path on this database's own disk that a `read` from elsewhere may fill, so that
   * `write` only renames it (databases on this machine); a database without one gets `data`/`file`.
   */
  stagingPath?(hash: Sha256): string;
  /** Before `hashes` are written: removes what killed writers left where they go. */
  prepareWrites?(hashes: readonly Sha256[], jobs: number, signal?: AbortSignal): Promise<void>;
  /** Says what a failure of writing here means (disk full), when it is about this database. */
  writeError?(error: unknown): MlpError | undefined;
  /**
   * Where objects lie as plain files on this machine (the local cache, a local-directory remote):
   * between two such databases, `transfer` copies small objects on all cores (src/util/bulk.ts),
   * each read, verified and written through a temp name as `read` and `write` would.
   */
  readonly localFiles?: LocalObjectFiles | undefined;
}

export interface LocalObjectFiles {
  /** The file of object `hash` (whether or not it exists). */
  path(hash: Sha256): string;
  /** A fresh owner-tagged temp name beside `path(hash)`, whose directory exists. */
  tempPath(hash: Sha256): string;
  /** Object `hash` was read from here damaged: removed where this database owns its objects (the local cache quarantines). */
  damaged(hash: Sha256): void;
}

export function isReadProblem(x: ObjectContent | ReadProblem): x is ReadProblem {
  return 'problem' in x;
}
