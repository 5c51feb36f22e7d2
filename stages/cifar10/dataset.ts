/** Loads the `train.npz` / `test.npz` written by `prepare`, checking shapes and labels. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CHANNELS, IMAGE_SIZE, NUM_CLASSES, type CifarSplit } from './cifar-format.js';
import { decodeNpz } from './npz.js';
import { describeFileError, InputError } from '../common/errors.js';

export interface LoadedSplit extends CifarSplit {
  classNames: string[];
}

export class DatasetError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'run `mlp cifar10 prepare` first and point --data at its --out directory' });
    this.name = 'DatasetError';
  }
}

export async function loadSplit(dataDir: string, split: 'train' | 'test', limit = 0): Promise<LoadedSplit> {
  const file = path.join(dataDir, `${split}.npz`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetError(`cannot read ${file}: ${describeFileError(error)}`);
  }
  const arrays = decodeNpz(bytes);
  const { x, y, classes } = arrays;
  if (!x || x.dtype !== '|u1' || x.shape.length !== 4 || x.shape[1] !== IMAGE_SIZE || x.shape[2] !== IMAGE_SIZE || x.shape[3] !== CHANNELS) {
    throw new DatasetError(`${file}: expected x as uint8 (N, ${IMAGE_SIZE}, ${IMAGE_SIZE}, ${CHANNELS})`);
  }
  if (!y || y.dtype !== '|u1' || y.shape.length !== 1 || y.shape[0] !== x.shape[0]) throw new DatasetError(`${file}: expected y as uint8 (N,) matching x`);
  const classNames = classes && Array.isArray(classes.data) ? classes.data : [];
  if (classNames.length !== NUM_CLASSES) throw new DatasetError(`${file}: expected ${NUM_CLASSES} class names`);
  for (const label of y.data as Uint8Array) if (label >= NUM_CLASSES) throw new DatasetError(`${file}: label ${label} out of range`);
  let count = x.shape[0]!;
  let images = x.data as Uint8Array;
  let labels = y.data as Uint8Array;
  if (limit > 0 && limit < count) {
    count = limit;
    images = images.subarray(0, count * IMAGE_SIZE * IMAGE_SIZE * CHANNELS);
    labels = labels.subarray(0, count);
  }
  return { images, labels, count, classNames };
}
