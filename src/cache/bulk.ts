/**
 * Both cores for bulk file work (issue 13): storing thousands of small files in the cache (`add`),
 * writing thousands of verified objects into a new directory (`checkout`, `pull`) and copying
 * them between the cache and a remote on this machine (`push`, `pull`). Each file
 * costs a dozen system calls and a hash, most of it kernel time; one thread left the second core
 * idle.
 *
 * The items are shared between the main thread and one worker thread per spare core
 * (`MLP_THREADS`, default: the machine's cores, at most 8). Each thread claims the next chunk of
 * CHUNK items through an atomic counter in shared memory, so the faster side does more and no
 * thread waits for another; each holds one file's bytes at a time, so memory stays bounded. The
 * per-item work is the same function in every thread (./bulk-work.ts), and every guarantee of
 * the single-threaded path holds: an object is stored only as the bytes that were hashed, through
 * a temp file and a rename; a workspace file is written only from bytes that hash to its object.
 *
 * Worker threads take ~60–120 ms to start here, so fewer than BULK_MIN items are done on the main
 * thread alone. A worker that fails (or a build without the worker script, as in unit tests that
 * run the TypeScript sources) only means the main thread does its share: chunks are reported when
 * done, and whatever no worker reported is done on the main thread at the end. Redoing an item is
 * safe: a store writes the same bytes under the same name again, a placement rewrites its file.
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { runBulkItem, useStore, type BulkJob, type BulkResult } from './bulk-work.js';
import type { ObjectStore } from './object-store.js';

export { isItemError, type BulkJob, type BulkResult, type CopyItem, type CopyResult, type StoreItem, type StoreResult } from './bulk-work.js';

/** Below this many items, starting a worker costs more than it saves. */
export const BULK_MIN = 2000;
/** Items a thread claims at once: small enough to balance, large enough that claiming costs nothing. */
const CHUNK = 64;
const MAX_THREADS = 8;

/** Threads for bulk work, the main thread included (`MLP_THREADS` overrides; 1 turns workers off). */
export function bulkThreads(): number {
  const configured = Number(process.env.MLP_THREADS);
  if (Number.isInteger(configured) && configured >= 1) return Math.min(configured, MAX_THREADS);
  return Math.min(os.availableParallelism(), MAX_THREADS);
}

const workerScript = fileURLToPath(new URL('./bulk-worker.js', import.meta.url));

/** What a worker posts on its channel: the results of one chunk. */
export interface ChunkMessage {
  chunk: number;
  results: BulkResult[];
}

/** Slots of the shared Int32Array: the next chunk to claim; 1 once no more may be claimed; workers inside a chunk. */
export const NEXT = 0;
export const STOP = 1;
export const BUSY = 2;

/** A worker that reports nothing for this long is given up on: the main thread redoes its chunks. */
const STALL_MS = 30_000;

export interface BulkOptions {
  /** For `store` jobs, the main thread's store (the repository's): its own writes keep its listings current. */
  store?: ObjectStore | undefined;
  /** Hears of each finished run of items, `from` to `to` (exclusive), and whether a worker did them. */
  onItems?: ((from: number, to: number, byWorker: boolean) => void) | undefined;
}

/**
 * Runs `job` over all of its items on the main thread and the workers, and returns the results in
 * item order. Synchronous, as the single-threaded work it replaces: the workers' results arrive
 * on message channels read with `receiveMessageOnPort`, and the main thread, once out of chunks,
 * waits only for the chunks workers are inside of (a worker that has not started yet claims none).
 */
export function runBulk(job: BulkJob, options: BulkOptions = {}): BulkResult[] {
  if (options.store) {
    options.store.claim(); // before any worker writes a temp file (see ObjectStore.claim)
    useStore(options.store);
  }
  const n = job.items.length;
  const chunks = Math.ceil(n / CHUNK);
  const results = new Array<BulkResult | undefined>(n);
  const reported = new Uint8Array(chunks);
  const shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  const record = (chunk: number, chunkResults: readonly BulkResult[], byWorker: boolean): void => {
    if (reported[chunk]) return;
    reported[chunk] = 1;
    chunkResults.forEach((r, i) => (results[chunk * CHUNK + i] = r));
    options.onItems?.(chunk * CHUNK, chunk * CHUNK + chunkResults.length, byWorker);
  };
  const doChunk = (chunk: number): void => {
    const out: BulkResult[] = [];
    for (let i = chunk * CHUNK; i < Math.min(n, (chunk + 1) * CHUNK); i++) out.push(runBulkItem(job, i));
    record(chunk, out, false);
  };
  const ports = n >= BULK_MIN ? startWorkers(Math.min(bulkThreads() - 1, chunks - 1), job, shared) : [];
  const drain = (): void => {
    for (const port of ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const message = m.message as ChunkMessage;
        record(message.chunk, message.results, true);
      }
    }
  };
  try {
    for (let chunk = Atomics.add(shared, NEXT, 1); chunk < chunks; chunk = Atomics.add(shared, NEXT, 1)) {
      doChunk(chunk);
      drain();
    }
  } finally {
    Atomics.store(shared, STOP, 1);
    // Wait for the chunks workers are inside of (they post before they leave one).
    let lastProgress = Date.now();
    for (let busy = Atomics.load(shared, BUSY); busy > 0 && Date.now() - lastProgress < STALL_MS; busy = Atomics.load(shared, BUSY)) {
      if (Atomics.wait(shared, BUSY, busy, 100) !== 'timed-out') lastProgress = Date.now();
    }
    drain();
    for (const port of ports) port.close();
  }
  for (let chunk = 0; chunk < chunks; chunk++) if (!reported[chunk]) doChunk(chunk);
  return results as BulkResult[];
}

/** Starts `count` workers on `job`, each with a channel for its results; returns the main thread's ends. */
function startWorkers(count: number, job: BulkJob, shared: Int32Array): MessagePort[] {
  if (count < 1 || !fs.existsSync(workerScript)) return [];
  const ports: MessagePort[] = [];
  for (let i = 0; i < count; i++) {
    const { port1, port2 } = new MessageChannel();
    try {
      // No inherited node flags: a worker needs none, and some (`--input-type`) stop it from starting.
      const worker = new Worker(workerScript, { execArgv: [], workerData: { job, shared, chunkSize: CHUNK, port: port2 }, transferList: [port2] });
      // An error in the worker: what it did not report, the main thread redoes.
      worker.on('error', () => undefined);
      worker.unref();
      ports.push(port1);
    } catch {
      port1.close();
    }
  }
  return ports;
}
