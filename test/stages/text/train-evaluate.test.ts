import { readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateText } from '../../../stages/text/evaluate.js';
import { loadModel } from '../../../stages/text/io/model-files.js';
import { defaultTextParams, type TextParams } from '../../../stages/text/params.js';
import { predictText } from '../../../stages/text/predict.js';
import { prepareText } from '../../../stages/text/prepare.js';
import { trainText, type TrainProgress } from '../../../stages/text/train.js';
import { labelledCsv, mlpError, snapshotDir, tempDir, writeFile } from './helpers.js';

const dir = tempDir();
const data = path.join(dir, 'data');
const params = (): TextParams => defaultTextParams();

beforeAll(async () => {
  const input = writeFile(dir, 'corpus.csv', labelledCsv({ sport: 40, tech: 30, food: 20 }));
  await prepareText({ input, outDir: data, textColumn: 'text', labelColumn: 'label', testSize: 0.25, seed: 1 });
});

describe('trainText', () => {
  test('writes the model files and metrics on the test split', async () => {
    const out = path.join(dir, 'model');
    const result = await trainText({ dataDir: data, outDir: out, params: params(), metricsFile: path.join(dir, 'm.json') });
    expect(result.classes).toEqual(['food', 'sport', 'tech']);
    expect(Object.keys(snapshotDir(out)).sort()).toEqual(['model.json', 'vocabulary.json', 'weights.bin']);
    const metrics = JSON.parse(readFileSync(path.join(dir, 'm.json'), 'utf8'));
    expect(metrics.accuracy).toBe(1);
    expect(metrics).toMatchObject({ n_train: 67, n_test: 23, f1_macro: 1 });
    expect(metrics.confusion_matrix.labels).toEqual(['food', 'sport', 'tech']);
    // Timings change every run: they stay out of the metrics (a git-tracked file in a pipeline).
    expect(metrics.timing).toBeUndefined();
    expect(result.timing).toEqual({
      vectorize_seconds: expect.any(Number),
      train_seconds: expect.any(Number),
      predict_seconds: expect.any(Number),
      peak_rss_mb: expect.any(Number),
    });
    const model = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(model).toMatchObject({ format: 'mlp-text-model', version: 1, classes: ['food', 'sport', 'tech'] });
    expect(model.coef_shape).toEqual([3, metrics.n_features]);
    expect(readFileSync(path.join(out, 'weights.bin')).length).toBe(8 * 3 * (metrics.n_features + 1));
  });

  test('--predictions: one actual,predicted row per test document, agreeing with the confusion matrix', async () => {
    const file = path.join(dir, 'predictions.csv');
    const result = await trainText({ dataDir: data, outDir: path.join(dir, 'model-pred'), params: params(), predictionsFile: file });
    expect(result.predictionsFile).toBe(file);
    const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(header).toBe('actual,predicted');
    expect(rows).toHaveLength(23);
    const { labels, matrix } = result.metrics.confusion_matrix as { labels: string[]; matrix: number[][] };
    const counted = labels.map((a) => labels.map((p) => rows.filter((r) => r === `${a},${p}`).length));
    expect(counted).toEqual(matrix);
  });

  test('reports progress: every training document vectorized, each solver iteration, then scoring', async () => {
    const events: TrainProgress[] = [];
    const quiet = await trainText({ dataDir: data, outDir: path.join(dir, 'model-quiet'), params: params(), metricsFile: path.join(dir, 'q.json') });
    const result = await trainText({ dataDir: data, outDir: path.join(dir, 'model-progress'), params: params(), metricsFile: path.join(dir, 'p.json'), onProgress: (p) => events.push(p) });
    const vectorized = events.filter((e) => e.step === 'vectorize');
    expect(vectorized).toHaveLength(67);
    expect(vectorized.at(-1)).toEqual({ step: 'vectorize', documents: 67, total: 67 });
    const iterations = events.filter((e) => e.step === 'fit');
    expect(iterations.map((e) => e.step === 'fit' && e.iteration)).toEqual(Array.from({ length: result.info.iterations }, (_, i) => i + 1));
    expect(iterations[0]).toMatchObject({ maxIter: 100 });
    expect(events.at(-1)).toEqual({ step: 'score', documents: 23 });
    // Watching does not change the result.
    expect(snapshotDir(path.join(dir, 'model-progress'))).toEqual(snapshotDir(path.join(dir, 'model-quiet')));
    expect(result.info).toEqual(quiet.info);
  });

  test('deterministic: same data and params → identical model bytes', async () => {
    const run = async (name: string) => {
      await trainText({ dataDir: data, outDir: path.join(dir, name), params: params(), metricsFile: path.join(dir, `${name}.json`) });
      return snapshotDir(path.join(dir, name));
    };
    expect(await run('det-a')).toEqual(await run('det-b'));
  });

  test('params change the model: bigrams and C', async () => {
    const p = params();
    p.tfidf.ngramRange = [1, 2];
    p.logreg.C = 10;
    const out = path.join(dir, 'bigram');
    await trainText({ dataDir: data, outDir: out, params: p, metricsFile: path.join(dir, 'bigram.json') });
    const model = await loadModel(out);
    expect(model.vocabulary.terms.some((t) => t.includes(' '))).toBe(true);
    expect(model.logreg.C).toBe(10);
    expect(model.tfidf.ngramRange).toEqual([1, 2]);
  });

  test('one class only in the training split is an error', async () => {
    const single = path.join(dir, 'single');
    writeFile(single, 'train.csv', 'text,label\nhello there,x\nworld peace,x\n');
    const error = await mlpError(() =>
      trainText({ dataDir: single, outDir: path.join(dir, 'never'), params: params(), metricsFile: path.join(dir, 'never.json') }),
    );
    expect(error.message).toBe(
      `${path.join(single, 'train.csv')}: only one class ("x") in the training data; a classifier needs at least two`,
    );
  });

  test('a test label missing from the training split is an error naming the test row', async () => {
    const split = path.join(dir, 'unseen');
    writeFile(split, 'train.csv', 'text,label\ngoal match,sport\nchip code,tech\n');
    writeFile(split, 'test.csv', 'text,label\nteam goal,sport\nbread soup,food\n');
    const error = await mlpError(() =>
      trainText({ dataDir: split, outDir: path.join(dir, 'unseen-model'), params: params(), metricsFile: path.join(dir, 'u.json') }),
    );
    expect(error.message).toBe(
      `${path.join(split, 'test.csv')}, row 2 (line 3): label "food" does not occur in the training split ` +
        `(${path.join(split, 'train.csv')}), so the model cannot predict it`,
    );
    expect(snapshotDir(dir)['unseen-model/model.json']).toBeUndefined();
  });

  test('a missing data directory says how to make one', async () => {
    const error = await mlpError(() =>
      trainText({ dataDir: path.join(dir, 'nothing'), outDir: path.join(dir, 'x'), params: params(), metricsFile: path.join(dir, 'x.json') }),
    );
    expect(error.message).toMatch(/nothing\/train\.csv: no such data directory/);
    expect(error.hint).toMatch(/mlp text prepare/);
  });

  test('documents without any token give a clear error', async () => {
    const split = path.join(dir, 'empty-vocab');
    writeFile(split, 'train.csv', 'text,label\n!!,a\n?,b\n');
    const error = await mlpError(() =>
      trainText({ dataDir: split, outDir: path.join(dir, 'ev'), params: params(), metricsFile: path.join(dir, 'ev.json') }),
    );
    expect(error.message).toMatch(/train\.csv: empty vocabulary/);
  });
});

describe('evaluateText and predictText', () => {
  const model = path.join(dir, 'eval-model');
  beforeAll(async () => {
    await trainText({ dataDir: data, outDir: model, params: params() });
  });

  test('evaluate writes scores, per-class figures and the confusion matrix; timings only to their own file', async () => {
    const result = await evaluateText({ modelDir: model, data, metricsFile: path.join(dir, 'eval.json'), timingsFile: path.join(dir, 'eval-timings.json') });
    const metrics = JSON.parse(readFileSync(path.join(dir, 'eval.json'), 'utf8'));
    expect(metrics).toEqual(result.metrics);
    expect(metrics).toMatchObject({ accuracy: 1, f1_macro: 1, f1_weighted: 1, n_test: 23 });
    expect(metrics.per_class.sport).toEqual({ precision: 1, recall: 1, f1: 1, support: 10 });
    expect(metrics.timing).toBeUndefined();
    expect(JSON.parse(readFileSync(path.join(dir, 'eval-timings.json'), 'utf8'))).toEqual({
      vectorize_seconds: expect.any(Number),
      predict_seconds: expect.any(Number),
      peak_rss_mb: expect.any(Number),
    });
  });

  test('evaluate on a CSV file with an unknown label names the row', async () => {
    const csv = writeFile(dir, 'other.csv', 'text,label\ngoal match,sport\nhello,politics\n');
    const error = await mlpError(() => evaluateText({ modelDir: model, data: csv, metricsFile: path.join(dir, 'e2.json') }));
    expect(error.message).toMatch(/other\.csv, row 2 \(line 3\): label "politics" does not occur in the training split/);
  });

  test('predict: most probable label with its probability, in input order', async () => {
    const input = writeFile(dir, 'predict.txt', 'goal team league match\nsoftware chip code cloud\n\n');
    const predictions = await predictText({ modelDir: model, input, textColumn: 'text', probabilities: true });
    expect(predictions.map((p) => p.label)).toEqual(['sport', 'tech', 'sport']);
    const first = predictions[0]!;
    expect(first.confidence).toBeGreaterThan(0.5);
    expect(first.confidence).toBe(Math.max(...Object.values(first.probabilities!)));
    expect(Object.values(first.probabilities!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  test('predict reads CSV and JSON lines, and stdin', async () => {
    const csv = writeFile(dir, 'in.csv', 'id,body\n1,"bread, soup and cheese"\n');
    expect((await predictText({ modelDir: model, input: csv, textColumn: 'body' })).map((p) => p.label)).toEqual(['food']);
    const jsonl = writeFile(dir, 'in.jsonl', '{"text": "chip code"}\n"goal match"\n');
    expect((await predictText({ modelDir: model, input: jsonl, textColumn: 'text' })).map((p) => p.label)).toEqual(['tech', 'sport']);
    const stdin = (async function* () {
      yield Buffer.from('oven recipe\r\n');
    })();
    expect((await predictText({ modelDir: model, textColumn: 'text', stdin }))[0]!.label).toBe('food');
  });

  test('a corrupted model is detected', async () => {
    const broken = path.join(dir, 'broken-model');
    await trainText({ dataDir: data, outDir: broken, params: params(), metricsFile: path.join(dir, 'b.json') });
    const weights = readFileSync(path.join(broken, 'weights.bin'));
    weights[0] = weights[0]! ^ 0xff;
    writeFile(broken, 'weights.bin', weights);
    const error = await mlpError(() => loadModel(broken));
    expect(error.message).toMatch(/weights\.bin: checksum does not match model\.json/);
  });
});
