/**
 * What `mlp cifar10` shows: summaries of command results and training/download progress (pure;
 * the commands print them).
 */
import type { ProgressUpdate } from '../../src/ui/progress.js';
import type { DownloadProgress } from './download.js';
import type { EvaluateMetrics } from './evaluate.js';
import type { Prediction } from './predict.js';
import type { PrepareResult } from './prepare.js';
import type { EpochRecord, TrainProgress, TrainResult } from './train.js';

export function downloadProgressUpdate(progress: DownloadProgress): ProgressUpdate {
  return { label: 'downloading', done: progress.receivedBytes, total: progress.totalBytes, unit: 'bytes' };
}

export function formatPrepareSummary(result: PrepareResult, source: string): string {
  const from = result.sourceKind === 'url' ? `${source}${result.downloaded ? '' : ' (cached)'}` : source;
  return (
    `prepared ${result.trainCount} train + ${result.testCount} test images from ${from}${result.verified ? ' (checksum ok)' : ''}\n` +
    `wrote ${result.files.join(', ')}\n`
  );
}

/** The status line while an epoch runs: images of the whole run, then the batch's figures. */
export function trainProgressUpdate(p: TrainProgress): ProgressUpdate {
  return {
    label: `epoch ${p.epoch}/${p.epochs}`,
    done: p.images,
    total: p.totalImages,
    unit: 'img',
    detail: `batch ${p.batch}/${p.batches}  loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)}  lr ${p.learningRate.toPrecision(3)}`,
  };
}

/** The line each finished epoch leaves in the log. */
export function formatEpoch(r: EpochRecord, epochs: number): string {
  const val = r.val_accuracy === null ? '' : `  val_loss ${r.val_loss!.toFixed(3)} val_acc ${r.val_accuracy.toFixed(3)}`;
  return `epoch ${r.epoch}/${epochs}  loss ${r.train_loss.toFixed(3)} acc ${r.train_accuracy.toFixed(3)}${val}  ${r.images_per_second} img/s  ${r.seconds.toFixed(1)}s`;
}

export function formatTrainSummary(result: TrainResult): string {
  const threads = result.threads > 1 ? ` ×${result.threads} threads` : '';
  return (
    `trained ${result.parameters} parameters on ${result.trainCount} images in ${result.trainSeconds.toFixed(1)}s ` +
    `(${result.imagesPerSecond} img/s, ${result.backend}${threads})\n` +
    `saved ${result.outDir}, history ${result.historyPath}\n`
  );
}

export function formatEvaluateSummary(metrics: EvaluateMetrics, metricsPath: string): string {
  const width = Math.max(...metrics.classes.map((c) => c.length));
  return (
    `accuracy ${metrics.accuracy.toFixed(4)}  loss ${metrics.loss.toFixed(4)}  on ${metrics.test_images} test images\n` +
    `predict ${metrics.predict_seconds.toFixed(2)}s (${metrics.predict_images_per_second} img/s)` +
    `${metrics.train_seconds === null ? '' : `, train ${metrics.train_seconds.toFixed(1)}s`}\n` +
    metrics.classes.map((c) => `  ${c.padEnd(width)}  ${metrics.per_class_accuracy[c]!.toFixed(3)}`).join('\n') +
    `\nwrote ${metricsPath}\n`
  );
}

/** One line per image; with `top` > 1, the runners-up too. */
export function formatPredictions(predictions: Prediction[], top: number | undefined): string {
  const width = Math.max(...predictions.map((p) => p.file.length));
  return predictions
    .map((p) => {
      const rest = top && top > 1 ? `  (${p.top.map((t) => `${t.label} ${t.probability.toFixed(3)}`).join(', ')})` : '';
      return `${p.file.padEnd(width)}  ${p.label}  ${p.confidence.toFixed(3)}${rest}\n`;
    })
    .join('');
}
