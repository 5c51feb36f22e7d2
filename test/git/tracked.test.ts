import fs from 'node:fs';
import path from 'node:path';
import { trackedPaths, trackedPathsCached } from '../../src/git/tracked.js';
import { ParseCache } from '../../src/util/parse-cache.js';
import { git, makeRepo, tempDir, writeFiles } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

describe('git-tracked paths', () => {
  test('files and directories holding tracked files; names are literal, not patterns', () => {
    const dir = makeRepo({ 'train.py': 'x', 'src/a.py': 'y', 'data[1].csv': 'z' });
    made.push(dir);
    writeFiles(dir, { 'untracked.txt': 'u', 'data1.csv': 'not tracked' });
    expect(trackedPaths(dir, ['train.py', 'src', 'untracked.txt', 'missing', 'data1.csv', 'data[1].csv', '*.py'])).toEqual(['train.py', 'src', 'data[1].csv']);
  });

  test('the cached answer follows the index: a `git add` is seen', () => {
    const dir = makeRepo({ 'a.txt': 'a' });
    made.push(dir);
    writeFiles(dir, { 'b.txt': 'b' });
    const cache = ParseCache.inMemory();
    expect(trackedPathsCached(dir, ['a.txt', 'b.txt'], cache)).toEqual(['a.txt']);
    expect(trackedPathsCached(dir, ['b.txt', 'a.txt'], cache)).toEqual(['a.txt']);
    expect(trackedPathsCached(dir, ['b.txt'], cache)).toEqual([]); // a subset: answered from the cache
    git(dir, 'add', 'b.txt');
    expect(trackedPathsCached(dir, ['a.txt', 'b.txt'], cache)).toEqual(['a.txt', 'b.txt']);
  });

  test('outside git nothing is tracked', () => {
    const dir = tempDir();
    made.push(dir);
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    expect(trackedPathsCached(dir, ['f'], ParseCache.inMemory())).toEqual([]);
    expect(trackedPaths(dir, ['f'])).toEqual([]);
  });
});
