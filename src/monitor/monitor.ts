/**
 * `mlp monitor`: a window of what a served model saw (its telemetry, or a file or directory of
 * inputs) against the data it was trained on (the reference its lock entry points to), judged by
 * the tests of text-drift.ts, image-drift.ts and prediction-drift.ts. Returns the report
 * (drift.json) and what the HTML report draws; writing and exit codes are the command's.
 */
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { Random } from '../../stages/common/random.js';
import { PIXELS_PER_IMAGE } from '../../stages/cifar10/cifar-format.js';
import type { InferenceRecord } from '../serve/telemetry.js';
import { modelSource } from '../serve/source.js';
import { detectModelKind } from '../../stages/servables/load.js';
import type { Distribution } from './distributions.js';
import { readImages, readTexts, type Images } from './inputs.js';
import type { Predictions } from './prediction-drift.js';
import { predictionDrift } from './prediction-drift.js';
import { locateReference } from './reference.js';
import { verdict, type DriftReport, type DriftTest, type Thresholds } from './report.js';
import { readTelemetryWindow } from './telemetry-window.js';

export type CurrentSource = { telemetry: string; since?: Date; last?: number } | { inputs: string };

export interface MonitorOptions {
  modelDir: string;
  current: CurrentSource;
  /** Training data to compare with instead of what the lock names. */
  reference?: string;
  /** The text column of CSV inputs and references. */
  textColumn: string;
  thresholds: Thresholds;
  now?: Date;
}

export interface MonitorResult {
  report: DriftReport;
  distributions: Distribution[];
}

/** What the current window holds once read: inputs (when known) and the model's answers (when logged). */
interface Current<I> {
  inputs: I | undefined;
  predictions: Predictions | undefined;
  rows: number;
  sampled?: number;
  from?: string;
  to?: string;
  path: string;
}

export async function runMonitor(options: MonitorOptions): Promise<MonitorResult> {
  const modelDir = path.resolve(options.modelDir);
  const kind = detectModelKind(modelDir);
  const source = modelSource(modelDir);
  const reference = locateReference(options.modelDir, kind, source.sha256, options.reference);
  const { thresholds } = options;
  const random = new Random(thresholds.seed);
  const tests: DriftTest[] = [];
  const distributions: Distribution[] = [];
  let referenceRows: number;
  let heldOutRows: number | undefined;
  let current: Current<unknown>;

  if (kind === 'text') {
    const { loadModel } = await import('../../stages/text/io/model-files.js');
    const { TfidfTransformer } = await import('../../stages/text/features/vectorizer.js');
    const { predictProbabilities } = await import('../../stages/text/solver/logistic-regression.js');
    const { textDrift } = await import('./text-drift.js');
    const model = await loadModel(modelDir);
    const transformer = new TfidfTransformer(model.vocabulary, model.tfidf);
    const predict = (texts: readonly string[]): Predictions => answers(predictProbabilities(model.weights, transformer.transform([...texts])), model.classes);

    const train = await readTexts(reference.train, options.textColumn);
    referenceRows = train.length;
    const refTexts = sample(train, thresholds.sample, random);
    const heldOut = reference.heldOut ? sample(await readTexts(reference.heldOut, options.textColumn), thresholds.sample, random) : undefined;
    heldOutRows = heldOut?.length;
    const cur = await readCurrent<string[]>(options, source.sha256, random, (records) => records.map((r) => r.input!), (target) => readTexts(target, options.textColumn), (texts, picked) => picked.map((i) => texts[i]!), (texts) => texts.length);
    current = cur;
    if (cur.inputs) {
      const text = textDrift({
        reference: refTexts,
        current: cur.inputs,
        tokenizer: model.tfidf,
        ...(heldOut ? { vocabulary: { terms: model.vocabulary.terms, heldOut } } : {}),
        thresholds,
      });
      tests.push(...text.tests);
      distributions.push(...text.distributions);
    }
    const curPredictions = cur.predictions ?? predict(cur.inputs!);
    const prediction = predictionDrift(model.classes, predict(heldOut ?? refTexts), curPredictions, thresholds);
    tests.push(...prediction.tests);
    distributions.push(...prediction.distributions);
  } else {
    const { loadImageModel } = await import('./image-model.js');
    const { embeddingDrift, intensityDrift } = await import('./image-drift.js');
    const model = await loadImageModel(modelDir);
    try {
      const train = await readImages(reference.train);
      referenceRows = train.count;
      const refImages = sampleImages(train, thresholds.sample, random);
      const heldOut = reference.heldOut ? sampleImages(await readImages(reference.heldOut), thresholds.sample, random) : undefined;
      heldOutRows = heldOut?.count;
      const cur = await readCurrent<Images>(options, source.sha256, random, decodeLoggedImages, readImages, (images, picked) => pickImages(images, picked), (images) => images.count);
      current = cur;
      const refOut = await model.run((heldOut ?? refImages).pixels, (heldOut ?? refImages).count);
      const refPredictions = answers(refOut.probabilities, model.classes);
      let curPredictions = cur.predictions;
      if (cur.inputs) {
        const intensity = intensityDrift(refImages.pixels, refImages.count, cur.inputs.pixels, cur.inputs.count, thresholds);
        const curOut = await model.run(cur.inputs.pixels, cur.inputs.count);
        const embedding = embeddingDrift(refOut.embeddings, curOut.embeddings, curOut.dimension, thresholds);
        tests.push(...intensity.tests, ...embedding.tests);
        distributions.push(...intensity.distributions, ...embedding.distributions);
        curPredictions ??= answers(curOut.probabilities, model.classes);
      }
      const prediction = predictionDrift(model.classes, refPredictions, curPredictions!, thresholds);
      tests.push(...prediction.tests);
      distributions.push(...prediction.distributions);
    } finally {
      model.dispose();
    }
  }

  const report: DriftReport = {
    drift: verdict(tests, thresholds.driftShare),
    model: { path: shown(modelDir), sha256: source.sha256 },
    reference: {
      path: shown(reference.train),
      ...(reference.sha256 ? { sha256: reference.sha256 } : {}),
      ...(reference.stage ? { stage: reference.stage } : {}),
      rows: referenceRows,
      ...(reference.heldOut && heldOutRows !== undefined ? { held_out: { path: shown(reference.heldOut), rows: heldOutRows } } : {}),
    },
    current: {
      rows: current.rows,
      source: 'telemetry' in options.current ? 'telemetry' : 'inputs',
      path: current.path,
      ...(current.sampled !== undefined ? { sampled: current.sampled } : {}),
      ...(current.from ? { from: current.from, to: current.to! } : {}),
      inputs: current.inputs !== undefined,
    },
    tests,
    created: (options.now ?? new Date()).toISOString(),
  };
  return { report, distributions };
}

/**
 * The current window: telemetry records (their logged answers; their inputs when every record has
 * one) or inputs read from files, then a seeded sample of at most `sample` rows.
 */
async function readCurrent<I>(
  options: MonitorOptions,
  modelSha256: string,
  random: Random,
  fromRecords: (records: InferenceRecord[]) => I,
  fromFiles: (target: string) => Promise<I>,
  pick: (inputs: I, rows: number[]) => I,
  size: (inputs: I) => number,
): Promise<Current<I>> {
  const max = options.thresholds.sample;
  if ('inputs' in options.current) {
    const all = await fromFiles(options.current.inputs);
    const rows = size(all);
    if (rows <= max) return { inputs: all, predictions: undefined, rows, path: shown(options.current.inputs) };
    return { inputs: pick(all, sampledRows(rows, max, random)), predictions: undefined, rows, sampled: max, path: shown(options.current.inputs) };
  }
  const { telemetry, since, last } = options.current;
  const window = readTelemetryWindow({ file: telemetry, modelSha256, ...(since ? { since } : {}), ...(last !== undefined ? { last } : {}) });
  const all = window.records;
  const records = all.length <= max ? all : sampledRows(all.length, max, random).map((i) => all[i]!);
  const withInputs = records.every((r) => r.input !== undefined);
  return {
    inputs: withInputs ? fromRecords(records) : undefined,
    predictions: { labels: records.map((r) => r.label), confidences: records.map((r) => r.confidence) },
    rows: all.length,
    ...(records.length < all.length ? { sampled: records.length } : {}),
    from: all[0]!.ts,
    to: all[all.length - 1]!.ts,
    path: shown(telemetry),
  };
}

/** Labels and confidences (rounded as `mlp serve` logs them) from row-major probabilities. */
function answers(probabilities: ArrayLike<number>, classes: readonly string[]): Predictions {
  const K = classes.length;
  const rows = probabilities.length / K;
  const labels: string[] = [];
  const confidences: number[] = [];
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probabilities[i * K + k]! > probabilities[i * K + best]!) best = k;
    labels.push(classes[best]!);
    confidences.push(Math.round(probabilities[i * K + best]! * 1e6) / 1e6);
  }
  return { labels, confidences };
}

function decodeLoggedImages(records: InferenceRecord[]): Images {
  const pixels = new Uint8Array(records.length * PIXELS_PER_IMAGE);
  records.forEach((r, i) => {
    const bytes = Buffer.from(r.input!, 'base64');
    if (bytes.length !== PIXELS_PER_IMAGE) {
      throw new MlpError(`a logged input of ${r.ts} is ${bytes.length} bytes, not a 32×32 RGB image (${PIXELS_PER_IMAGE} bytes)`, {
        hint: 'is this the log of an image model? point --telemetry at the log `mlp serve` wrote for this model',
        exitCode: ExitCode.invalidPipeline,
      });
    }
    pixels.set(bytes, i * PIXELS_PER_IMAGE);
  });
  return { pixels, count: records.length };
}

function sampledRows(count: number, max: number, random: Random): number[] {
  return Array.from(random.permutation(count).subarray(0, max)).sort((a, b) => a - b);
}

function sample<T>(items: readonly T[], max: number, random: Random): T[] {
  return items.length <= max ? [...items] : sampledRows(items.length, max, random).map((i) => items[i]!);
}

function sampleImages(images: Images, max: number, random: Random): Images {
  return images.count <= max ? images : pickImages(images, sampledRows(images.count, max, random));
}

function pickImages(images: Images, rows: readonly number[]): Images {
  const pixels = new Uint8Array(rows.length * PIXELS_PER_IMAGE);
  rows.forEach((row, k) => pixels.set(images.pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE), k * PIXELS_PER_IMAGE));
  return { pixels, count: rows.length };
}

/** A path as the user would type it: relative to the current directory when inside it. */
function shown(p: string): string {
  const relative = path.relative(process.cwd(), path.resolve(p));
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? path.resolve(p) : relative.split(path.sep).join('/');
}
