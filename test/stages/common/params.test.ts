import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlpError } from '../../../src/errors.js';
import { loadParamsSection, parseParamsRef } from '../../../stages/common/params.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlp-stage-params-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const failure = (action: () => unknown): MlpError => {
  try {
    action();
  } catch (error) {
    if (error instanceof MlpError) return error;
    throw error;
  }
  throw new Error('expected an MlpError');
};

test('a params reference: file#dotted.key, the stage default key without #', () => {
  expect(parseParamsRef('params.yaml#models.text', 'text')).toEqual({ file: 'params.yaml', key: 'models.text', where: 'params.yaml#models.text' });
  expect(parseParamsRef('params.yaml', 'cifar10')).toEqual({ file: 'params.yaml', key: 'cifar10', where: 'params.yaml#cifar10' });
  // The last # splits: a file name may contain one.
  expect(parseParamsRef('dir#1/p.yaml#text', 'x')).toMatchObject({ file: 'dir#1/p.yaml', key: 'text' });
});

test('reads a section through the params parser; integers as bigint only when asked', () => {
  const file = write('p.yaml', 'text:\n  min_df: 1\n  max_df: 1.0\nmodels: {cnn: {width: 8}}\n');
  expect(loadParamsSection(parseParamsRef(`${file}#text`, 'text'))).toEqual({ min_df: 1, max_df: 1 });
  expect(loadParamsSection(parseParamsRef(`${file}#text`, 'text'), { intAsBigInt: true })).toEqual({ min_df: 1n, max_df: 1 });
  expect(loadParamsSection(parseParamsRef(`${file}#models.cnn`, 'x'))).toEqual({ width: 8 });
  expect(loadParamsSection(parseParamsRef(`${write('p.json', '{"text": {"a": 2}}')}#text`, 'x'))).toEqual({ a: 2 });
});

test('a missing file or section is a usage error naming it, unless optional', () => {
  const file = write('q.yaml', 'models: {text: {}}\n');
  const missingFile = failure(() => loadParamsSection(parseParamsRef(path.join(dir, 'nope.yaml#text'), 'text')));
  expect(missingFile.message).toBe(`${path.join(dir, 'nope.yaml')}: params file not found`);
  expect(missingFile.exitCode).toBe(2);
  const missingSection = failure(() => loadParamsSection(parseParamsRef(`${file}#models.cnn.width`, 'x')));
  expect(missingSection.message).toBe(`${file}#models.cnn.width: no such section (no section cnn under models in ${file})`);
  expect(missingSection.hint).toBe('add a "models.cnn.width:" section, or point --params at the right key');
  expect(missingSection.exitCode).toBe(2);
  expect(loadParamsSection(parseParamsRef(`${file}#cifar10`, 'x'), { optional: true })).toBeUndefined();
  expect(loadParamsSection(parseParamsRef(path.join(dir, 'nope.yaml'), 'x'), { optional: true })).toBeUndefined();
});

test('invalid YAML is located like every other file mlp parses (exit 3)', () => {
  const file = write('bad.yaml', 'text:\n  tfidf: [unclosed\n');
  const error = failure(() => loadParamsSection(parseParamsRef(`${file}#text`, 'text')));
  expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: invalid YAML`));
  expect(error.exitCode).toBe(3);
  const list = failure(() => loadParamsSection(parseParamsRef(`${write('list.yaml', '- a\n- b\n')}#text`, 'text')));
  expect(list.message).toMatch(/a params file must be a mapping/);
});
