/**
 * Where inference runs. `--workers 0` runs it on the event loop (the least latency for tiny
 * models and one client); `--workers N` runs it in N worker threads, each with its own copy of
 * the model, so that a slow batch never stalls health checks, metrics or request parsing.
 * Requests that arrive while every worker is busy are batched together (up to `maxBatch`
 * inputs): under load the model sees fewer, larger batches, which is where its throughput is.
 */
import { Worker } from 'node:worker_threads';
import type { ServableModel } from './model.js';

export interface Predictor {
  predict(inputs: unknown[]): Promise<Float32Array | Float64Array>;
  /** Finishes what was asked, then releases the model (and its workers). */
  close(): Promise<void>;
}

export function inProcessPredictor(model: ServableModel): Predictor {
  let pending = 0;
  let drained: (() => void) | undefined;
  return {
    async predict(inputs) {
      pending++;
      try {
        return await model.predict(inputs);
      } finally {
        if (--pending === 0) drained?.();
      }
    },
    async close() {
      if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
      model.dispose();
    },
  };
}

interface Job {
  inputs: unknown[];
  resolve(probabilities: Float32Array | Float64Array): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  busy: Job[] | undefined;
}

/** What a worker is told at start: the model to load. The worker script answers `{ready}` or `{error}`. */
export interface WorkerInit {
  dir: string;
  kind: string;
}

export async function workerPredictor(script: URL, init: WorkerInit, workers: number, classes: number, maxBatch = 64): Promise<Predictor> {
  const queue: Job[] = [];
  let closing: (() => void) | undefined;
  const slots: Slot[] = await Promise.all(
    Array.from({ length: workers }, () => new Promise<Slot>((resolve, reject) => {
      const worker = new Worker(script, { workerData: init });
      const slot: Slot = { worker, busy: undefined };
      worker.once('message', (message: { ready?: true; error?: string }) => (message.ready ? resolve(slot) : reject(new Error(message.error))));
      worker.once('error', reject);
    })),
  );
  const idle = (): boolean => slots.every((s) => !s.busy) && queue.length === 0;
  const dispatch = (): void => {
    for (const slot of slots) {
      if (slot.busy || queue.length === 0) continue;
      const batch: Job[] = [];
      let size = 0;
      while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.inputs.length <= maxBatch)) {
        const job = queue.shift()!;
        batch.push(job);
        size += job.inputs.length;
      }
      slot.busy = batch;
      slot.worker.postMessage(batch.flatMap((j) => j.inputs));
    }
    if (closing && idle()) closing();
  };
  for (const slot of slots) {
    slot.worker.on('message', (message: { probabilities?: Float32Array | Float64Array; error?: string }) => {
      const batch = slot.busy ?? [];
      slot.busy = undefined;
      let offset = 0;
      for (const job of batch) {
        if (message.probabilities) job.resolve(message.probabilities.slice(offset * classes, (offset + job.inputs.length) * classes));
        else job.reject(new Error(message.error ?? 'the inference worker failed'));
        offset += job.inputs.length;
      }
      dispatch();
    });
    slot.worker.on('error', (error) => {
      for (const job of slot.busy ?? []) job.reject(error);
      slot.busy = undefined;
    });
  }
  return {
    predict(inputs) {
      return new Promise((resolve, reject) => {
        queue.push({ inputs, resolve, reject });
        dispatch();
      });
    },
    async close() {
      if (!idle()) await new Promise<void>((resolve) => (closing = resolve));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
