/** End to end through the built CLI (bin/mlp.js), in a temp directory, like a pipeline stage. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { record, tempDir, writeArchive } from './helpers.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const bin = path.join(root, 'bin/mlp.js');

async function mlp(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd, env: { ...process.env, MLP_DOWNLOAD_CACHE: path.join(cwd, 'cache') } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('prepare → train → evaluate → predict from the built CLI', async () => {
  const cwd = await tempDir('mlp-cifar-cli-');
  const archive = await writeArchive(path.join(cwd, 'downloads'), { perBatch: 40, testCount: 30 });
  await writeFile(
    path.join(cwd, 'params.yaml'),
    [
      'cifar10:',
      '  source: downloads/cifar-10-binary.tar.gz',
      `  sha256: ${archive.sha256}`,
      '  model: {width: 4, blocks: 2, pool_first: true}',
      '  train: {epochs: 5, batch_size: 20, learning_rate: 0.05, threads: 1, val_limit: 30}',
      '',
    ].join('\n'),
  );

  const prepared = await mlp(cwd, 'cifar10', 'prepare', '--params', 'params.yaml#cifar10', '--out', 'data/cifar10');
  expect(prepared).toMatchObject({ code: 0 });
  expect(prepared.stdout).toMatch(/prepared 200 train \+ 30 test images .*\(checksum ok\)/);

  const trained = await mlp(cwd, 'cifar10', 'train', '--data', 'data/cifar10', '--out', 'models/cifar10', '--params', 'params.yaml#cifar10', '--history', 'metrics/cifar10-history.csv', '--metrics', 'metrics/cifar10-train.json');
  expect(trained.stderr).toMatch(/epoch 5\/5 {2}loss/); // per-epoch lines when stderr is not a TTY
  expect(trained).toMatchObject({ code: 0 });
  expect(trained.stdout).toMatch(/trained \d+ parameters on 200 images/);
  expect(existsSync(path.join(cwd, 'models/cifar10/model.json'))).toBe(true);
  expect((await readFile(path.join(cwd, 'metrics/cifar10-history.csv'), 'utf8')).split('\n')[0]).toMatch(/^epoch,train_loss/);
  const summary = JSON.parse(await readFile(path.join(cwd, 'metrics/cifar10-train.json'), 'utf8'));
  expect(summary).toMatchObject({ epochs: 5, train_images: 200, backend: 'wasm' });

  const evaluated = await mlp(cwd, 'cifar10', 'evaluate', '--model', 'models/cifar10', '--data', 'data/cifar10', '--metrics', 'metrics/cifar10.json');
  expect(evaluated).toMatchObject({ code: 0 });
  expect(evaluated.stdout).toMatch(/^accuracy \d\.\d{4} {2}loss/);
  const metrics = JSON.parse(await readFile(path.join(cwd, 'metrics/cifar10.json'), 'utf8'));
  expect(metrics.accuracy).toBeGreaterThanOrEqual(0.8);
  expect(metrics.confusion_matrix).toHaveLength(10);

  const png = new PNG({ width: 32, height: 32 });
  const rec = record(6, 77);
  for (let p = 0; p < 1024; p++) {
    for (let c = 0; c < 3; c++) png.data[p * 4 + c] = rec[1 + c * 1024 + p]!;
    png.data[p * 4 + 3] = 255;
  }
  await writeFile(path.join(cwd, 'frog.png'), PNG.sync.write(png));
  const predicted = await mlp(cwd, 'cifar10', 'predict', '--model', 'models/cifar10', 'frog.png', '--json');
  expect(predicted).toMatchObject({ code: 0 });
  expect(JSON.parse(predicted.stdout)[0]).toMatchObject({ file: 'frog.png', label: 'frog' });
});

test('user errors exit non-zero with a message and a hint', async () => {
  const cwd = await tempDir('mlp-cifar-cli-');
  const archive = await writeArchive(cwd, { perBatch: 2 });
  const wrong = await mlp(cwd, 'cifar10', 'prepare', '--source', archive.file, '--out', 'data', '--md5', 'f'.repeat(32));
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/^error: .*md5 is [0-9a-f]{32}, expected f{32}\nhint: /);
  expect(existsSync(path.join(cwd, 'data'))).toBe(false);

  const missing = await mlp(cwd, 'cifar10', 'train', '--data', 'nowhere', '--out', 'model');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/cannot read nowhere\/train\.npz[\s\S]*hint: run `mlp cifar10 prepare` first/);

  const usage = await mlp(cwd, 'cifar10', 'prepare', '--out', 'data');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/no source given/);
});

test('bad params and bad option values are usage errors (exit 2) naming the key, with a hint', async () => {
  const cwd = await tempDir('mlp-cifar-cli-');
  await writeFile(path.join(cwd, 'params.yaml'), 'cifar10:\n  train: {epochs: 0}\n');
  const params = await mlp(cwd, 'cifar10', 'train', '--data', 'data', '--out', 'model', '--params', 'params.yaml#cifar10');
  expect(params.code).toBe(2);
  expect(params.stderr).toMatch(/^error: params\.yaml#cifar10\.train\.epochs must be an integer ≥ 1, got 0\nhint: /);
  const section = await mlp(cwd, 'cifar10', 'prepare', '--out', 'data', '--params', 'params.yaml#cifar100');
  expect(section.code).toBe(2);
  expect(section.stderr).toMatch(/^error: params\.yaml#cifar100: no such section/);
  const epochs = await mlp(cwd, 'cifar10', 'train', '--data', 'data', '--out', 'model', '--epochs', 'many');
  expect(epochs.code).toBe(2);
  expect(epochs.stderr).toMatch(/--epochs <n>.*expected a positive integer, got 'many'/);
  const backend = await mlp(cwd, 'cifar10', 'evaluate', '--model', 'm', '--data', 'd', '--backend', 'gpu');
  expect(backend.code).toBe(2);
  expect(backend.stderr).toMatch(/Allowed choices are auto, node, wasm, cpu/);
});
