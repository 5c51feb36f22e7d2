/**
 * `mlp cifar10 train`: a custom training loop (rather than `model.fit`) so that batches are
 * built on the fly from uint8 data with augmentation, the learning rate follows the schedule per
 * step, weight decay applies to kernels only, and progress reports images/s and ETA.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { writeDirectoryAtomically, writeFileAtomic } from '../../src/util/fs.js';
import { writeMetricsFile } from '../common/metrics.js';
import { computeNormalization, fillBatch, type Normalization } from './batches.js';
import { NUM_CLASSES, PIXELS_PER_IMAGE, IMAGE_SIZE, CHANNELS } from './cifar-format.js';
import { loadSplit, type LoadedSplit } from './dataset.js';
import { applyForTraining } from './fast-batch-norm.js';
import { buildModel } from './model.js';
import { METADATA_JSON, saveModel } from './model-io.js';
import type { Cifar10Params } from './params.js';
import { Random } from '../common/random.js';
import { learningRateAt } from './schedule.js';
import { loadTf, type BackendChoice, type Tf } from './tf-runtime.js';

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
  learning_rate: number;
  seconds: number;
  images_per_second: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Training images processed so far (all epochs) and in the whole run. */
  images: number;
  totalImages: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  imagesPerSecond: number;
  etaSeconds: number;
  /** Set on the last report of an epoch. */
  epochRecord?: EpochRecord;
}

export interface TrainOptions {
  dataDir: string;
  outDir: string;
  params: Cifar10Params;
  /** Per-epoch series (.json array or .csv); default `<outDir>/history.json`. */
  historyPath?: string;
  /** Where to write the training summary (`TrainSummary`) as a metrics file; none by default. */
  metricsPath?: string;
  backend?: BackendChoice;
  onProgress?: (progress: TrainProgress) => void;
}

/** The training summary: what `--metrics` writes and `--json` prints. */
export interface TrainSummary {
  train_seconds: number;
  wall_seconds: number;
  images_per_second: number;
  epochs: number;
  train_images: number;
  parameters: number;
  train_loss: number | null;
  train_accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  backend: string;
  threads: number;
}

export interface TrainResult {
  outDir: string;
  historyPath: string;
  /** The metrics file written, if one was asked for. */
  metricsPath: string | undefined;
  summary: TrainSummary;
  history: EpochRecord[];
  /** Time spent in training steps (excludes data loading and per-epoch validation). */
  trainSeconds: number;
  /**
   * CPU time of the whole process (all threads) during those steps. On a shared machine
   * images per CPU-second is a steadier speed figure than images per wall-clock second.
   */
  cpuSeconds: number;
  wallSeconds: number;
  imagesPerSecond: number;
  backend: string;
  threads: number;
  parameters: number;
  trainCount: number;
}

export async function trainCifar10(options: TrainOptions): Promise<TrainResult> {
  const wallStart = performance.now();
  const { params } = options;
  const p = params.train;
  // Data first: a wrong --data fails before TensorFlow.js and its thread pool start.
  const train = await loadSplit(options.dataDir, 'train', p.train_limit);
  const val = p.val_limit > 0 ? await loadSplit(options.dataDir, 'test', p.val_limit) : undefined;
  const runtime = await loadTf({ ...(options.backend ? { backend: options.backend } : {}), threads: p.threads });
  const { tf } = runtime;
  const norm = computeNormalization(train.images, train.count);
  // Seed 0 has always meant the golden-ratio state here; kept so that seed-0 runs reproduce.
  const random = new Random(p.seed === 0 ? 0x9e3779b9 : p.seed);

  const model = buildModel(tf, params.model, p.seed);
  const batchSize = Math.min(p.batch_size, train.count);
  // Drop the ragged last batch: a handful of images would give batch norm noisy statistics.
  const batchesPerEpoch = Math.max(1, Math.floor(train.count / batchSize));
  const totalSteps = batchesPerEpoch * p.epochs;
  const optimizer = p.optimizer === 'adam' ? tf.train.adam(p.learning_rate) : tf.train.momentum(p.learning_rate, p.momentum, true);
  const trainable = model.trainableWeights.map((w) => w.read() as TF.Variable);
  // L2 on conv/dense kernels only; decaying batch-norm scales and biases hurts accuracy.
  const decayed = new Set(trainable.filter((v) => /kernel/.test(v.name)).map((v) => v.name));

  const history: EpochRecord[] = [];
  const input = new Float32Array(batchSize * PIXELS_PER_IMAGE);
  const labels = new Int32Array(batchSize);
  let trainSeconds = 0;
  let cpuMicros = 0;
  let step = 0;

  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const order = random.permutation(train.count);
    const epochStart = performance.now();
    const cpuStart = process.cpuUsage();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lr = p.learning_rate;
    for (let b = 0; b < batchesPerEpoch; b++, step++) {
      const indices = order.subarray(b * batchSize, (b + 1) * batchSize);
      fillBatch(train.images, indices, norm, input, p.augment.flip || p.augment.crop > 0 ? { params: p.augment, random } : undefined);
      for (let i = 0; i < indices.length; i++) labels[i] = train.labels[indices[i]!]!;
      lr = learningRateAt(p.schedule, p.learning_rate, step, totalSteps, p.warmup);
      if (p.optimizer === 'adam') (optimizer as unknown as { learningRate: number }).learningRate = lr;
      else (optimizer as TF.MomentumOptimizer).setLearningRate(lr);

      const [loss, hits] = trainStep(tf, runtime.backend === 'wasm', model, optimizer, trainable, decayed, input, labels, batchSize, p.label_smoothing, p.weight_decay);
      lossSum += loss * batchSize;
      correct += hits;
      seen += batchSize;

      const elapsed = (performance.now() - epochStart) / 1000;
      const ips = seen / Math.max(elapsed, 1e-9);
      const stepsLeft = totalSteps - step - 1;
      options.onProgress?.({
        epoch,
        epochs: p.epochs,
        batch: b + 1,
        batches: batchesPerEpoch,
        images: (step + 1) * batchSize,
        totalImages: totalSteps * batchSize,
        loss: lossSum / seen,
        accuracy: correct / seen,
        learningRate: lr,
        imagesPerSecond: ips,
        etaSeconds: (stepsLeft * batchSize) / Math.max(ips, 1e-9),
      });
    }
    const seconds = (performance.now() - epochStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    cpuMicros += cpu.user + cpu.system;
    trainSeconds += seconds;
    const valResult = val ? evaluateLoss(tf, model, val, norm) : undefined;
    const record: EpochRecord = {
      epoch,
      train_loss: round(lossSum / seen),
      train_accuracy: round(correct / seen),
      val_loss: valResult ? round(valResult.loss) : null,
      val_accuracy: valResult ? round(valResult.accuracy) : null,
      learning_rate: round(lr, 6),
      seconds: round(seconds, 2),
      images_per_second: Math.round(seen / seconds),
    };
    history.push(record);
    options.onProgress?.({
      epoch,
      epochs: p.epochs,
      batch: batchesPerEpoch,
      batches: batchesPerEpoch,
      images: epoch * batchesPerEpoch * batchSize,
      totalImages: totalSteps * batchSize,
      loss: record.train_loss,
      accuracy: record.train_accuracy,
      learningRate: lr,
      imagesPerSecond: record.images_per_second,
      etaSeconds: ((p.epochs - epoch) * batchesPerEpoch * batchSize) / Math.max(record.images_per_second, 1e-9),
      epochRecord: record,
    });
  }

  const imagesPerSecond = Math.round((totalSteps * batchSize) / trainSeconds);
  const parameters = model.countParams();
  const metadata = {
    format: 'mlp-cifar10-model/1' as const,
    classes: train.classNames,
    normalization: norm,
    params: { model: params.model, train: params.train },
    backend: runtime.backend,
    threads: runtime.threads,
    parameters,
    train_images: train.count,
    train_seconds: round(trainSeconds, 2),
    images_per_second: imagesPerSecond,
    history,
  };
  const historyPath = options.historyPath ?? path.join(options.outDir, 'history.json');
  // The history goes inside the model directory unless asked elsewhere; either way the model
  // directory appears whole or not at all (a pipeline must never cache half a model).
  const historyInside = path.relative(path.resolve(options.outDir), path.resolve(historyPath));
  const inside = historyInside !== '' && !historyInside.startsWith('..') && !path.isAbsolute(historyInside);
  await writeDirectoryAtomically(options.outDir, async (dir) => {
    await saveModel(tf, model, dir, metadata);
    if (inside) {
      await mkdir(path.dirname(path.join(dir, historyInside)), { recursive: true });
      await writeFile(path.join(dir, historyInside), formatHistory(historyPath, history));
    }
  });
  if (!inside) writeFileAtomic(historyPath, formatHistory(historyPath, history));
  optimizer.dispose();
  // MomentumOptimizer.dispose() does not release its learning-rate scalar (SGDOptimizer's `c`).
  const lrScalar = (optimizer as unknown as { c?: TF.Tensor }).c;
  if (lrScalar && !lrScalar.isDisposed) lrScalar.dispose();
  model.dispose();
  const last = history[history.length - 1];
  const summary: TrainSummary = {
    train_seconds: round(trainSeconds, 2),
    wall_seconds: round((performance.now() - wallStart) / 1000, 2),
    images_per_second: imagesPerSecond,
    epochs: history.length,
    train_images: train.count,
    parameters,
    train_loss: last?.train_loss ?? null,
    train_accuracy: last?.train_accuracy ?? null,
    val_loss: last?.val_loss ?? null,
    val_accuracy: last?.val_accuracy ?? null,
    backend: runtime.backend,
    threads: runtime.threads,
  };
  if (options.metricsPath !== undefined) writeMetricsFile(options.metricsPath, summary);
  return {
    outDir: options.outDir,
    historyPath,
    metricsPath: options.metricsPath,
    summary,
    history,
    trainSeconds: summary.train_seconds,
    cpuSeconds: round(cpuMicros / 1e6, 2),
    wallSeconds: summary.wall_seconds,
    imagesPerSecond,
    backend: runtime.backend,
    threads: runtime.threads,
    parameters,
    trainCount: train.count,
  };
}

/** One SGD step; returns [mean loss, correct predictions]. */
function trainStep(
  tf: Tf,
  fastBatchNorm: boolean,
  model: TF.LayersModel,
  optimizer: TF.Optimizer,
  trainable: TF.Variable[],
  decayed: Set<string>,
  input: Float32Array,
  labels: Int32Array,
  batchSize: number,
  labelSmoothing: number,
  weightDecay: number,
): [number, number] {
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [batchSize, IMAGE_SIZE, IMAGE_SIZE, CHANNELS]);
    const y = tf.tensor1d(labels.subarray(0, batchSize), 'int32');
    const oneHot = tf.oneHot(y, NUM_CLASSES);
    let hits: TF.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = applyForTraining(tf, model, x, fastBatchNorm) as TF.Tensor2D;
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
      return tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, labelSmoothing) as TF.Scalar;
    }, trainable);
    if (weightDecay > 0) {
      for (const v of trainable) {
        const g = grads[v.name];
        if (g && decayed.has(v.name)) grads[v.name] = tf.add(g, tf.mul(v, weightDecay));
      }
    }
    optimizer.applyGradients(grads);
    const loss = value.dataSync()[0]!;
    const correct = hits!.dataSync()[0]!;
    hits!.dispose();
    return [loss, correct] as [number, number];
  });
}

/** Mean cross-entropy and accuracy in inference mode, in batches to bound memory. */
export function evaluateLoss(
  tf: Tf,
  model: TF.LayersModel,
  split: LoadedSplit,
  norm: Normalization,
  batchSize = 500,
  collect?: (batchStart: number, probabilities: Float32Array) => void,
): { loss: number; accuracy: number } {
  const input = new Float32Array(batchSize * PIXELS_PER_IMAGE);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const n = Math.min(batchSize, split.count - start);
    const indices = Array.from({ length: n }, (_, i) => start + i);
    fillBatch(split.images, indices, norm, input);
    const [lossT, hitsT, probsT] = tf.tidy(() => {
      const x = tf.tensor4d(input.subarray(0, n * PIXELS_PER_IMAGE), [n, IMAGE_SIZE, IMAGE_SIZE, CHANNELS]);
      const y = tf.tensor1d(Int32Array.from(split.labels.subarray(start, start + n)), 'int32');
      const logits = model.predict(x) as TF.Tensor2D;
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(y, NUM_CLASSES), logits);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32'));
      return [l, h, collect ? tf.softmax(logits) : undefined] as [TF.Tensor, TF.Tensor, TF.Tensor | undefined];
    });
    // Read outside tidy: tidy would walk a returned typed array element by element.
    const loss = lossT.dataSync()[0]!;
    const hits = hitsT.dataSync()[0]!;
    const probs = probsT?.dataSync() as Float32Array | undefined;
    tf.dispose([lossT, hitsT, ...(probsT ? [probsT] : [])]);
    lossSum += loss * n;
    correct += hits;
    if (collect && probs) collect(start, probs);
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}

/** The history as CSV/TSV (by extension) or a JSON array. */
function formatHistory(file: string, history: EpochRecord[]): string {
  if (file.endsWith('.csv') || file.endsWith('.tsv')) {
    const sep = file.endsWith('.tsv') ? '\t' : ',';
    const keys = Object.keys(history[0] ?? {}) as (keyof EpochRecord)[];
    const lines = [keys.join(sep), ...history.map((r) => keys.map((k) => (r[k] === null ? '' : String(r[k]))).join(sep))];
    return `${lines.join('\n')}\n`;
  }
  return `${JSON.stringify(history, null, 2)}\n`;
}

function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export { METADATA_JSON };
