/**
 * `mlp text evaluate`: a trained model on labelled documents → scores, confusion matrix, timings.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeMetricsFile } from '../common/metrics.js';
import { classIndices } from './io/class-labels.js';
import { argmaxRows, predictProbabilities } from './solver/logistic-regression.js';
import { classificationReport, round, type ClassificationReport } from './metrics.js';
import { loadModel } from './io/model-files.js';
import { readEvaluationData } from './io/split-files.js';
import { headline, peakRssMb, seconds } from './train.js';
import { TfidfTransformer } from './features/vectorizer.js';

export interface EvaluateOptions {
  modelDir: string;
  /** Prepared directory (its test.csv is used) or a CSV file with text,label columns. */
  data: string;
  metricsFile: string;
  /** Training metrics to copy `train_seconds` from; default `<modelDir>/metrics.json` if present. */
  trainMetricsFile?: string;
}

export interface EvaluateMetrics extends Omit<ClassificationReport, 'n'> {
  n_test: number;
  timing: {
    train_seconds: number | null;
    vectorize_seconds: number;
    predict_seconds: number;
    peak_rss_mb: number;
  };
}

export interface EvaluateResult {
  metricsFile: string;
  dataFile: string;
  metrics: EvaluateMetrics;
}

export async function evaluateText(options: EvaluateOptions): Promise<EvaluateResult> {
  const model = await loadModel(options.modelDir);
  const documents = await readEvaluationData(options.data);
  const truth = classIndices(documents, model.classes, `the model in ${options.modelDir}`);

  let started = performance.now();
  const X = new TfidfTransformer(model.vocabulary, model.tfidf).transform(documents.texts);
  const vectorizeSeconds = seconds(started);
  started = performance.now();
  const predicted = argmaxRows(predictProbabilities(model.weights, X), model.classes.length);
  const predictSeconds = seconds(started);
  const report = classificationReport(truth, predicted, model.classes);

  const metrics: EvaluateMetrics = {
    ...headline(report),
    n_test: report.n,
    per_class: report.per_class,
    confusion_matrix: report.confusion_matrix,
    timing: {
      train_seconds: await trainSeconds(options.trainMetricsFile ?? path.join(options.modelDir, 'metrics.json')),
      vectorize_seconds: round(vectorizeSeconds, 4),
      predict_seconds: round(predictSeconds, 4),
      peak_rss_mb: peakRssMb(),
    },
  };
  writeMetricsFile(options.metricsFile, metrics);
  return { metricsFile: options.metricsFile, dataFile: documents.file, metrics };
}

/** `timing.train_seconds` of a training metrics file, or null when there is none. */
async function trainSeconds(file: string): Promise<number | null> {
  try {
    const metrics = JSON.parse(await readFile(file, 'utf8')) as { timing?: { train_seconds?: unknown } };
    const value = metrics.timing?.train_seconds;
    return typeof value === 'number' ? value : null;
  } catch {
    return null;
  }
}
