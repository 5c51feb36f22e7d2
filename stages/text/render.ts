/**
 * What `mlp text` shows: summaries of command results and training progress (pure; the commands
 * print them).
 */
import type { ProgressUpdate } from '../../src/ui/progress.js';
import type { EvaluateResult } from './evaluate.js';
import type { ClassificationReport } from './metrics.js';
import type { PrepareResult } from './prepare.js';
import type { TrainProgress, TrainResult } from './train.js';

export function formatPrepareSummary(result: PrepareResult, testSize: number, seed: number): string {
  const lines = [
    `Prepared ${result.outDir} from ${result.source === 'csv' ? 'CSV' : 'the SpamAssassin corpus'}: ` +
      `${result.rows} rows → ${result.trainRows} train, ${result.testRows} test (test size ${testSize}, seed ${seed})`,
    ...table(
      ['class', 'train', 'test'],
      result.classes.map((c) => [c.label, String(c.train), String(c.test)]),
    ),
  ];
  return lines.join('\n') + '\n';
}

export function formatTrainSummary(result: TrainResult): string {
  const { metrics, info } = result;
  const lines = [
    `Trained ${result.outDir} on ${metrics.n_train} documents: ${result.classes.length} classes, ` +
      `${metrics.n_features} features`,
    `  solver: L-BFGS, ${info.iterations} iterations, ` +
      (info.converged ? `converged (${info.stopReason})` : 'NOT converged (max_iter reached)'),
  ];
  if (metrics.accuracy !== undefined) {
    lines.push(
      `  test (${metrics.n_test} rows): accuracy ${fixed(metrics.accuracy)}, F1 macro ${fixed(metrics.f1_macro!)}, ` +
        `F1 weighted ${fixed(metrics.f1_weighted!)}`,
    );
  } else {
    lines.push('  no test.csv in the data directory: nothing to score');
  }
  const t = result.timing;
  lines.push(
    `  time: vectorize ${t.vectorize_seconds.toFixed(2)} s, train ${t.train_seconds.toFixed(2)} s, ` +
      `predict ${t.predict_seconds.toFixed(3)} s; peak memory ${t.peak_rss_mb} MiB`,
  );
  lines.push(...written(result));
  return lines.join('\n') + '\n';
}

/** Training progress as a status line: documents vectorized, then solver iterations. */
export function trainProgressUpdate(progress: TrainProgress): ProgressUpdate {
  switch (progress.step) {
    case 'vectorize':
      return { label: 'vectorizing', done: progress.documents, total: progress.total, unit: 'documents' };
    case 'fit':
      // No total: L-BFGS usually stops long before max_iter, so a bar to max_iter would mislead.
      return {
        label: 'fitting (L-BFGS)',
        done: progress.iteration,
        unit: 'iterations',
        detail: `loss ${progress.loss.toPrecision(6)}  max_iter ${progress.maxIter}`,
      };
    case 'score':
      return { label: 'scoring the test split', done: progress.documents, unit: 'documents' };
  }
}

export function formatEvaluateSummary(result: EvaluateResult): string {
  const m = result.metrics;
  const lines = [
    `Evaluated on ${m.n_test} rows of ${result.dataFile}: accuracy ${fixed(m.accuracy)}, ` +
      `F1 macro ${fixed(m.f1_macro)}, F1 weighted ${fixed(m.f1_weighted)}`,
    ...perClassTable(m),
    ...written(result),
  ];
  return lines.join('\n') + '\n';
}

function written(result: { metricsFile: string | undefined; timingsFile: string | undefined; predictionsFile?: string | undefined }): string[] {
  return [
    ...(result.metricsFile !== undefined ? [`Metrics written to ${result.metricsFile}`] : []),
    ...(result.predictionsFile !== undefined ? [`Test predictions written to ${result.predictionsFile}`] : []),
    ...(result.timingsFile !== undefined ? [`Timings written to ${result.timingsFile}`] : []),
  ];
}

function perClassTable(report: Pick<ClassificationReport, 'per_class'>): string[] {
  return table(
    ['class', 'precision', 'recall', 'f1', 'support'],
    Object.entries(report.per_class).map(([label, s]) => [
      label,
      fixed(s.precision),
      fixed(s.recall),
      fixed(s.f1),
      String(s.support),
    ]),
  );
}

function fixed(value: number): string {
  return value.toFixed(4);
}

/** Two-space-indented table; first column left-aligned, the others right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const format = (row: string[]): string =>
    '  ' + row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [format(header), ...rows.map(format)];
}
