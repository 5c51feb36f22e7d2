/**
 * `mlp text evaluate`: a trained model on labelled documents → scores, confusion matrix (and,
 * apart from them, timings).
 */
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
  /** Where to write the metrics JSON; none when undefined (the command prints the scores). */
  metricsFile?: string;
  /** Where to write the timings JSON (kept out of the metrics: they change every run). */
  timingsFile?: string;
}

export interface EvaluateMetrics extends Omit<ClassificationReport, 'n'> {
  n_test: number;
}

export interface EvaluateTiming {
  vectorize_seconds: number;
  predict_seconds: number;
  peak_rss_mb: number;
}

export interface EvaluateResult {
  metricsFile: string | undefined;
  timingsFile: string | undefined;
  dataFile: string;
  metrics: EvaluateMetrics;
  timing: EvaluateTiming;
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
  };
  const timing: EvaluateTiming = {
    vectorize_seconds: round(vectorizeSeconds, 4),
    predict_seconds: round(predictSeconds, 4),
    peak_rss_mb: peakRssMb(),
  };
  if (options.metricsFile !== undefined) writeMetricsFile(options.metricsFile, metrics);
  if (options.timingsFile !== undefined) writeMetricsFile(options.timingsFile, timing);
  return { metricsFile: options.metricsFile, timingsFile: options.timingsFile, dataFile: documents.file, metrics, timing };
}
