/**
 * A worker thread of bulk file work (./bulk.ts): claims chunks of the job's items through the
 * shared counter until none are left (or the main thread says stop), and posts each chunk's
 * results on its channel before it leaves the chunk.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { BUSY, NEXT, STOP, type ChunkMessage } from './bulk.js';
import { runBulkItem, type BulkJob, type BulkResult } from './bulk-work.js';

const { job, shared, chunkSize, port } = workerData as { job: BulkJob; shared: Int32Array; chunkSize: number; port: MessagePort };
const chunks = Math.ceil(job.items.length / chunkSize);
for (;;) {
  // Busy before looking at STOP: the main thread, which sets STOP before it reads BUSY, then
  // either waits for this chunk or is seen to have stopped the work.
  Atomics.add(shared, BUSY, 1);
  const chunk = Atomics.load(shared, STOP) === 1 ? chunks : Atomics.add(shared, NEXT, 1);
  if (chunk >= chunks) {
    Atomics.sub(shared, BUSY, 1);
    Atomics.notify(shared, BUSY);
    break;
  }
  try {
    const results: BulkResult[] = [];
    for (let i = chunk * chunkSize; i < Math.min(job.items.length, (chunk + 1) * chunkSize); i++) results.push(runBulkItem(job, i));
    port.postMessage({ chunk, results } satisfies ChunkMessage);
  } finally {
    Atomics.sub(shared, BUSY, 1);
    Atomics.notify(shared, BUSY);
  }
}
port.close();
