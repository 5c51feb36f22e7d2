/**
 * A worker thread of bulk file work (./bulk.ts): imports the work's module, then claims chunks of
 * the items through the shared counter until none are left (or the main thread says stop), and
 * posts each chunk's results on its channel before it leaves the chunk.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { BUSY, NEXT, STOP, runItem, type ChunkMessage } from './bulk.js';

const { module, context, items, shared, chunkSize, port } = workerData as {
  module: string;
  context: unknown;
  items: unknown[];
  shared: Int32Array;
  chunkSize: number;
  port: MessagePort;
};
const { bulkItem } = (await import(module)) as { bulkItem: (context: unknown, item: unknown) => unknown };
const chunks = Math.ceil(items.length / chunkSize);
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
    const results: unknown[] = [];
    for (let i = chunk * chunkSize; i < Math.min(items.length, (chunk + 1) * chunkSize); i++) results.push(runItem(bulkItem, context, items[i]));
    port.postMessage({ chunk, results } satisfies ChunkMessage<unknown>);
  } finally {
    Atomics.sub(shared, BUSY, 1);
    Atomics.notify(shared, BUSY);
  }
}
port.close();
