/** Outputs are git-ignored by appending one line to their directory's .gitignore. */
import fs from 'node:fs';
import path from 'node:path';
import { GitIgnorer } from '../../src/git/gitignore.js';
import { toRepoPath as p } from '../../src/schema/repo-path.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

describe('GitIgnorer', () => {
  test('adds each output once, next to it, keeping what the file held', () => {
    const dir = tempDir();
    writeFiles(dir, { 'out/.gitignore': '# mine\n*.tmp' }); // no final newline
    const ignorer = new GitIgnorer(dir);
    expect(ignorer.ignore(p('out/a.txt'))).toBe(true);
    expect(ignorer.ignore(p('out/a.txt'))).toBe(false);
    expect(ignorer.ignore(p('out/b'))).toBe(true);
    expect(ignorer.ignore(p('top.txt'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'out/.gitignore'), 'utf8')).toBe('# mine\n*.tmp\n/a.txt\n/b\n');
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('/top.txt\n');
    expect(new GitIgnorer(dir).ignore(p('out/b'))).toBe(false);
  });

  test('a line someone else adds to the .gitignore while mlp runs is kept', () => {
    // A long repro ignores outputs stage after stage; the file is appended to, not rewritten
    // from mlp's copy (which also made every stage cost the whole file).
    const dir = tempDir();
    const ignorer = new GitIgnorer(dir);
    ignorer.ignore(p('out/1.txt'));
    fs.appendFileSync(path.join(dir, 'out/.gitignore'), '/notes.md\n');
    ignorer.ignore(p('out/2.txt'));
    expect(fs.readFileSync(path.join(dir, 'out/.gitignore'), 'utf8')).toBe('/1.txt\n/notes.md\n/2.txt\n');
  });
});
