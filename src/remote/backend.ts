/**
 * What a remote storage must offer the transfer engine. Keys are '/'-separated paths relative to
 * the remote's root: `files/sha256/<2 hex>/<62 hex>` for objects, `runs/<2 hex>/<62 hex>` for
 * run-cache entries. Backends report connection-level problems as `MlpError`s (they stop the
 * transfer) and a missing key as a `false` result (it does not).
 */
import { RunCache } from '../cache/run-cache.js';
import type { Sha256 } from '../schema/sha256.js';

export type BytesProgress = (bytes: number) => void;

/** What to upload: a local file of `size` bytes, and its content when it was already read (and verified). */
export interface PutSource {
  file: string;
  size: number;
  data?: Buffer;
}

export interface RemoteFile {
  name: string;
  size: number;
}

export interface RemoteBackend {
  /** The remote as the user knows it (URL), for messages. */
  readonly label: string;
  /** Objects in flight when `-j` is not given: sized for the link. */
  readonly defaultJobs: number;
  /** Names in the remote directory `dir` (one level); empty if it does not exist. */
  list(dir: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  /** Files in the remote directory `dir` (one level) with their sizes; empty if it does not exist. */
  listFiles(dir: string): Promise<RemoteFile[]>;
  /** Deletes `key` (`mlp gc --cloud`, `mlp remote verify --repair`); a key that is already gone is not an error. */
  remove(key: string): Promise<void>;
  /**
   * Stores `source` as `key`, atomically: a reader never sees a partial object under `key`, and
   * an existing `key` is replaced (that is how a damaged remote object is repaired). Sends
   * `source.data` when given, else reads `source.file`.
   */
  put(key: string, source: PutSource, progress: BytesProgress): Promise<void>;
  /**
   * Removes the temp files in the remote directory `dir` that no live mlp process owns (a killed
   * push's partial uploads; see src/util/temp-files.ts); returns how many. Backends that write
   * atomically without temp names (S3) have none.
   */
  sweepTemps(dir: string): Promise<number>;
  /**
   * Writes the content of `key` into the local file `dest` (a new name). Returns false
   * if `key` does not exist; else the sha256 of what was written when the backend computed it on
   * the way (the engine hashes the file otherwise), and whether it made the file read-only.
   */
  get(key: string, dest: string, size: number | undefined, progress: BytesProgress): Promise<false | { hash?: string; readOnly?: boolean }>;
  /**
   * Before a push: creates the remote's root where that is the user's expectation (a local
   * directory remote is created on first push, as DVC does). Reads never create it: a missing
   * mount must not look like an empty remote.
   */
  prepareForPush?(): Promise<void>;
  /** Where keys lie as plain files on this machine, for a backend that is a local directory (see `LocalFiles`). */
  readonly local?: LocalFiles;
  close(): Promise<void>;
}

/** The files behind the keys of a remote on this machine: bulk copies read and write them directly (src/objects/transfer.ts). */
export interface LocalFiles {
  /** The file of `key` (whether or not it exists). */
  path(key: string): string;
  /** A fresh owner-tagged temp name beside `path(key)`, whose directory exists. */
  tempPath(key: string): string;
}

/** Remote keys are built only from a `Sha256`: a hash from a file cannot name another key. */
export function objectKey(hash: Sha256): string {
  return `files/sha256/${hash.slice(0, 2)}/${hash.slice(2)}`;
}

/** A run-cache entry's key on a remote (the layout is src/cache/run-cache.ts's). */
export function runKey(key: Sha256): string {
  return RunCache.remoteKey(key);
}
