/**
 * sha256 of file contents. Files are read in 128 KiB chunks into one reusable buffer: node:crypto
 * hashes at ~1.1 GB/s a core here, and large unaligned reads are several times slower.
 *
 * The copying variants hash the very bytes they write, in one pass over the source: what lands
 * in the destination is exactly what was hashed, however the source changes meanwhile (the
 * caller checks the source's stat to learn whether it did). The async variants read and write on
 * libuv's thread pool, several chunks ahead, and hash 512 KiB slices on the main thread between
 * callbacks, so a multi-gigabyte file neither stalls the event loop (other stages keep starting,
 * Ctrl-C is handled) nor needs a worker thread (~60–120 ms to start here).
 */
import crypto, { createHash } from 'node:crypto';
import fs from 'node:fs';
import { withPath } from '../errors.js';
import { computedSha256, type Sha256 } from '../schema/sha256.js';
import { sameFile, type FileIdentity } from '../util/stat-signature.js';

const CHUNK = 128 * 1024;
/**
 * The async variants read larger chunks: each costs a thread-pool round trip, and at 512 KiB a
 * 64 MiB copy-while-hashing took 74 ms against 102 ms at 128 KiB (bench/add-file.mjs).
 */
const ASYNC_CHUNK = 512 * 1024;
/** Async reads in flight ahead of the hashing (and writes behind it). */
const DEPTH = 4;
let chunkBuffer: Buffer | undefined;

/** `crypto.hash` (Node ≥ 20.12) skips the Hash object: 4 µs instead of 6 for a 4 KiB file, 20,000 times in a pull. */
const oneShot: ((data: string | Uint8Array) => string) | undefined =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : undefined;

export function hashBytes(data: string | Uint8Array): Sha256 {
  return computedSha256(oneShot ? oneShot(data) : createHash('sha256').update(data).digest('hex'));
}

export function hashFileSync(file: string): Sha256 {
  const fd = fs.openSync(file, 'r');
  try {
    return hashFdSync(fd).hash;
  } finally {
    fs.closeSync(fd);
  }
}

/** Hashes what is left to read of `fd`, writing each chunk to `outFd` too when given. */
export function hashFdSync(fd: number, outFd?: number): { hash: Sha256; size: number } {
  const hash = createHash('sha256');
  chunkBuffer ??= Buffer.allocUnsafeSlow(CHUNK);
  let size = 0;
  for (;;) {
    const n = fs.readSync(fd, chunkBuffer, 0, CHUNK, null);
    if (n === 0) break;
    const chunk = n === CHUNK ? chunkBuffer : chunkBuffer.subarray(0, n);
    hash.update(chunk);
    if (outFd !== undefined) writeAllSync(outFd, chunk);
    size += n;
  }
  return { hash: computedSha256(hash.digest('hex')), size };
}

function writeAllSync(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
}

/** Thrown by the async variants when `signal` aborts them. */
export class HashAborted extends Error {
  constructor() {
    super('hashing was interrupted');
    this.name = 'HashAborted';
  }
}

/** `onBytes` hears how many bytes of the file are hashed so far (for a progress display). */
export async function hashFile(file: string, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<Sha256> {
  const handle = await fs.promises.open(file, 'r');
  try {
    return (await hashHandle(handle, undefined, signal, onBytes)).hash;
  } finally {
    await handle.close();
  }
}

/**
 * Hashes `input` from its start; with `output`, writes every chunk at the same offset there as
 * well. Reads run up to DEPTH chunks ahead; a buffer is reused only once its write finished.
 * `onBytes` hears the bytes hashed so far after each chunk (one large file's progress).
 */
export async function hashHandle(
  input: fs.promises.FileHandle,
  output: fs.promises.FileHandle | undefined,
  signal?: AbortSignal,
  onBytes?: (bytes: number) => void,
): Promise<{ hash: Sha256; size: number }> {
  const hash = createHash('sha256');
  const buffers = Array.from({ length: DEPTH }, () => Buffer.allocUnsafeSlow(ASYNC_CHUNK));
  const writes: Promise<unknown>[] = buffers.map(() => Promise.resolve());
  const reads: Promise<number>[] = [];
  let readAt = 0;
  const readInto = (slot: number): Promise<number> => {
    const at = readAt;
    readAt += ASYNC_CHUNK;
    return (writes[slot] as Promise<unknown>).then(async () => (await input.read(buffers[slot] as Buffer, 0, ASYNC_CHUNK, at)).bytesRead);
  };
  let size = 0;
  let slot = 0;
  try {
    for (let i = 0; i < DEPTH; i++) reads.push(readInto(i));
    for (;;) {
      const n = await (reads.shift() as Promise<number>);
      if (signal?.aborted) throw new HashAborted();
      if (n === 0) break;
      const chunk = (buffers[slot] as Buffer).subarray(0, n);
      hash.update(chunk);
      if (output) {
        const at = size;
        writes[slot] = writeAll(output, chunk, at);
      }
      size += n;
      onBytes?.(size);
      if (n < ASYNC_CHUNK) break; // a short read is the end: nothing more was there when it was read
      reads.push(readInto(slot));
      slot = (slot + 1) % DEPTH;
    }
  } finally {
    // No read or write may outlive the caller's file handles.
    await Promise.allSettled([...reads, ...writes]);
  }
  await Promise.all(writes); // rethrows a failed write (e.g. ENOSPC)
  return { hash: computedSha256(hash.digest('hex')), size };
}

/**
 * Copies `src` into the new file `dest` by the kernel (a clone where the filesystem can, else
 * `copy_file_range`: no byte passes through this process) while this thread hashes the same file
 * through `input`, its open handle, so the copy and the hash take two cores. When the file kept
 * the signature `before` by handle and by path until both ended, the bytes copied are the bytes
 * hashed (the trust mlp puts in a stat signature everywhere): their hash, size and the file's
 * stat are returned; undefined when it changed. A failed copy rejects with its error, a failed
 * or aborted hash with its own.
 */
export async function copyWhileHashing(
  src: string,
  input: fs.promises.FileHandle,
  before: FileIdentity,
  dest: string,
  signal?: AbortSignal,
  onBytes?: (bytes: number) => void,
): Promise<{ hash: Sha256; size: number; stat: fs.Stats } | undefined> {
  const [copy, hashing] = await Promise.allSettled([
    // Exclusive: a truncating copy makes ext4 write the file back when it is closed.
    fs.promises.copyFile(src, dest, fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL),
    hashHandle(input, undefined, signal, onBytes),
  ]);
  if (copy.status === 'rejected') throw copy.reason;
  if (hashing.status === 'rejected') throw withPath(hashing.reason, src);
  const { hash, size } = hashing.value;
  const after = await input.stat();
  const copied = await fs.promises.stat(dest);
  if (!sameFile(before, after) || !sameFile(before, await fs.promises.stat(src)) || size !== after.size || copied.size !== size) return undefined;
  return { hash, size, stat: after };
}

async function writeAll(handle: fs.promises.FileHandle, data: Buffer, at: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    done += (await handle.write(data, done, data.length - done, at + done)).bytesWritten;
  }
}
