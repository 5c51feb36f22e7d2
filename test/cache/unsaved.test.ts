import { createHash } from 'node:crypto';
import { UnsavedChangesError, filesToDiscard } from '../../src/cache/unsaved.js';
import type { ManifestEntry, PathHash } from '../../src/hash/hash-path.js';
import { toSha256 } from '../../src/schema/sha256.js';

const H = (label: string) => toSha256(createHash('sha256').update(label).digest('hex'));
const entry = (path: string, hash: string): ManifestEntry => ({ path, hash: toSha256(hash), size: 1 }) as ManifestEntry;
const cached = new Set<string>([H('a'), H('b')]);
const inCache = (h: string): boolean => cached.has(h);
const file = (hash: string): PathHash => ({ hash: toSha256(hash), size: 1 });
const dir = (entries: Array<[string, string]>): PathHash => ({
  hash: H('d'),
  size: entries.length,
  nfiles: entries.length,
  manifest: entries.map(([path, hash]) => entry(path, hash)),
});

describe('filesToDiscard', () => {
  test('nothing there, or already the wanted content: nothing to discard', () => {
    expect(filesToDiscard('f', undefined, H('a'), undefined, inCache)).toEqual([]);
    expect(filesToDiscard('f', file(H('z')), H('z'), undefined, inCache)).toEqual([]);
  });

  test('a file is replaced safely only when its content is cached', () => {
    expect(filesToDiscard('f', file(H('b')), H('a'), undefined, inCache)).toEqual([]);
    expect(filesToDiscard('f', file(H('x')), H('a'), undefined, inCache)).toEqual(['f']);
  });

  test('a file where a directory belongs', () => {
    expect(filesToDiscard('d', file(H('x')), H('e'), [entry('a', H('a'))], inCache)).toEqual(['d']);
  });

  test('a directory where a file belongs: every uncached file in it', () => {
    expect(filesToDiscard('d', dir([['k', H('a')], ['u', H('x')]]), H('a'), undefined, inCache)).toEqual(['d/u']);
  });

  test('a directory checkout: extra and changed files that are not cached; files that stay are fine', () => {
    const wanted = [entry('same', H('x')), entry('changed', H('a'))];
    const now = dir([
      ['same', H('x')], // stays as it is, cached or not
      ['changed', H('y')], // overwritten, not cached
      ['extra', H('z')], // deleted, not cached
      ['old', H('b')], // deleted, but cached
    ]);
    expect(filesToDiscard('d', now, H('e'), wanted, inCache)).toEqual(['d/changed', 'd/extra']);
  });
});

describe('UnsavedChangesError', () => {
  test('names the path, says how many files, and exits 6 with the hint to record or --force', () => {
    const one = new UnsavedChangesError('model.bin', ['model.bin']);
    expect(one.message).toBe('model.bin: not checked out: its content is not saved in the cache, and checking it out would discard it');
    expect(one.exitCode).toBe(6);
    expect(one.hint).toContain('--force');
    expect(one.hint).toContain('mlp add');
    const inDir = new UnsavedChangesError('data', ['data/a.txt']);
    expect(inDir.message).toBe('data: not checked out: 1 file in it is not saved in the cache, and checking it out would discard it');
    const many = new UnsavedChangesError('data', ['data/a.txt', 'data/b.txt']);
    expect(many.message).toBe('data: not checked out: 2 files in it are not saved in the cache, and checking it out would discard them');
    expect(many.files).toEqual(['data/a.txt', 'data/b.txt']);
  });
});
