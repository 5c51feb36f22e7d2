/**
 * One item of bulk file work (./bulk.ts), the same function on the main thread and in workers:
 *
 * - `store`: a workspace file into the cache (`ObjectStore.addFileSync`: read whole, hashed,
 *   written to a temp file beside the object and renamed; a file that changes while it is read is
 *   read again or refused);
 * - `copy`: an object from one place on this machine to another (cache to workspace in a checkout,
 *   cache to a local remote in a push, back in a pull): read whole and hashed, and written only
 *   if the bytes are the object's — to a new file `dest` whose directory is private to the caller,
 *   or, with `tmp`, to that temp name and renamed to `dest`. A missing or damaged source is
 *   reported, never written; what to do about it is the caller's.
 *
 * Results are plain data (they cross threads): stat signatures, not `fs.Stats`; an error as its
 * message, code and hint.
 */
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { MlpError, errorCode } from '../errors.js';
import { hashBytes } from '../hash/hash-file.js';
import type { Sha256 } from '../schema/sha256.js';
import { readUpTo } from '../util/fs.js';
import type { FileIdentity } from '../util/stat-signature.js';
import { ObjectStore } from './object-store.js';


export interface StoreItem extends FileIdentity {
  abs: string;
  /** The path as the user knows it, for messages. */
  label: string;
}

export interface CopyItem {
  hash: Sha256;
  size: number;
  /** The object's file. */
  from: string;
  dest: string;
  /** A fresh temp name beside `dest`, written first and renamed to `dest` (an atomic write). */
  tmp?: string | undefined;
}

export type BulkJob = { kind: 'store'; cacheDir: string; items: StoreItem[] } | { kind: 'copy'; mode: number; items: CopyItem[] };

export interface ItemError {
  error: { message: string; code?: string | undefined; hint?: string | undefined; exitCode?: number | undefined };
}

/** The stored object's hash and the stat signature of the file whose content it is. */
export type StoreResult = { hash: Sha256; stat: FileIdentity } | ItemError;
/** The written file's stat signature, or why nothing was written. */
export type CopyResult = { stat: FileIdentity } | { problem: 'missing' | 'corrupt' } | ItemError;
export type BulkResult = StoreResult | CopyResult;

const stores = new Map<string, ObjectStore>();

/**
 * This thread's store for `cacheDir`: temp files carry its own owner tag (with the process's pid).
 * The main thread passes its own store's claim on (`ObjectStore.claim`, before workers start).
 */
function storeFor(cacheDir: string): ObjectStore {
  let store = stores.get(cacheDir);
  if (!store) stores.set(cacheDir, (store = new ObjectStore(cacheDir, undefined, isMainThread ? undefined : 'helper')));
  return store;
}

/** The main thread works with the repository's own store (its listings stay current). */
export function useStore(store: ObjectStore): void {
  stores.set(store.cacheDir, store);
}

export function runBulkItem(job: BulkJob, index: number): BulkResult {
  try {
    return job.kind === 'store' ? storeItem(storeFor(job.cacheDir), job.items[index] as StoreItem) : copyItem(job.items[index] as CopyItem, job.mode);
  } catch (error) {
    return toItemError(error);
  }
}

function storeItem(store: ObjectStore, item: StoreItem): StoreResult {
  const stored = store.addFileSync(item.abs, item, { label: item.label });
  return { hash: stored.hash, stat: identity(stored.stat) };
}

function copyItem(item: CopyItem, mode: number): CopyResult {
  let bytes: Buffer;
  try {
    const fd = fs.openSync(item.from, 'r');
    try {
      bytes = readUpTo(fd, item.size);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { problem: 'missing' };
    throw error;
  }
  if (bytes.length !== item.size || hashBytes(bytes) !== item.hash) return { problem: 'corrupt' };
  const file = item.tmp ?? item.dest;
  let out: number;
  try {
    out = fs.openSync(file, 'wx', mode);
  } catch (error) {
    // Left by a worker that stopped half-way through this item (the name is the caller's own).
    if (errorCode(error) !== 'EEXIST') throw error;
    fs.rmSync(file, { force: true });
    out = fs.openSync(file, 'wx', mode);
  }
  try {
    let stat: fs.Stats;
    try {
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(out, bytes, done, bytes.length - done);
      stat = fs.fstatSync(out);
    } finally {
      fs.closeSync(out);
    }
    if (item.tmp !== undefined) fs.renameSync(item.tmp, item.dest);
    return { stat: identity(stat) };
  } catch (error) {
    fs.rmSync(file, { force: true }); // never a partial file (a full disk), under either name
    throw error;
  }
}

function identity(stat: FileIdentity): FileIdentity {
  return { dev: stat.dev, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
}

function toItemError(error: unknown): ItemError {
  const message = error instanceof Error ? error.message : String(error);
  return {
    error: {
      message,
      code: errorCode(error),
      hint: error instanceof MlpError ? error.hint : undefined,
      exitCode: error instanceof MlpError ? error.exitCode : undefined,
    },
  };
}

export function isItemError(result: BulkResult): result is ItemError {
  return 'error' in result;
}
