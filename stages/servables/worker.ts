/** An inference worker of `mlp serve --workers N` (src/serve/predictor.ts): one model, batches in, probabilities out. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelKind } from '../../src/serve/model.js';
import { loadServable } from './load.js';

const { dir, kind } = workerData as { dir: string; kind: ModelKind };
try {
  const model = await loadServable(dir, kind);
  parentPort!.on('message', (inputs: unknown[]) => {
    model.predict(inputs).then(
      (probabilities) => parentPort!.postMessage({ probabilities }, [probabilities.buffer as ArrayBuffer]),
      (error: Error) => parentPort!.postMessage({ error: error.message }),
    );
  });
  parentPort!.postMessage({ ready: true });
} catch (error) {
  parentPort!.postMessage({ error: (error as Error).message });
}
