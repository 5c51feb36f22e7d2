/**
 * Bulk work (src/util/bulk.ts) of checkouts and transfers: an object from one place on this
 * machine to another (cache to workspace in a checkout, cache to a local remote in a push, back
 * in a pull), on whichever thread claims it. The object is read whole and hashed, and written only
 * if the bytes are the object's — to a new file `dest` whose directory is private to the caller,
 * or, with `tmp`, to that temp name and renamed to `dest` (an atomic write). A missing or damaged
 * source is reported, never written; what to do about it is the caller's. Nothing partial is left
 * under either name when a write fails, so an item is safe to redo.
 */
import fs from 'node:fs';
import { errorCode } from '../errors.js';
import { hashBytes } from '../hash/hash-file.js';
import type { Sha256 } from '../schema/sha256.js';
import { runBulk, type BulkWork, type ItemError } from '../util/bulk.js';
import { readUpTo } from '../util/fs.js';
import type { FileIdentity } from '../util/stat-signature.js';

export interface CopyItem {
  hash: Sha256;
  size: number;
  /** The object's file. */
  from: string;
  dest: string;
  /** A fresh temp name beside `dest`, written first and renamed to `dest`. */
  tmp?: string | undefined;
}

/** The written file's stat signature, or why nothing was written. */
export type CopyResult = { stat: FileIdentity } | { problem: 'missing' | 'corrupt' };

export function bulkItem(mode: number, item: CopyItem): CopyResult {
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
    return { stat: { dev: stat.dev, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size } };
  } catch (error) {
    fs.rmSync(file, { force: true }); // never a partial file (a full disk), under either name
    throw error;
  }
}

/** Copies `items`, each file created with `mode`, on all cores (see the top of this file). */
export function copyObjects(items: readonly CopyItem[], mode: number, onItems?: (from: number, to: number) => void): (CopyResult | ItemError)[] {
  const work: BulkWork<number, CopyItem, CopyResult> = { module: import.meta.url, context: mode, run: bulkItem };
  return runBulk(work, items, onItems);
}
