/**
 * The model directory (format version 1). Three files, all deterministic — the same data and
 * params give byte-identical files, so a pipeline's run-cache and hashes stay stable:
 *
 *   model.json       metadata: classes, params, shapes, training summary, sha256 of the others
 *   vocabulary.json  {"terms": [...], "idf": [...] | null}; column j of the features is terms[j]
 *   weights.bin      float64 little-endian: coef as [columns][n_features] (scikit-learn's
 *                    `coef_` layout, row-major), then intercept[columns]; columns = 1 for two
 *                    classes (scores of classes[1]), else one per class
 *
 * Timings are deliberately not in here (they would change every run); they go to the metrics file.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeDirectoryAtomically } from '../../../src/util/fs.js';
import { errorCode } from '../../../src/errors.js';
import { inputError } from '../../common/errors.js';
import { formatJson } from '../../common/json.js';
import type { LogisticModel } from '../solver/logistic-regression.js';
import { parseTextParams, textParamsToPlain, type LogregParams, type TfidfParams } from '../params.js';
import type { TfidfVocabulary } from '../features/vectorizer.js';

export const MODEL_FILE = 'model.json';
export const VOCABULARY_FILE = 'vocabulary.json';
export const WEIGHTS_FILE = 'weights.bin';
const FORMAT = 'mlp-text-model';
const VERSION = 1;

export interface TrainingSummary {
  documents: number;
  distinctNgrams: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  stopReason: string;
  loss: number;
  gradientMax: number;
}

export interface TextModel {
  classes: string[];
  tfidf: TfidfParams;
  logreg: LogregParams;
  vocabulary: TfidfVocabulary;
  weights: LogisticModel;
  training: TrainingSummary;
}

export function encodeModel(model: TextModel): Map<string, string | Uint8Array> {
  const { weights } = model;
  const vocabulary = `${JSON.stringify({
    terms: model.vocabulary.terms,
    idf: model.vocabulary.idf === null ? null : Array.from(model.vocabulary.idf),
  })}\n`;
  const columns = weights.columns;
  const values = new Float64Array(columns * weights.nFeatures + columns);
  let offset = 0;
  for (let k = 0; k < columns; k++) {
    for (let j = 0; j < weights.nFeatures; j++) values[offset++] = weights.coef[j * columns + k]!;
  }
  values.set(weights.intercept, offset);
  const bytes = littleEndianBytes(values);
  const plain = textParamsToPlain({ split: { testSize: 0.2, seed: 0 }, tfidf: model.tfidf, logreg: model.logreg });
  const t = model.training;
  const metadata = {
    format: FORMAT,
    version: VERSION,
    classes: model.classes,
    n_features: weights.nFeatures,
    coef_shape: [columns, weights.nFeatures],
    tfidf: plain.tfidf,
    logreg: plain.logreg,
    training: {
      documents: t.documents,
      distinct_ngrams: t.distinctNgrams,
      iterations: t.iterations,
      evaluations: t.evaluations,
      converged: t.converged,
      stop_reason: t.stopReason,
      loss: t.loss,
      gradient_max: t.gradientMax,
    },
    sha256: { [VOCABULARY_FILE]: sha256(vocabulary), [WEIGHTS_FILE]: sha256(bytes) },
  };
  return new Map<string, string | Uint8Array>([
    [MODEL_FILE, formatJson(metadata)],
    [VOCABULARY_FILE, vocabulary],
    [WEIGHTS_FILE, bytes],
  ]);
}

/** Replaces directory `dir` with the model's files, all at once (never half a model). */
export async function saveModel(dir: string, model: TextModel): Promise<void> {
  const files = encodeModel(model);
  await writeDirectoryAtomically(dir, async (temp) => {
    for (const [name, contents] of files) await writeFile(path.join(temp, name), contents);
  });
}

export async function loadModel(dir: string): Promise<TextModel> {
  const modelFile = path.join(dir, MODEL_FILE);
  const metadata = parseJson(await readModelFile(modelFile), modelFile) as Record<string, unknown>;
  if (metadata.format !== FORMAT || metadata.version !== VERSION) {
    throw inputError({ file: modelFile }, `not an mlp text model (format ${FORMAT} version ${VERSION})`);
  }
  const classes = metadata.classes as string[];
  const nFeatures = metadata.n_features as number;
  const [columns] = metadata.coef_shape as [number, number];
  const hashes = metadata.sha256 as Record<string, string>;

  const vocabularyFile = path.join(dir, VOCABULARY_FILE);
  const vocabularyBytes = await readModelFile(vocabularyFile);
  const weightsFile = path.join(dir, WEIGHTS_FILE);
  const weightBytes = await readModelFile(weightsFile);
  for (const [file, bytes] of [
    [vocabularyFile, vocabularyBytes],
    [weightsFile, weightBytes],
  ] as const) {
    if (sha256(bytes) !== hashes[path.basename(file)]) {
      throw inputError({ file }, 'checksum does not match model.json: the model is corrupted or mixed with another', 'train it again');
    }
  }
  const vocabularyJson = parseJson(vocabularyBytes, vocabularyFile) as { terms: string[]; idf: number[] | null };
  if (vocabularyJson.terms.length !== nFeatures || weightBytes.length !== 8 * columns * (nFeatures + 1)) {
    throw inputError({ file: modelFile }, 'shapes in model.json do not match vocabulary.json / weights.bin');
  }
  const values = float64FromLittleEndian(weightBytes);
  const coef = new Float64Array(nFeatures * columns);
  let offset = 0;
  for (let k = 0; k < columns; k++) {
    for (let j = 0; j < nFeatures; j++) coef[j * columns + k] = values[offset++]!;
  }
  const intercept = values.slice(offset, offset + columns);

  // min_df/max_df: integers are document counts; fractions are written as strings ("1.0").
  const tfidfPlain = { ...(metadata.tfidf as Record<string, unknown>) };
  for (const key of ['min_df', 'max_df']) {
    if (typeof tfidfPlain[key] === 'number') tfidfPlain[key] = BigInt(tfidfPlain[key]);
  }
  const params = parseTextParams({ tfidf: tfidfPlain, logreg: metadata.logreg }, modelFile);
  const training = metadata.training as Record<string, unknown>;
  return {
    classes,
    tfidf: params.tfidf,
    logreg: params.logreg,
    vocabulary: {
      terms: vocabularyJson.terms,
      idf: vocabularyJson.idf === null ? null : Float64Array.from(vocabularyJson.idf),
    },
    weights: { nFeatures, nClasses: classes.length, columns, coef, intercept },
    training: {
      documents: training.documents as number,
      distinctNgrams: training.distinct_ngrams as number,
      iterations: training.iterations as number,
      evaluations: training.evaluations as number,
      converged: training.converged as boolean,
      stopReason: training.stop_reason as string,
      loss: training.loss as number,
      gradientMax: training.gradient_max as number,
    },
  };
}

async function readModelFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      throw inputError({ file }, 'missing model file', 'train a model with `mlp text train --data <dir> --out <model dir>`');
    }
    throw inputError({ file }, (error as Error).message);
  }
}

const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/** float64 → little-endian bytes (a plain copy on little-endian machines). */
function littleEndianBytes(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  if (!LITTLE_ENDIAN) for (let i = 0; i < bytes.length; i += 8) bytes.subarray(i, i + 8).reverse();
  return bytes;
}

function float64FromLittleEndian(bytes: Uint8Array): Float64Array {
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN) for (let i = 0; i < copy.length; i += 8) copy.subarray(i, i + 8).reverse();
  return new Float64Array(copy.buffer, 0, copy.length / 8);
}

function parseJson(bytes: Buffer, file: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw inputError({ file }, `invalid JSON: ${(error as Error).message}`);
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
