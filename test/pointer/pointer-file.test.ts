import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePointer } from '../../src/pointer/pointer-file.js';
import { PathEscapeError, type RepoPath } from '../../src/schema/repo-path.js';

describe('writePointer', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-pointer-'));
    fs.mkdirSync(path.join(dir, 'repo'));
    fs.mkdirSync(path.join(dir, 'outside'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const info = { hash: 'a'.repeat(64), size: 1 } as never;

  it('writes the pointer next to the data', () => {
    const file = writePointer(path.join(dir, 'repo'), { path: 'data.csv' as RepoPath, info });
    expect(file).toBe('data.csv.mlp');
    expect(fs.readFileSync(path.join(dir, 'repo', 'data.csv.mlp'), 'utf8')).toContain('sha256: ' + 'a'.repeat(64));
  });

  it('refuses a directory on the way that is a symlink out of the repository, and writes nothing there', () => {
    fs.symlinkSync(path.join(dir, 'outside'), path.join(dir, 'repo', 'sub'));
    expect(() => writePointer(path.join(dir, 'repo'), { path: 'sub/data.csv' as RepoPath, info })).toThrow(PathEscapeError);
    expect(fs.readdirSync(path.join(dir, 'outside'))).toEqual([]);
  });
});
