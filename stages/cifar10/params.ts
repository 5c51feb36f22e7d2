/**
 * Parameters of the CIFAR-10 stage, read from a YAML section such as `params.yaml#cifar10`.
 * One schema, with defaults and validation in one place, so that the CLI, the pipeline and the
 * benchmark agree on what each key means.
 */
import { existsSync } from 'node:fs';
import { ParamsError } from '../common/errors.js';
import { loadParamsSection as loadSection, parseParamsRef } from '../common/params.js';

export const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** Published on https://www.cs.toronto.edu/~kriz/cifar.html for cifar-10-binary.tar.gz. */
export const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

export type Schedule = 'constant' | 'step' | 'cosine' | 'one_cycle';
export type OptimizerName = 'sgd' | 'adam';

export interface ModelParams {
  /** Channels of the first conv block; each later block doubles it. */
  width: number;
  /** Number of conv blocks (each: conv-bn-relu [×depth], then 2×2 max-pool). */
  blocks: number;
  /** Convolutions per block. */
  depth: number;
  batch_norm: boolean;
  /** Max-pool right after each block's last conv, before its batch norm and ReLU. */
  pool_first: boolean;
  /** Units of the hidden dense layer; 0 = global average pooling straight into the classifier. */
  dense: number;
  dropout: number;
}

export interface AugmentParams {
  flip: boolean;
  /** Random-crop padding in pixels (0 = off). */
  crop: number;
}

export interface TrainParams {
  epochs: number;
  batch_size: number;
  optimizer: OptimizerName;
  /** Peak learning rate. */
  learning_rate: number;
  schedule: Schedule;
  /** Fraction of training spent warming up (one_cycle) . */
  warmup: number;
  momentum: number;
  weight_decay: number;
  label_smoothing: number;
  augment: AugmentParams;
  seed: number;
  /** Use only the first N training images (0 = all); for quick runs. */
  train_limit: number;
  /** Evaluate on at most this many test images after each epoch (0 = skip validation). */
  val_limit: number;
  /** Threads for the wasm backend (0 = one per CPU core). */
  threads: number;
}

export interface Cifar10Params {
  source: string;
  md5: string | undefined;
  sha256: string | undefined;
  model: ModelParams;
  train: TrainParams;
}

export const DEFAULT_PARAMS: Cifar10Params = {
  source: OFFICIAL_URL,
  md5: OFFICIAL_MD5,
  sha256: undefined,
  // The benchmarked configuration (bench/cifar10/README.md): ~0.73-0.76 test accuracy in 4-6 epochs.
  model: { width: 16, blocks: 3, depth: 1, batch_norm: true, pool_first: true, dense: 0, dropout: 0 },
  train: {
    epochs: 4,
    batch_size: 128,
    optimizer: 'sgd',
    learning_rate: 0.1,
    schedule: 'one_cycle',
    warmup: 0.2,
    momentum: 0.9,
    weight_decay: 5e-4,
    label_smoothing: 0.1,
    augment: { flip: true, crop: 0 },
    seed: 42,
    train_limit: 0,
    val_limit: 1000,
    threads: 0,
  },
};

const HINT = 'the cifar10 params, their defaults and ranges are listed in the README (CIFAR-10 CNN trainer → Params)';

function paramsError(message: string): ParamsError {
  return new ParamsError(message, { hint: HINT });
}

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Loads section `file#key` (the key defaults to `cifar10`); it must exist and be a mapping. */
export async function loadParamsSection(spec: string): Promise<Raw> {
  const ref = parseParamsRef(spec, 'cifar10');
  const node = loadSection(ref);
  if (!isObject(node)) throw paramsError(`${ref.where} is not a mapping`);
  return node;
}

/**
 * The params of a command: the section `spec` names, else `params.yaml#cifar10` when the working
 * directory has one (a pipeline stage's usual setup), else the defaults.
 */
export async function loadCifar10Params(spec: string | undefined): Promise<Cifar10Params> {
  if (spec !== undefined) return resolveParams(await loadParamsSection(spec), parseParamsRef(spec, 'cifar10').where);
  const ref = parseParamsRef('params.yaml', 'cifar10');
  const node = existsSync(ref.file) ? loadSection(ref, { optional: true }) : undefined;
  return isObject(node) ? resolveParams(node, ref.where) : resolveParams({});
}

function check<T>(section: string, raw: Raw, key: string, fallback: T, valid: (v: unknown) => boolean, what: string): T {
  if (!(key in raw) || raw[key] === null) return fallback;
  const value = raw[key];
  if (!valid(value)) throw paramsError(`${section}.${key} must be ${what}, got ${JSON.stringify(value)}`);
  return value as T;
}

const int = (min: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= min;
const num = (min: number, max = Infinity) => (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const oneOf = (values: readonly string[]) => (v: unknown) => typeof v === 'string' && values.includes(v);
const bool = (v: unknown) => typeof v === 'boolean';
const hexOrEmpty = (v: unknown) => typeof v === 'string';

function unknownKeys(section: string, raw: Raw, known: string[]): void {
  const extra = Object.keys(raw).filter((k) => !known.includes(k));
  if (extra.length > 0) throw paramsError(`unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `${section}.${k}`).join(', ')} (known: ${known.join(', ')})`);
}

/** Validates a raw section against the schema, filling defaults. */
export function resolveParams(raw: Raw = {}, section = 'cifar10'): Cifar10Params {
  const d = DEFAULT_PARAMS;
  unknownKeys(section, raw, ['source', 'md5', 'sha256', 'model', 'train']);
  const modelRaw = raw.model === undefined || raw.model === null ? {} : raw.model;
  const trainRaw = raw.train === undefined || raw.train === null ? {} : raw.train;
  if (!isObject(modelRaw)) throw paramsError(`${section}.model must be a mapping`);
  if (!isObject(trainRaw)) throw paramsError(`${section}.train must be a mapping`);
  const ms = `${section}.model`;
  const ts = `${section}.train`;
  unknownKeys(ms, modelRaw, Object.keys(d.model));
  unknownKeys(ts, trainRaw, Object.keys(d.train));

  const augmentRaw = trainRaw.augment;
  let augment: AugmentParams;
  if (augmentRaw === undefined || augmentRaw === null || augmentRaw === true) augment = { ...d.train.augment };
  else if (augmentRaw === false) augment = { flip: false, crop: 0 };
  else if (isObject(augmentRaw)) {
    unknownKeys(`${ts}.augment`, augmentRaw, ['flip', 'crop']);
    augment = {
      flip: check(`${ts}.augment`, augmentRaw, 'flip', d.train.augment.flip, bool, 'true or false'),
      crop: check(`${ts}.augment`, augmentRaw, 'crop', d.train.augment.crop, int(0), 'an integer ≥ 0'),
    };
  } else throw paramsError(`${ts}.augment must be true, false or {flip, crop}`);

  const md5 = check(section, raw, 'md5', d.md5, hexOrEmpty, 'a hex string') as string | undefined;
  const sha256 = check(section, raw, 'sha256', d.sha256, hexOrEmpty, 'a hex string') as string | undefined;
  const source = check(section, raw, 'source', d.source, (v) => typeof v === 'string' && v !== '', 'a URL or path');
  return {
    source,
    // A section that names its own source without a checksum must not inherit the official md5.
    md5: md5 === '' ? undefined : 'source' in raw && !('md5' in raw) ? undefined : md5,
    sha256: sha256 === '' ? undefined : sha256,
    model: {
      width: check(ms, modelRaw, 'width', d.model.width, int(1), 'an integer ≥ 1'),
      blocks: check(ms, modelRaw, 'blocks', d.model.blocks, (v) => int(1)(v) && (v as number) <= 5, 'an integer 1-5'),
      depth: check(ms, modelRaw, 'depth', d.model.depth, int(1), 'an integer ≥ 1'),
      batch_norm: check(ms, modelRaw, 'batch_norm', d.model.batch_norm, bool, 'true or false'),
      pool_first: check(ms, modelRaw, 'pool_first', d.model.pool_first, bool, 'true or false'),
      dense: check(ms, modelRaw, 'dense', d.model.dense, int(0), 'an integer ≥ 0'),
      dropout: check(ms, modelRaw, 'dropout', d.model.dropout, num(0, 0.99), 'a number in [0, 1)'),
    },
    train: {
      epochs: check(ts, trainRaw, 'epochs', d.train.epochs, int(1), 'an integer ≥ 1'),
      batch_size: check(ts, trainRaw, 'batch_size', d.train.batch_size, int(1), 'an integer ≥ 1'),
      optimizer: check(ts, trainRaw, 'optimizer', d.train.optimizer, oneOf(['sgd', 'adam']), 'sgd or adam'),
      learning_rate: check(ts, trainRaw, 'learning_rate', d.train.learning_rate, num(0), 'a number > 0'),
      schedule: check(ts, trainRaw, 'schedule', d.train.schedule, oneOf(['constant', 'step', 'cosine', 'one_cycle']), 'constant, step, cosine or one_cycle'),
      warmup: check(ts, trainRaw, 'warmup', d.train.warmup, num(0, 1), 'a fraction in [0, 1]'),
      momentum: check(ts, trainRaw, 'momentum', d.train.momentum, num(0, 1), 'a number in [0, 1]'),
      weight_decay: check(ts, trainRaw, 'weight_decay', d.train.weight_decay, num(0), 'a number ≥ 0'),
      label_smoothing: check(ts, trainRaw, 'label_smoothing', d.train.label_smoothing, num(0, 0.99), 'a number in [0, 1)'),
      augment,
      seed: check(ts, trainRaw, 'seed', d.train.seed, int(0), 'an integer ≥ 0'),
      train_limit: check(ts, trainRaw, 'train_limit', d.train.train_limit, int(0), 'an integer ≥ 0'),
      val_limit: check(ts, trainRaw, 'val_limit', d.train.val_limit, int(0), 'an integer ≥ 0'),
      threads: check(ts, trainRaw, 'threads', d.train.threads, int(0), 'an integer ≥ 0'),
    },
  };
}
