/**
 * `mlp monitor` on real data: a text model trained on SMS messages watches more SMS messages (no
 * drift, exit 0) and AG News headlines (drift, exit 7), from a file of inputs and from the
 * telemetry of a real `mlp serve`; a CIFAR-10 CNN watches test images and brightened ones.
 */
import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { formatCsvRecord, parseCsv } from '../../src/util/csv.js';
import { makeRepo, runMlp, startMlp, waitFor, writeFiles } from '../helpers/cli.js';
import { sharedDataset } from '../helpers/datasets.js';

jest.setTimeout(180_000);

const SMS = sharedDataset('text/sms_spam.csv');
const AG_NEWS = sharedDataset('text/ag_news_test.csv');
const CIFAR = sharedDataset('cifar-10-binary.tar.gz');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function rowsOf(file: string): string[][] {
  return parseCsv(fs.readFileSync(file, 'utf8')).slice(1).map((r) => r.fields);
}

function csv(rows: string[][]): string {
  return `text,label\n${rows.map((r) => formatCsvRecord(r)).join('')}`;
}

interface DriftJson {
  drift: boolean;
  model: { path: string; sha256: string };
  reference: { path: string; sha256?: string; stage?: string; rows: number; held_out?: { path: string; rows: number } };
  current: { rows: number; source: string; path: string; inputs: boolean; sampled?: number };
  tests: { name: string; method: string; statistic: number; threshold: number; p_value?: number; drift: boolean }[];
  created: string;
}

function readDrift(dir: string, file = 'drift.json'): DriftJson {
  return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as DriftJson;
}

const byName = (report: DriftJson): Record<string, boolean> => Object.fromEntries(report.tests.map((t) => [t.name, t.drift]));

(SMS && AG_NEWS ? describe : describe.skip)('mlp monitor: text', () => {
  let repo: string;
  beforeAll(() => {
    const sms = rowsOf(SMS!);
    const ag = rowsOf(AG_NEWS!);
    repo = makeRepo({
      'sms.csv': csv(sms.slice(0, 1500)),
      'pipeline.yaml': 'stages:\n  prepare:\n    cmd: mlp text prepare --input sms.csv --out data/text\n    deps: [sms.csv]\n    outs: [data/text]\n  train:\n    cmd: mlp text train --data data/text --out models/text\n    deps: [data/text]\n    outs: [models/text]\n',
    });
    dirs.push(repo);
    // Messages the model never saw, and news of another corpus: 300 of each.
    writeFiles(repo, { 'sms-new.csv': csv(sms.slice(3000, 3300)), 'news.csv': csv(ag.slice(0, 300)) });
    const repro = runMlp(repo, ['repro']);
    expect(repro.code).toBe(0);
  });

  test('more of the same messages: no drift, exit 0; the reference is what the lock says trained the model', () => {
    const run = runMlp(repo, ['monitor', 'models/text', '--inputs', 'sms-new.csv']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/No drift: 0 of 6 tests drifted/);
    const report = readDrift(repo);
    expect(Object.keys(report)).toEqual(['drift', 'model', 'reference', 'current', 'tests', 'created']);
    expect(report.drift).toBe(false);
    expect(report.model.path).toBe('models/text');
    expect(report.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.reference).toMatchObject({ path: 'data/text/train.csv', stage: 'train', rows: 1200, held_out: { path: 'data/text/test.csv', rows: 300 } });
    expect(report.reference.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.current).toMatchObject({ rows: 300, source: 'inputs', path: 'sms-new.csv', inputs: true });
    expect(report.tests.map((t) => [t.name, t.method])).toEqual([
      ['text.domain_classifier', 'domain_classifier'],
      ['text.length', 'ks'],
      ['text.oov_rate', 'ks'],
      ['prediction.label', 'chi_square'],
      ['prediction.label_psi', 'psi'],
      ['prediction.confidence', 'ks'],
    ]);
    expect(report.tests.every((t) => !t.drift)).toBe(true);
    expect(Number.isNaN(Date.parse(report.created))).toBe(false);
  });

  test('news headlines: every text test drifts, exit 7; drift.json is a metrics file; the HTML report draws offline', () => {
    const run = runMlp(repo, ['monitor', 'models/text', '--inputs', 'news.csv', '-o', 'news-drift.json', '--html', 'report.html']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(7);
    expect(run.stdout).toMatch(/^Drift: \d of 6 tests drifted/m);
    const report = readDrift(repo, 'news-drift.json');
    expect(report.drift).toBe(true);
    expect(byName(report)).toMatchObject({ 'text.domain_classifier': true, 'text.length': true, 'text.oov_rate': true });
    const classifier = report.tests[0]!;
    expect(classifier.statistic).toBeGreaterThan(0.9);
    expect(classifier.threshold).toBeGreaterThan(0.5);
    expect(classifier.threshold).toBeLessThan(0.6);

    const metrics = runMlp(repo, ['metrics', 'show', 'news-drift.json', '--json']);
    expect(metrics.code).toBe(0);
    expect(JSON.parse(metrics.stdout).workspace['news-drift.json']).toMatchObject({ drift: true, 'current.rows': 300 });

    const html = fs.readFileSync(path.join(repo, 'report.html'), 'utf8');
    expect(html).toContain('mlp monitor: DRIFT');
    expect(html).toContain('data-plot="text.domain_classifier"');
    expect(html).toContain("default-src 'none'"); // nothing fetched: the Vega libraries are inlined
  });

  test('the telemetry of a real `mlp serve --log-inputs`: a window of news drifts, a window of messages does not', async () => {
    const { child, done } = startMlp(repo, ['serve', 'models/text', '--port', '0', '--workers', '0', '--log-inputs']);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /^Serving /m.test(out), 60_000);
      const url = /Listening on (\S+)/.exec(out)![1]!;
      const post = async (texts: string[]): Promise<void> => {
        const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts }) });
        expect(res.status).toBe(200);
      };
      await post(rowsOf(path.join(repo, 'sms-new.csv')).map((r) => r[0]!).slice(0, 200));
      await post(rowsOf(path.join(repo, 'news.csv')).map((r) => r[0]!).slice(0, 200));
    } finally {
      child.kill('SIGTERM');
      await done;
    }
    const news = runMlp(repo, ['monitor', 'models/text', '--last', '200', '-o', 'window.json']);
    expect(news.stderr).toBe('');
    expect(news.code).toBe(7);
    const report = readDrift(repo, 'window.json');
    expect(report.current).toMatchObject({ rows: 200, source: 'telemetry', path: 'telemetry/inferences.jsonl', inputs: true });
    expect(byName(report)['text.domain_classifier']).toBe(true);

    // The first 200 inferences (messages): --since keeps all 400, --last the newest; a window of
    // only messages is what the log held before the news arrived.
    const log = path.join(repo, 'telemetry/inferences.jsonl');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(400);
    fs.writeFileSync(path.join(repo, 'messages.jsonl'), `${lines.slice(0, 200).join('\n')}\n`);
    const messages = runMlp(repo, ['monitor', 'models/text', '--telemetry', 'messages.jsonl', '--since', '1h', '-o', 'messages.json']);
    expect(messages.code).toBe(0);
    expect(readDrift(repo, 'messages.json').drift).toBe(false);

    // Without --log-inputs only the predictions can be compared.
    const bare = lines.slice(200).map((l) => {
      const { input: _input, ...record } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(record);
    });
    fs.writeFileSync(path.join(repo, 'bare.jsonl'), `${bare.join('\n')}\n`);
    const predictionsOnly = runMlp(repo, ['monitor', 'models/text', '--telemetry', 'bare.jsonl', '-o', 'bare.json']);
    expect(predictionsOnly.stdout).toContain('no inputs logged');
    const bareReport = readDrift(repo, 'bare.json');
    expect(bareReport.current.inputs).toBe(false);
    expect(bareReport.tests.map((t) => t.name)).toEqual(['prediction.label', 'prediction.label_psi', 'prediction.confidence']);
  });

  test('bad input: a clear error and its exit code, never a stack', () => {
    writeFiles(repo, { 'broken.jsonl': '{"ts":"2026-11-30T12:00:00Z"}\nnot json\n' });
    const broken = runMlp(repo, ['monitor', 'models/text', '--telemetry', 'broken.jsonl']);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/^error: broken\.jsonl:1: "model_sha256" is missing or not a string\nhint: /);

    const missing = runMlp(repo, ['monitor', 'models/text', '--telemetry', 'nothing.jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no telemetry at nothing\.jsonl\nhint: run `mlp serve/);

    const since = runMlp(repo, ['monitor', 'models/text', '--since', 'yesterday-ish']);
    expect([since.code, since.stderr.split('\n')[0]]).toEqual([2, 'error: --since "yesterday-ish" is neither a time nor an age']);

    const noModel = runMlp(repo, ['monitor', 'data/text', '--inputs', 'news.csv']);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^error: .*is not a model directory mlp can serve\nhint: /);

    // A copy of the model outside any stage's outputs: its lineage is unknown.
    fs.cpSync(path.join(repo, 'models/text'), path.join(repo, 'copy'), { recursive: true });
    fs.appendFileSync(path.join(repo, 'copy', 'extra.txt'), 'x');
    const orphan = runMlp(repo, ['monitor', 'copy', '--inputs', 'news.csv']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/^error: cannot tell which data copy was trained on: .*\nhint: pass the training data with --reference/);
    const withReference = runMlp(repo, ['monitor', 'copy', '--inputs', 'sms-new.csv', '--reference', 'data/text', '-o', 'copy.json']);
    expect(withReference.code).toBe(0);
    expect(readDrift(repo, 'copy.json').reference).toEqual({ path: 'data/text/train.csv', rows: 1200, held_out: { path: 'data/text/test.csv', rows: 300 } });
    for (const run of [broken, missing, since, noModel, orphan]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('thresholds from `monitor:` in .mlp/config.yaml, flags over them, a bad value located', () => {
    const config = path.join(repo, '.mlp/config.yaml');
    const original = fs.readFileSync(config, 'utf8');
    try {
      fs.writeFileSync(config, `${original}monitor:\n  p_value: 2\n`);
      const bad = runMlp(repo, ['monitor', 'models/text', '--inputs', 'news.csv']);
      expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([3, 'error: .mlp/config.yaml:5:12: monitor.p_value: must be a number between 0 and 1 (exclusive), got 2']);
      fs.writeFileSync(config, `${original}monitor:\n  p_value: 0.001\n  psi: 0.5\n`);
      const run = runMlp(repo, ['monitor', 'models/text', '--inputs', 'sms-new.csv', '--psi', '0.2', '--json', '-o', 'config.json']);
      expect(run.code).toBe(0);
      const thresholds = Object.fromEntries(readDrift(repo, 'config.json').tests.map((t) => [t.name, t.threshold]));
      expect(thresholds).toMatchObject({ 'text.length': 0.001, 'prediction.label_psi': 0.2 });
      expect(JSON.parse(run.stdout)).toEqual(readDrift(repo, 'config.json'));
    } finally {
      fs.writeFileSync(config, original);
    }
  });
});

(CIFAR ? describe : describe.skip)('mlp monitor: images', () => {
  test('a CIFAR-10 CNN: unseen test images do not drift (exit 0), the same images brightened do (exit 7)', async () => {
    const { writeNpz } = await import('../../stages/cifar10/npz.js');
    const { stringArray, uint8Array } = await import('../../stages/cifar10/npy.js');
    const { images, classNames } = await firstCifarBatch(CIFAR!);
    const PIXELS = 32 * 32 * 3;
    const repo = makeRepo({
      'params.yaml': 'cifar10:\n  model: {width: 8, blocks: 2, pool_first: true}\n  train: {epochs: 2, batch_size: 50, learning_rate: 0.05, threads: 1, val_limit: 100}\n',
    });
    dirs.push(repo);
    fs.mkdirSync(path.join(repo, 'data'));
    const write = async (file: string, x: Uint8Array, y?: Uint8Array): Promise<void> => {
      const count = x.length / PIXELS;
      await writeNpz(path.join(repo, file), {
        x: uint8Array(x, [count, 32, 32, 3]),
        y: uint8Array(y ?? new Uint8Array(count), [count]),
        classes: stringArray(classNames),
      });
    };
    // One batch of the archive (its records are shuffled): a small training set, a held-out
    // split, and a current window of 300 other images.
    await write('data/train.npz', images.pixels.slice(0, 800 * PIXELS), images.labels.slice(0, 800));
    await write('data/test.npz', images.pixels.slice(800 * PIXELS, 1000 * PIXELS), images.labels.slice(800, 1000));
    const current = images.pixels.slice(5000 * PIXELS, 5300 * PIXELS);
    await write('current.npz', current);
    await write('brighter.npz', current.map((v) => Math.min(255, v + 40)));
    const train = runMlp(repo, ['-q', 'cifar10', 'train', '--data', 'data', '--out', 'model', '--params', 'params.yaml#cifar10']);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);

    const same = runMlp(repo, ['monitor', 'model', '--inputs', 'current.npz', '--reference', 'data', '-o', 'same.json']);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    const sameReport = readDrift(repo, 'same.json');
    expect(sameReport.reference).toEqual({ path: 'data/train.npz', rows: 800, held_out: { path: 'data/test.npz', rows: 200 } });
    expect(sameReport.tests.map((t) => [t.name, t.method])).toEqual([
      ['image.intensity.red', 'ks'],
      ['image.intensity.green', 'ks'],
      ['image.intensity.blue', 'ks'],
      ['image.embedding', 'mmd'],
      ['prediction.label', 'chi_square'],
      ['prediction.label_psi', 'psi'],
      ['prediction.confidence', 'ks'],
    ]);
    expect(byName(sameReport)).toMatchObject({ 'image.intensity.red': false, 'image.intensity.green': false, 'image.intensity.blue': false, 'image.embedding': false });

    const brighter = runMlp(repo, ['monitor', 'model', '--inputs', 'brighter.npz', '--reference', 'data', '-o', 'brighter.json']);
    expect(brighter.code).toBe(7);
    const report = readDrift(repo, 'brighter.json');
    expect(report.drift).toBe(true);
    expect(byName(report)).toMatchObject({ 'image.intensity.red': true, 'image.intensity.green': true, 'image.intensity.blue': true, 'image.embedding': true });
    expect(report.tests.find((t) => t.name === 'image.embedding')!.p_value).toBeLessThan(0.05);
  });
});

/**
 * The archive's first batch file only: the reader stops there instead of inflating all 170 MB.
 * Its records become 32×32×3 channels-last images, as `mlp cifar10 prepare` writes them.
 */
async function firstCifarBatch(archive: string): Promise<{ images: { pixels: Uint8Array; labels: Uint8Array }; classNames: string[] }> {
  const { readTar } = await import('../../stages/cifar10/tar-reader.js');
  const { decodeBatches, DEFAULT_CLASS_NAMES } = await import('../../stages/cifar10/cifar-format.js');
  const stream = fs.createReadStream(archive).pipe(zlib.createGunzip());
  try {
    for await (const entry of readTar(stream, (p) => /data_batch_\d\.bin$/.test(p))) {
      if (!/data_batch_\d\.bin$/.test(entry.path)) continue;
      const split = decodeBatches([{ name: entry.path, data: entry.data }]);
      return { images: { pixels: split.images, labels: split.labels }, classNames: DEFAULT_CLASS_NAMES };
    }
  } finally {
    stream.destroy();
  }
  throw new Error(`${archive} has no data batch`);
}
