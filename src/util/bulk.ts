/**
 * Both cores for bulk file work (issue 13): storing thousands of small files in the cache (`add`,
 * src/cache/bulk-store.ts), and copying thousands of objects, verified, into a new directory
 * (`checkout`, `pull`) or between the cache and a remote on this machine (`push`, `pull`;
 * src/objects/bulk-copy.ts). Each file costs a dozen system calls and a hash, most of it kernel
 * time; one thread left the second core idle.
 *
 * The items are shared between the main thread and one worker thread per spare core
 * (`MLP_THREADS`, default: the machine's cores, at most 8). Each thread claims the next chunk of
 * CHUNK items through an atomic counter in shared memory, so the faster side does more and no
 * thread waits for another; each holds one file's bytes at a time, so memory stays bounded. The
 * work is a module's `bulkItem(context, item)`, the same function in every thread: a worker
 * imports the module by its URL, so every guarantee of the one-thread path holds in all of them.
 *
 * Synchronous, as the one-thread work it replaces: workers post their results on message
 * channels read with `receiveMessageOnPort`, and the main thread, once out of chunks, waits only
 * for the chunks workers are inside of (a worker that has not started yet has claimed none).
 * Worker threads take ~50–150 ms to start here, so fewer than BULK_MIN items are done on the main
 * thread alone. A worker that fails (or a build without the worker script, as in unit tests that
 * run the TypeScript sources) only means the main thread does its share: whatever no worker
 * reported is done on the main thread at the end, and each kind of work is safe to redo.
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { errorCode } from '../errors.js';

/** Below this many items, starting a worker costs more than it saves. */
export const BULK_MIN = 2000;
/** Items a thread claims at once: small enough to balance, large enough that claiming costs nothing. */
const CHUNK = 64;
const MAX_THREADS = 8;
/** A worker that reports nothing for this long is given up on: the main thread redoes its chunks. */
const STALL_MS = 30_000;

/** Slots of the shared Int32Array: the next chunk to claim; 1 once no more may be claimed; workers inside a chunk. */
export const NEXT = 0;
export const STOP = 1;
export const BUSY = 2;

/** Threads for bulk work, the main thread included (`MLP_THREADS` overrides; 1 turns workers off). */
export function bulkThreads(): number {
  const configured = Number(process.env.MLP_THREADS);
  if (Number.isInteger(configured) && configured >= 1) return Math.min(configured, MAX_THREADS);
  return Math.min(os.availableParallelism(), MAX_THREADS);
}

/**
 * A kind of bulk work: `run` is the `bulkItem` export of the module at `module` (its
 * `import.meta.url`), which workers import; `context` is what every item needs (plain data).
 */
export interface BulkWork<C, I, R> {
  module: string;
  context: C;
  run: (context: C, item: I) => R;
}

/** An item that failed with an error (plain data: it crosses threads); the caller redoes it on its own path, where the error is the real one. */
export interface ItemError {
  error: { message: string; code?: string | undefined };
}

export function isItemError<R>(result: R | ItemError): result is ItemError {
  return typeof result === 'object' && result !== null && 'error' in result;
}

/** What a worker posts on its channel: the results of one chunk. */
export interface ChunkMessage<R> {
  chunk: number;
  results: (R | ItemError)[];
}

export function runItem<C, I, R>(run: (context: C, item: I) => R, context: C, item: I): R | ItemError {
  try {
    return run(context, item);
  } catch (error) {
    return { error: { message: error instanceof Error ? error.message : String(error), code: errorCode(error) } };
  }
}

const workerScript = fileURLToPath(new URL('./bulk-worker.js', import.meta.url));

/**
 * Runs `work` over `items` on the main thread and the workers; the results are in item order.
 * `onItems` hears of each finished run of items, `from` to `to` (exclusive), and whether a worker
 * did them.
 */
export function runBulk<C, I, R>(work: BulkWork<C, I, R>, items: readonly I[], onItems?: (from: number, to: number, byWorker: boolean) => void): (R | ItemError)[] {
  const n = items.length;
  const chunks = Math.ceil(n / CHUNK);
  const results = new Array<R | ItemError>(n);
  const reported = new Uint8Array(chunks);
  const shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  const record = (chunk: number, chunkResults: readonly (R | ItemError)[], byWorker: boolean): void => {
    if (reported[chunk]) return;
    reported[chunk] = 1;
    chunkResults.forEach((r, i) => (results[chunk * CHUNK + i] = r));
    onItems?.(chunk * CHUNK, chunk * CHUNK + chunkResults.length, byWorker);
  };
  const doChunk = (chunk: number): void => {
    const out: (R | ItemError)[] = [];
    for (let i = chunk * CHUNK; i < Math.min(n, (chunk + 1) * CHUNK); i++) out.push(runItem(work.run, work.context, items[i] as I));
    record(chunk, out, false);
  };
  const ports = n >= BULK_MIN ? startWorkers(Math.min(bulkThreads() - 1, chunks - 1), work, items, shared) : [];
  const drain = (): void => {
    for (const port of ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const message = m.message as ChunkMessage<R>;
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
  return results;
}

/** Starts `count` workers on `work`, each with a channel for its results; returns the main thread's ends. */
function startWorkers<C, I, R>(count: number, work: BulkWork<C, I, R>, items: readonly I[], shared: Int32Array): MessagePort[] {
  if (count < 1 || !fs.existsSync(workerScript) || work.module.endsWith('.ts')) return [];
  const ports: MessagePort[] = [];
  for (let i = 0; i < count; i++) {
    const { port1, port2 } = new MessageChannel();
    try {
      // No inherited node flags: a worker needs none, and some (`--input-type`) stop it from starting.
      const workerData = { module: work.module, context: work.context, items, shared, chunkSize: CHUNK, port: port2 };
      const worker = new Worker(workerScript, { execArgv: [], workerData, transferList: [port2] });
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
