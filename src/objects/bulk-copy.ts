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
import { readUpToScratch } from '../util/fs.js';
import type { FileIdentity } from '../util/stat-signature.js';

export interface CopyItem {
  hash: Sha256;
  size: number;
  /** The object's file. */
  from: string;
  dest: string;
  /** A fresh temp name beside `dest`, written first and renamed to `dest`. */
  tmp?: string | undefined;
  /**
   * New files in directories private to the caller that get the same verified bytes after `dest`
   * (a pull's workspace files, created with mode 0o644): one read and one hash for all of them.
   */
  also?: readonly string[] | undefined;
}

/** How the files are written: created with `mode`; `signatures`: whether the caller needs each written file's stat. */
export interface CopyOptions {
  mode: number;
  signatures: boolean;
}

/**
 * Written (with the file's stat signature when asked for, and those of the `also` files, in
 * order), or why nothing was written.
 */
export type CopyResult = { stat: FileIdentity | undefined; also?: FileIdentity[] } | { problem: 'missing' | 'corrupt' };

export function bulkItem(options: CopyOptions, item: CopyItem): CopyResult {
  let bytes: Buffer;
  try {
    const fd = fs.openSync(item.from, 'r');
    try {
      bytes = readUpToScratch(fd, item.size); // written below, before this thread reads another
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { problem: 'missing' };
    throw error;
  }
  if (bytes.length !== item.size || hashBytes(bytes) !== item.hash) return { problem: 'corrupt' };
  const stat = writeNew(item.tmp ?? item.dest, bytes, options.mode, options.signatures);
  if (item.tmp !== undefined) {
    try {
      fs.renameSync(item.tmp, item.dest);
    } catch (error) {
      fs.rmSync(item.tmp, { force: true });
      throw error;
    }
  }
  if (item.also === undefined) return { stat };
  return { stat, also: item.also.map((file) => writeNew(file, bytes, 0o644, true) as FileIdentity) };
}

/**
 * Creates `file` with `bytes` (and `mode`); its stat signature when `signed`. A file of that name
 * is left only by a worker that stopped half-way through this item (the name is the caller's
 * own); nothing partial is left when writing fails (a full disk).
 */
function writeNew(file: string, bytes: Buffer, mode: number, signed: boolean): FileIdentity | undefined {
  let out: number;
  try {
    out = fs.openSync(file, 'wx', mode);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    fs.rmSync(file, { force: true });
    out = fs.openSync(file, 'wx', mode);
  }
  try {
    let stat: fs.Stats | undefined;
    try {
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(out, bytes, done, bytes.length - done);
      if (signed) stat = fs.fstatSync(out);
    } finally {
      fs.closeSync(out);
    }
    return stat && { dev: stat.dev, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
  } catch (error) {
    fs.rmSync(file, { force: true });
    throw error;
  }
}

/** Copies `items` on all cores (see the top of this file). */
export function copyObjects(items: readonly CopyItem[], options: CopyOptions, onItems?: (from: number, to: number) => void): (CopyResult | ItemError)[] {
  const work: BulkWork<CopyOptions, CopyItem, CopyResult> = { module: import.meta.url, context: options, run: bulkItem };
  return runBulk(work, items, onItems);
}
