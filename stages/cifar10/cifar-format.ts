/**
 * The CIFAR-10 "binary version" layout: `cifar-10-batches-bin/data_batch_{1..5}.bin`,
 * `test_batch.bin` and `batches.meta.txt`. Every record is 1 label byte followed by a 32×32 image
 * stored channel-planar (1024 R, 1024 G, 1024 B). We convert to channels-last (N, 32, 32, 3), the
 * layout numpy/Keras users expect and the one TensorFlow.js convolutions take.
 */
import { InputError } from '../common/errors.js';

export const IMAGE_SIZE = 32;
export const CHANNELS = 3;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE * CHANNELS; // 3072
export const RECORD_BYTES = 1 + PIXELS_PER_IMAGE; // 3073
export const NUM_CLASSES = 10;
export const TRAIN_BATCHES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const TEST_BATCH = 'test_batch.bin';
export const META_FILE = 'batches.meta.txt';
export const ARCHIVE_DIR = 'cifar-10-batches-bin';
export const DEFAULT_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** One split in memory: `images` is (count, 32, 32, 3) uint8, channels-last. */
export interface CifarSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface CifarDataset {
  train: CifarSplit;
  test: CifarSplit;
  classNames: string[];
}

export class CifarFormatError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'expected the CIFAR-10 "binary version" archive (cifar-10-binary.tar.gz), not the python or matlab one' });
    this.name = 'CifarFormatError';
  }
}

/** Decodes concatenated batch files (in order) into one split. */
export function decodeBatches(batches: { name: string; data: Uint8Array }[]): CifarSplit {
  for (const { name, data } of batches) {
    if (data.length === 0 || data.length % RECORD_BYTES !== 0) {
      throw new CifarFormatError(
        `${name}: ${data.length} bytes is not a whole number of ${RECORD_BYTES}-byte records (wrong file or truncated)`,
      );
    }
  }
  const count = batches.reduce((n, b) => n + b.data.length / RECORD_BYTES, 0);
  const images = new Uint8Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  const plane = IMAGE_SIZE * IMAGE_SIZE;
  let index = 0;
  for (const { name, data } of batches) {
    for (let offset = 0; offset < data.length; offset += RECORD_BYTES, index++) {
      const label = data[offset]!;
      if (label >= NUM_CLASSES) throw new CifarFormatError(`${name}: record ${offset / RECORD_BYTES} has label ${label}, expected 0-9`);
      labels[index] = label;
      const base = index * PIXELS_PER_IMAGE;
      const r = offset + 1;
      for (let p = 0; p < plane; p++) {
        images[base + p * 3] = data[r + p]!;
        images[base + p * 3 + 1] = data[r + plane + p]!;
        images[base + p * 3 + 2] = data[r + 2 * plane + p]!;
      }
    }
  }
  return { images, labels, count };
}

export function parseClassNames(text: string | undefined): string[] {
  if (text === undefined) return [...DEFAULT_CLASS_NAMES];
  const names = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length !== NUM_CLASSES) throw new CifarFormatError(`${META_FILE} lists ${names.length} class names, expected ${NUM_CLASSES}`);
  return names;
}

/** Assembles a dataset from the member files of the archive (keyed by base name). */
export function datasetFromFiles(files: Map<string, Uint8Array>, where: string): CifarDataset {
  const missing = [...TRAIN_BATCHES, TEST_BATCH].filter((f) => !files.has(f));
  if (missing.length > 0) {
    throw new CifarFormatError(`${where} lacks ${missing.join(', ')} (expected the CIFAR-10 binary version layout, ${ARCHIVE_DIR}/…)`);
  }
  const meta = files.get(META_FILE);
  return {
    train: decodeBatches(TRAIN_BATCHES.map((name) => ({ name, data: files.get(name)! }))),
    test: decodeBatches([{ name: TEST_BATCH, data: files.get(TEST_BATCH)! }]),
    classNames: parseClassNames(meta === undefined ? undefined : Buffer.from(meta).toString('utf8')),
  };
}
