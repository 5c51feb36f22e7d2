/**
 * End to end through the built CLI (`npm test` builds first): node bin/mlp.js text … in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { labelledCsv, tempDir, writeFile } from './helpers.js';

const root = path.resolve(import.meta.dirname, '../../..');
const cwd = tempDir('mlp-text-cli-');

function mlp(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(root, 'bin/mlp.js'), ...args], { cwd, input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  writeFile(cwd, 'corpus.csv', labelledCsv({ ham: 40, spam: 20 }));
  writeFile(
    cwd,
    'params.yaml',
    'text:\n  split: {test_size: 0.25, seed: 3}\n  tfidf: {ngram_range: [1, 2], sublinear_tf: true}\n  logreg: {C: 2.0, max_iter: 500}\n',
  );
});

describe('mlp text (built CLI)', () => {
  test('prepare → train → evaluate → predict', () => {
    const prepare = mlp(['text', 'prepare', '--input', 'corpus.csv', '--out', 'data/text', '--params', 'params.yaml#text']);
    expect(prepare.stderr).toBe('');
    expect(prepare.status).toBe(0);
    expect(prepare.stdout).toContain('Prepared data/text from CSV: 60 rows → 45 train, 15 test (test size 0.25, seed 3)');

    const train = mlp(['text', 'train', '--data', 'data/text', '--out', 'models/text', '--params', 'params.yaml#text', '--metrics', 'metrics/text.json']);
    expect(train.status).toBe(0);
    expect(train.stdout).toMatch(/Trained models\/text on 45 documents: 2 classes, \d+ features/);
    expect(train.stdout).toContain('test (15 rows): accuracy 1.0000');
    const metrics = JSON.parse(readFileSync(path.join(cwd, 'metrics/text.json'), 'utf8'));
    expect(metrics.accuracy).toBe(1);
    const model = JSON.parse(readFileSync(path.join(cwd, 'models/text/model.json'), 'utf8'));
    expect(model.tfidf.ngram_range).toEqual([1, 2]);
    expect(model.logreg.C).toBe(2);

    const evaluate = mlp(['text', 'evaluate', '--model', 'models/text', '--data', 'data/text', '--metrics', 'metrics/eval.json']);
    expect(evaluate.status).toBe(0);
    expect(evaluate.stdout).toContain('Evaluated on 15 rows of data/text/test.csv: accuracy 1.0000');
    expect(evaluate.stdout).toContain('Metrics written to metrics/eval.json');
    expect(JSON.parse(readFileSync(path.join(cwd, 'metrics/eval.json'), 'utf8')).accuracy).toBe(1);

    // Without --metrics, evaluate prints the scores and writes nothing.
    const printed = mlp(['text', 'evaluate', '--model', 'models/text', '--data', 'data/text']);
    expect(printed.stderr).toBe('');
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/^Evaluated on 15 rows of data\/text\/test.csv: accuracy 1\.0000, F1 macro 1\.0000, F1 weighted 1\.0000\n  class +precision +recall +f1 +support\n  ham /);
    expect(printed.stdout).not.toContain('written');

    const predict = mlp(['text', 'predict', '--model', 'models/text'], 'claim your free prize now\nfamily lunch this weekend\n');
    expect(predict.status).toBe(0);
    const lines = predict.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((p: { label: string }) => p.label)).toEqual(['spam', 'ham']);
    expect(lines[0].confidence).toBeGreaterThan(0.5);

    writeFile(cwd, 'docs.txt', 'winner cash offer\n');
    const fromFile = mlp(['text', 'predict', '--model', 'models/text', '--input', 'docs.txt', '--probabilities']);
    expect(JSON.parse(fromFile.stdout)).toEqual({ label: 'spam', confidence: expect.any(Number), probabilities: { ham: expect.any(Number), spam: expect.any(Number) } });
  });

  test('train without --metrics writes only the model: the same bytes on every run; timings go to --timings', () => {
    const first = mlp(['text', 'train', '--data', 'data/text', '--out', 'models/a', '--params', 'params.yaml#text']);
    expect(first.status).toBe(0);
    expect(first.stdout).not.toContain('written');
    const second = mlp(['text', 'train', '--data', 'data/text', '--out', 'models/b', '--params', 'params.yaml#text', '--timings', 'timings.json']);
    expect(second.stdout).toContain('Timings written to timings.json');
    const files = (dir: string): Record<string, string> =>
      Object.fromEntries(readdirSync(path.join(cwd, dir)).sort().map((f) => [f, readFileSync(path.join(cwd, dir, f)).toString('base64')]));
    expect(Object.keys(files('models/a'))).toEqual(['model.json', 'vocabulary.json', 'weights.bin']);
    expect(files('models/b')).toEqual(files('models/a'));
    expect(Object.keys(JSON.parse(readFileSync(path.join(cwd, 'timings.json'), 'utf8')))).toEqual(['vectorize_seconds', 'train_seconds', 'predict_seconds', 'peak_rss_mb']);
  });

  test('--quiet prints nothing on success', () => {
    const result = mlp(['-q', 'text', 'prepare', '--input', 'corpus.csv', '--out', 'data/quiet']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
  });

  test.each([
    ['missing column', 'text,category\nhi there,a\n', /error: nocol\.csv, header \(line 1\): missing column "label"; the columns are "text", "category"\nhint: pick the column with --label-col <name>/],
    ['empty file', '', /error: empty\.csv: the file is empty/],
    ['one class only', 'text,label\nhello there,a\nworld peace,a\n', /error: oneclass\.csv: only one class \("a"\)/],
  ])('prepare with bad input (%s) exits 1, names the file, writes nothing', (_name, contents, message) => {
    const file = { 'missing column': 'nocol.csv', 'empty file': 'empty.csv', 'one class only': 'oneclass.csv' }[_name]!;
    writeFile(cwd, file, contents);
    const result = mlp(['text', 'prepare', '--input', file, '--out', `bad/${file}`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(existsSync(path.join(cwd, 'bad', file))).toBe(false);
  });

  test('non-UTF-8 input exits 1 naming file and row', () => {
    writeFile(cwd, 'latin1.csv', Buffer.concat([Buffer.from('text,label\nok fine,a\nna'), Buffer.from([0xef, 0x76]), Buffer.from('e,b\n')]));
    const result = mlp(['text', 'prepare', '--input', 'latin1.csv', '--out', 'bad/latin1']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: latin1\.csv, row 2 \(line 3\): invalid UTF-8 byte 0xef/);
  });

  test('a label missing from the training split exits 1 naming the test row; no model written', () => {
    writeFile(cwd, 'split/train.csv', 'text,label\nprize cash,spam\nlunch call,ham\n');
    writeFile(cwd, 'split/test.csv', 'text,label\nprize offer,spam\nnews today,news\n');
    const result = mlp(['text', 'train', '--data', 'split', '--out', 'models/bad']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: split\/test\.csv, row 2 \(line 3\): label "news" does not occur in the training split/);
    expect(existsSync(path.join(cwd, 'models/bad'))).toBe(false);
  });

  test('bad params and bad flags are usage errors (exit 2)', () => {
    writeFile(cwd, 'typo.yaml', 'text:\n  tfidf: {ngrams: [1, 2]}\n');
    const typo = mlp(['text', 'train', '--data', 'data/text', '--out', 'models/typo', '--params', 'typo.yaml#text']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/error: typo\.yaml#text\.tfidf\.ngrams: unknown parameter\nhint: known keys: lowercase, token_pattern/);
    const size = mlp(['text', 'prepare', '--input', 'corpus.csv', '--out', 'x', '--test-size', '1.5']);
    expect(size.status).toBe(2);
    expect(size.stderr).toMatch(/--test-size: must be a fraction in \(0, 1\)/);
    const missing = mlp(['text', 'train', '--data', 'data/text']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/required option '--out <dir>'/);
  });

  test('help lists the four commands', () => {
    const help = mlp(['text', '--help']);
    expect(help.status).toBe(0);
    for (const command of ['prepare', 'train', 'evaluate', 'predict']) expect(help.stdout).toContain(command);
  });
});
