/**
 * `mlp text train`: prepared split → TF-IDF + logistic regression model (+ metrics on the test
 * split when there is one). Returns what happened; printing is the CLI's job.
 */
import path from 'node:path';
import { writeMetricsFile } from '../common/metrics.js';
import { formatCsvRecord } from '../../src/util/csv.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { checkTrainingClasses, classIndices, sortedClasses } from './io/class-labels.js';
import { EmptyVocabularyError, fitTfidf, type TfidfFit } from './features/vectorizer.js';
import { inputError } from '../common/errors.js';
import { algebraCsrStorage, type LinearAlgebra } from './solver/linear-algebra.js';
import {
  argmaxRows,
  fitLogisticRegression,
  predictProbabilities,
  solverAlgebra,
  type FitInfo,
  type LogisticModel,
} from './solver/logistic-regression.js';
import { classificationReport, round, type ClassificationReport } from './metrics.js';
import { saveModel, type TextModel } from './io/model-files.js';
import type { TextParams } from './params.js';
import { readSplit, TRAIN_FILE } from './io/split-files.js';

/** Test documents vectorized and scored at a time. */
const SCORE_SLICE = 2000;

export interface TrainOptions {
  dataDir: string;
  outDir: string;
  params: TextParams;
  /** Where to write the metrics JSON (scores and solver figures only: the same data and params give the same bytes). */
  metricsFile?: string;
  /** Where to write the timings JSON: they change every run, so they are kept out of metrics and the model. */
  timingsFile?: string;
  /**
   * Where to write each test document's actual and predicted label (CSV `actual,predicted`, in
   * the test split's order): the data of a confusion-matrix plot (template `confusion`).
   */
  predictionsFile?: string;
  /** Where training is (for a progress display; called synchronously, often). */
  onProgress?: (progress: TrainProgress) => void;
}

/** The steps of training, in order: vectorize the training documents, fit, score the test split. */
export type TrainProgress =
  | { step: 'vectorize'; documents: number; total: number }
  | { step: 'fit'; iteration: number; maxIter: number; loss: number }
  | { step: 'score'; documents: number };

export interface Timing {
  vectorize_seconds: number;
  train_seconds: number;
  predict_seconds: number;
  peak_rss_mb: number;
}

export interface TrainMetrics extends Partial<Omit<ClassificationReport, 'n'>> {
  n_train: number;
  n_test: number;
  n_features: number;
  training: { iterations: number; converged: boolean; stop_reason: string; loss: number };
}

export interface TrainResult {
  outDir: string;
  metricsFile: string | undefined;
  timingsFile: string | undefined;
  predictionsFile: string | undefined;
  classes: string[];
  info: FitInfo;
  metrics: TrainMetrics;
  timing: Timing;
}

export async function trainText(options: TrainOptions): Promise<TrainResult> {
  const { params, onProgress } = options;
  const { train, test } = await readSplit(options.dataDir);
  const classes = sortedClasses(train.labels);
  checkTrainingClasses(train, classes);
  const y = classIndices(train, classes, TRAIN_FILE);
  const testY = test ? classIndices(test, classes, path.join(options.dataDir, TRAIN_FILE)) : undefined;

  const { fit, weights, info, vectorizeSeconds: fitVectorizeSeconds, trainSeconds } = vectorizeAndFit(train, y, classes.length, params, onProgress);
  let vectorizeSeconds = fitVectorizeSeconds;
  let started: number;

  const model: TextModel = {
    classes,
    tfidf: params.tfidf,
    logreg: params.logreg,
    vocabulary: fit.vocabulary,
    weights,
    training: {
      documents: train.texts.length,
      distinctNgrams: fit.distinctNgrams,
      iterations: info.iterations,
      evaluations: info.evaluations,
      converged: info.converged,
      stopReason: info.stopReason,
      loss: info.loss,
      gradientMax: info.gradientMax,
    },
  };

  let report: ClassificationReport | undefined;
  let predictSeconds = 0;
  let predictions: string | undefined;
  if (test && testY) {
    onProgress?.({ step: 'score', documents: test.texts.length });
    // In slices: rows are vectorized independently, so the scores are the same, and the test
    // split's matrix never has to exist whole next to what training left for the GC.
    const predicted = new Int32Array(test.texts.length);
    for (let start = 0; start < test.texts.length; start += SCORE_SLICE) {
      started = performance.now();
      const X = fit.transformer.transform(test.texts.slice(start, start + SCORE_SLICE));
      vectorizeSeconds += seconds(started);
      started = performance.now();
      predicted.set(argmaxRows(predictProbabilities(weights, X), classes.length), start);
      predictSeconds += seconds(started);
    }
    report = classificationReport(testY, predicted, classes);
    if (options.predictionsFile !== undefined) {
      const rows = ['actual,predicted\n'];
      for (let i = 0; i < predicted.length; i++) rows.push(formatCsvRecord([classes[testY[i] as number] as string, classes[predicted[i] as number] as string]));
      predictions = rows.join('');
    }
  }

  const metrics: TrainMetrics = {
    ...(report ? headline(report) : {}),
    n_train: train.texts.length,
    n_test: test?.texts.length ?? 0,
    n_features: fit.vocabulary.terms.length,
    ...(report ? { per_class: report.per_class, confusion_matrix: report.confusion_matrix } : {}),
    training: { iterations: info.iterations, converged: info.converged, stop_reason: info.stopReason, loss: round(info.loss) },
  };
  const timing: Timing = {
    vectorize_seconds: round(vectorizeSeconds, 4),
    train_seconds: round(trainSeconds, 4),
    predict_seconds: round(predictSeconds, 4),
    peak_rss_mb: peakRssMb(),
  };
  await saveModel(options.outDir, model);
  if (options.metricsFile !== undefined) writeMetricsFile(options.metricsFile, metrics);
  if (options.timingsFile !== undefined) writeMetricsFile(options.timingsFile, timing);
  // Without a test split there is nothing to predict: the file holds the header only.
  if (options.predictionsFile !== undefined) writeFileAtomic(options.predictionsFile, predictions ?? 'actual,predicted\n');
  return { outDir: options.outDir, metricsFile: options.metricsFile, timingsFile: options.timingsFile, predictionsFile: options.predictionsFile, classes, info, metrics, timing };
}

/**
 * TF-IDF on the training documents, then the solver. The matrix is written straight into the
 * solver's arena and lives only in this function: once the model is fitted, it and the solver's
 * vectors can go before the test split is vectorized.
 */
function vectorizeAndFit(
  train: { texts: readonly string[]; file: string },
  y: Int32Array,
  nClasses: number,
  params: TextParams,
  onProgress: TrainOptions['onProgress'],
): { fit: Omit<TfidfFit, 'matrix'>; weights: LogisticModel; info: FitInfo; vectorizeSeconds: number; trainSeconds: number } {
  let started = performance.now();
  let algebra: LinearAlgebra | undefined;
  let fit;
  try {
    fit = fitTfidf(train.texts, params.tfidf, {
      ...(onProgress ? { onDocument: (documents: number, total: number) => onProgress({ step: 'vectorize', documents, total }) } : {}),
      matrixStorage: (rows, cols, nnz) => {
        algebra = solverAlgebra({ rows, cols, nnz }, nClasses, params.logreg.fitIntercept);
        return algebraCsrStorage(algebra)(rows, cols, nnz);
      },
    });
  } catch (error) {
    if (error instanceof EmptyVocabularyError) {
      throw inputError({ file: train.file }, error.message, 'check the text column and the tfidf params (min_df, max_df, stop_words)');
    }
    throw error;
  }
  const vectorizeSeconds = seconds(started);
  started = performance.now();
  const { model: weights, info } = fitLogisticRegression(fit.matrix, y, nClasses, params.logreg, {
    ...(algebra ? { algebra } : {}),
    ...(onProgress ? { onIteration: (iteration: number, loss: number) => onProgress({ step: 'fit', iteration, maxIter: params.logreg.maxIter, loss }) } : {}),
  });
  const { vocabulary, transformer, distinctNgrams } = fit;
  return { fit: { vocabulary, transformer, distinctNgrams }, weights, info, vectorizeSeconds, trainSeconds: seconds(started) };
}

/** The single-number scores, first in the metrics file so they are what a reader sees. */
export function headline(report: ClassificationReport): Pick<
  ClassificationReport,
  'accuracy' | 'f1_macro' | 'f1_weighted' | 'precision_macro' | 'recall_macro'
> {
  const { accuracy, f1_macro, f1_weighted, precision_macro, recall_macro } = report;
  return { accuracy, f1_macro, f1_weighted, precision_macro, recall_macro };
}

export function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/** Peak resident memory of this process so far, in MiB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
