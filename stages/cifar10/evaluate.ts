/**
 * `mlp cifar10 evaluate`: test-set accuracy and loss, per-class accuracy and the confusion matrix,
 * with the training time recorded by `train` and the prediction time measured here.
 */
import { writeMetricsFile } from '../common/metrics.js';
import { NUM_CLASSES } from './cifar-format.js';
import { loadSplit } from './dataset.js';
import { loadModel } from './model-io.js';
import { evaluateLoss } from './train.js';
import { loadTf, type BackendChoice } from './tf-runtime.js';

export interface EvaluateOptions {
  modelDir: string;
  dataDir: string;
  /** Evaluate on the first N test images only (0 = all). */
  limit?: number;
  batchSize?: number;
  backend?: BackendChoice;
  threads?: number;
  /** Where to write the metrics; none by default. */
  metricsPath?: string;
}

export interface EvaluateMetrics {
  accuracy: number;
  loss: number;
  per_class_accuracy: Record<string, number>;
  /** confusion_matrix[true][predicted], rows and columns in `classes` order. */
  confusion_matrix: number[][];
  classes: string[];
  test_images: number;
  train_seconds: number | null;
  train_images_per_second: number | null;
  predict_seconds: number;
  predict_images_per_second: number;
  backend: string;
  threads: number;
}

export async function evaluateCifar10(options: EvaluateOptions): Promise<EvaluateMetrics> {
  const test = await loadSplit(options.dataDir, 'test', options.limit ?? 0);
  const runtime = await loadTf({ ...(options.backend ? { backend: options.backend } : {}), threads: options.threads ?? 0 });
  const { tf } = runtime;
  const { model, metadata } = await loadModel(tf, options.modelDir);
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  const start = performance.now();
  const { loss, accuracy } = evaluateLoss(tf, model, test, metadata.normalization, options.batchSize ?? 500, (batchStart, probs) => {
    const n = probs.length / NUM_CLASSES;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < NUM_CLASSES; k++) if (probs[i * NUM_CLASSES + k]! > probs[i * NUM_CLASSES + best]!) best = k;
      confusion[test.labels[batchStart + i]!]![best]!++;
    }
  });
  const predictSeconds = (performance.now() - start) / 1000;
  model.dispose();
  const classes = metadata.classes.length === NUM_CLASSES ? metadata.classes : test.classNames;
  const perClass: Record<string, number> = {};
  classes.forEach((name, k) => {
    const row = confusion[k]!;
    const total = row.reduce((a, b) => a + b, 0);
    perClass[name] = total === 0 ? 0 : round(row[k]! / total);
  });
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const metrics: EvaluateMetrics = {
    accuracy: round(accuracy),
    loss: round(loss),
    per_class_accuracy: perClass,
    confusion_matrix: confusion,
    classes,
    test_images: test.count,
    train_seconds: num(metadata.train_seconds),
    train_images_per_second: num(metadata.images_per_second),
    predict_seconds: round(predictSeconds, 3),
    predict_images_per_second: Math.round(test.count / predictSeconds),
    backend: runtime.backend,
    threads: runtime.threads,
  };
  if (options.metricsPath !== undefined) writeMetricsFile(options.metricsPath, metrics);
  return metrics;
}

function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
