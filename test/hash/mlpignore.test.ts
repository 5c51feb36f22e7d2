import fs from 'node:fs';
import { MlpIgnore, parseIgnoreFile } from '../../src/hash/mlpignore.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const matches = (pattern: string, rel: string): boolean => parseIgnoreFile(pattern, '.mlpignore').some((r) => r.regex.test(rel));

describe('.mlpignore patterns (gitignore syntax)', () => {
  test('unanchored names match at any depth; a slash anchors', () => {
    expect(matches('*.swp', 'a/b/c.swp')).toBe(true);
    expect(matches('*.swp', 'a/b/c.swpx')).toBe(false);
    expect(matches('logs/*.log', 'logs/1.log')).toBe(true);
    expect(matches('logs/*.log', 'x/logs/1.log')).toBe(false);
    expect(matches('/top', 'top')).toBe(true);
    expect(matches('/top', 'a/top')).toBe(false);
    expect(matches('*', 'a/b')).toBe(true); // the name b
  });

  test('**, ?, [..], escapes, comments and trailing spaces', () => {
    expect(matches('**/cache', 'a/b/cache')).toBe(true);
    expect(matches('a/**/z', 'a/z')).toBe(true);
    expect(matches('a/**/z', 'a/b/c/z')).toBe(true);
    expect(matches('a/**', 'a/b/c')).toBe(true);
    expect(matches('file?.txt', 'file1.txt')).toBe(true);
    expect(matches('file?.txt', 'file/.txt')).toBe(false);
    expect(matches('[!a]x', 'bx')).toBe(true);
    expect(matches('[!a]x', 'ax')).toBe(false);
    expect(matches('\\#hash', '#hash')).toBe(true);
    expect(parseIgnoreFile('# comment\n\n   \nname   \n', 'f')).toHaveLength(1);
    expect(matches('name   ', 'name')).toBe(true);
  });

  test('last match wins, negation, directory-only rules, and an ignored parent decides for its files', () => {
    const dir = tempDir();
    try {
      writeFiles(dir, { '.mlpignore': 'logs/*\n!logs/keep.log\nbuild/\n', 'sub/.mlpignore': '*.tmp\n' });
      const ignore = new MlpIgnore(dir);
      expect(ignore.isIgnored('logs/1.log', false)).toBe(true);
      expect(ignore.isIgnored('logs/keep.log', false)).toBe(false);
      expect(ignore.decide('logs/keep.log', false)?.negated).toBe(true);
      expect(ignore.isIgnored('build', true)).toBe(true);
      expect(ignore.isIgnored('build', false)).toBe(false);
      expect(ignore.isIgnored('build/x/y.txt', false)).toBe(true);
      expect(ignore.isIgnored('sub/a.tmp', false)).toBe(true);
      expect(ignore.isIgnored('a.tmp', false)).toBe(false);
      expect(ignore.decide('sub/a.tmp', false)).toMatchObject({ file: 'sub/.mlpignore', line: 1 });
      expect(ignore.scope('sub').ignores('sub/b.tmp', false)).toBe(true);
      expect(ignore.scope('').ignores('keep.txt', false)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
