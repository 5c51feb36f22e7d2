import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PARAMS, loadParamsSection, OFFICIAL_MD5, OFFICIAL_URL, resolveParams } from '../../../stages/cifar10/params.js';
import { learningRateAt } from '../../../stages/cifar10/schedule.js';

test('defaults: the official archive with its published md5', () => {
  const p = resolveParams({});
  expect(p).toEqual(DEFAULT_PARAMS);
  expect(p.source).toBe(OFFICIAL_URL);
  expect(p.md5).toBe(OFFICIAL_MD5);
});

test('a section naming its own source does not inherit the official md5', () => {
  expect(resolveParams({ source: '../x.tar.gz' }).md5).toBeUndefined();
  expect(resolveParams({ source: '../x.tar.gz', sha256: 'ab' }).sha256).toBe('ab');
});

test('validation names the key and the expectation', () => {
  expect(() => resolveParams({ train: { epochs: 0 } })).toThrow('cifar10.train.epochs must be an integer ≥ 1, got 0');
  expect(() => resolveParams({ train: { schedul: 'x' } })).toThrow(/unknown key cifar10\.train\.schedul/);
  expect(() => resolveParams({ model: { width: 'wide' } })).toThrow(/cifar10\.model\.width/);
  expect(resolveParams({ train: { augment: false } }).train.augment).toEqual({ flip: false, crop: 0 });
});

test('loads a section from a YAML file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlp-params-'));
  const file = path.join(dir, 'params.yaml');
  await writeFile(file, 'text: {}\ncifar10:\n  train:\n    epochs: 3\n');
  expect(resolveParams(await loadParamsSection(`${file}#cifar10`)).train.epochs).toBe(3);
  await expect(loadParamsSection(`${file}#cifar100`)).rejects.toThrow(/no section cifar100/);
});

test('schedules', () => {
  expect(learningRateAt('constant', 0.1, 50, 100, 0.2)).toBe(0.1);
  expect(learningRateAt('step', 1, 80, 100, 0)).toBeCloseTo(0.01);
  const oneCycle = Array.from({ length: 101 }, (_, i) => learningRateAt('one_cycle', 1, i, 101, 0.2));
  expect(oneCycle[0]).toBeCloseTo(0.1);
  expect(Math.max(...oneCycle)).toBeCloseTo(1, 5);
  expect(oneCycle.indexOf(Math.max(...oneCycle))).toBe(20);
  expect(oneCycle[100]).toBeCloseTo(1e-3);
  expect(learningRateAt('cosine', 1, 100, 101, 0)).toBeCloseTo(1e-3);
});
