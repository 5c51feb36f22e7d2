import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { evaluateCifar10 } from '../../../stages/cifar10/evaluate.js';
import { resolveParams } from '../../../stages/cifar10/params.js';
import { predictImages } from '../../../stages/cifar10/predict.js';
import { prepareCifar10 } from '../../../stages/cifar10/prepare.js';
import { trainCifar10, type TrainProgress } from '../../../stages/cifar10/train.js';
import { loadTf } from '../../../stages/cifar10/tf-runtime.js';
import { CLASSES, record, tempDir, writeArchive } from './helpers.js';

let dir: string;
let dataDir: string;
let modelDir: string;

const params = resolveParams({
  model: { width: 4, blocks: 2 },
  train: { epochs: 4, batch_size: 20, learning_rate: 0.05, augment: { flip: true, crop: 2 }, threads: 1, val_limit: 50 },
});

beforeAll(async () => {
  dir = await tempDir();
  const archive = await writeArchive(dir, { perBatch: 40, testCount: 50 });
  dataDir = path.join(dir, 'data');
  modelDir = path.join(dir, 'model');
  await prepareCifar10({ source: archive.file, out: dataDir });
});

test('a tiny CNN learns a separable synthetic task on the wasm backend', async () => {
  const { tf } = await loadTf({ backend: 'wasm', threads: 1 });
  const tensorsBefore = tf.memory().numTensors;
  const progress: TrainProgress[] = [];
  const result = await trainCifar10({ dataDir, outDir: modelDir, params, backend: 'wasm', historyPath: path.join(dir, 'history.csv'), onProgress: (p) => progress.push(p) });
  expect(result.backend).toBe('wasm');
  // Nothing leaks: a leaked activation per step exhausts the wasm heap on the full data set.
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(result.trainCount).toBe(200);
  expect(result.history).toHaveLength(4);
  const last = result.history[3]!;
  expect(last.val_accuracy).toBeGreaterThanOrEqual(0.9);
  expect(last.train_loss).toBeLessThan(result.history[0]!.train_loss);
  // Progress: every batch (10 per epoch) plus one epoch summary per epoch.
  expect(progress).toHaveLength(4 * 11);
  expect(progress[0]).toMatchObject({ epoch: 1, epochs: 4, batch: 1, batches: 10 });
  expect(progress[0]!.imagesPerSecond).toBeGreaterThan(0);
  expect(progress[10]!.epochRecord).toBeDefined();

  for (const f of ['model.json', 'weights.bin', 'cifar10.json']) expect(existsSync(path.join(modelDir, f))).toBe(true);
  const modelJson = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8'));
  expect(modelJson.format).toBe('layers-model');
  expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
  const csv = (await readFile(path.join(dir, 'history.csv'), 'utf8')).trim().split('\n');
  expect(csv[0]).toBe('epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,images_per_second');
  expect(csv).toHaveLength(5);
});

test('train replaces the model directory as a whole and writes its own metrics', async () => {
  const out = path.join(dir, 'model-again');
  await mkdir(out);
  await writeFile(path.join(out, 'stale.txt'), 'from an older run');
  const metricsPath = path.join(dir, 'metrics', 'train.json');
  const result = await trainCifar10({ dataDir, outDir: out, params: { ...params, train: { ...params.train, epochs: 1 } }, backend: 'wasm', metricsPath });
  // The directory is swapped in whole: nothing of the old one survives, nothing half-written shows.
  expect(existsSync(path.join(out, 'stale.txt'))).toBe(false);
  expect(result.historyPath).toBe(path.join(out, 'history.json'));
  expect(JSON.parse(await readFile(result.historyPath, 'utf8'))).toHaveLength(1);
  const metrics = JSON.parse(await readFile(metricsPath, 'utf8'));
  expect(metrics).toEqual(result.summary);
  expect(metrics).toMatchObject({ epochs: 1, train_images: 200, backend: 'wasm' });
});

test('evaluate reports accuracy, loss, per-class accuracy and the confusion matrix', async () => {
  const metrics = await evaluateCifar10({ modelDir, dataDir, backend: 'wasm' });
  expect(metrics.test_images).toBe(50);
  expect(metrics.accuracy).toBeGreaterThanOrEqual(0.9);
  expect(metrics.loss).toBeGreaterThan(0);
  expect(Object.keys(metrics.per_class_accuracy)).toEqual(CLASSES);
  expect(metrics.confusion_matrix).toHaveLength(10);
  expect(metrics.confusion_matrix.flat().reduce((a, b) => a + b, 0)).toBe(50);
  const diagonal = metrics.confusion_matrix.reduce((s, row, i) => s + row[i]!, 0);
  expect(diagonal / 50).toBeCloseTo(metrics.accuracy, 4);
  expect(metrics.train_seconds).toBeGreaterThan(0);
  expect(metrics.predict_seconds).toBeGreaterThan(0);
});

test('predict labels PNG and JPEG files, resizing larger images', async () => {
  const toRgba = (label: number, size: number): Buffer => {
    const rec = record(label, 5000 + label);
    const rgba = Buffer.alloc(size * size * 4);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = Math.floor((y * 32) / size) * 32 + Math.floor((x * 32) / size);
        for (let c = 0; c < 3; c++) rgba[(y * size + x) * 4 + c] = rec[1 + c * 1024 + p]!;
        rgba[(y * size + x) * 4 + 3] = 255;
      }
    }
    return rgba;
  };
  const png = new PNG({ width: 32, height: 32 });
  toRgba(3, 32).copy(png.data);
  const pngFile = path.join(dir, 'cat.png');
  await writeFile(pngFile, PNG.sync.write(png));
  const jpgFile = path.join(dir, 'ship.jpg');
  await writeFile(jpgFile, jpeg.encode({ data: toRgba(8, 64), width: 64, height: 64 }, 95).data);

  const predictions = await predictImages({ modelDir, files: [pngFile, jpgFile], top: 2, backend: 'wasm' });
  expect(predictions.map((p) => p.label)).toEqual(['cat', 'ship']);
  for (const p of predictions) {
    expect(p.confidence).toBeGreaterThan(0.3);
    expect(p.top).toHaveLength(2);
    expect(p.top[0]!.label).toBe(p.label);
  }
  const bogus = path.join(dir, 'bogus.png');
  await writeFile(bogus, 'not an image');
  await expect(predictImages({ modelDir, files: [bogus] })).rejects.toThrow(/not a PNG or JPEG/);
});
