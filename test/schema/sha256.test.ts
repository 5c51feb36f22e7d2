import { computedSha256, hashFromNames, isSha256, sha256Problem, toSha256 } from '../../src/schema/sha256.js';
import { hashBytes } from '../../src/hash/hash-file.js';

const good = 'a'.repeat(64);

describe('Sha256', () => {
  test('exactly 64 lowercase hex digits', () => {
    expect(isSha256(good)).toBe(true);
    expect(isSha256(hashBytes('x'))).toBe(true);
    expect(toSha256(good)).toBe(good);
    expect(computedSha256(good)).toBe(good);
  });

  test.each([
    ['uppercase', 'A'.repeat(64)],
    ['short', 'a'.repeat(12)],
    ['long', 'a'.repeat(65)],
    ['a path', '../../../../victim.txt'],
    ['a path of the right length', `../${'a'.repeat(61)}`],
    ['not hex', 'g'.repeat(64)],
    ['with a newline', `${'a'.repeat(64)}\n`],
    ['empty', ''],
  ])('%s is not a hash', (_name, value) => {
    expect(isSha256(value)).toBe(false);
    expect(() => toSha256(value)).toThrow('is not a sha256 hash (64 lowercase hex digits)');
  });

  test('non-strings are not hashes, and the message shows what was there', () => {
    expect(isSha256(123)).toBe(false);
    expect(sha256Problem(123)).toBe('123 is not a sha256 hash (64 lowercase hex digits)');
    expect(sha256Problem('x'.repeat(100))).toContain('…');
  });

  test('directory entry names become a hash only when they are <2 hex>/<62 hex>', () => {
    expect(hashFromNames('ab', 'c'.repeat(62))).toBe(`ab${'c'.repeat(62)}`);
    for (const [shard, rest] of [
      ['..', 'c'.repeat(62)],
      ['zz', 'c'.repeat(62)],
      ['ab', `..${'c'.repeat(60)}`],
      ['ab', `${'c'.repeat(62)}.123.tmp`],
      ['AB', 'c'.repeat(62)],
      ['ab', 'C'.repeat(62)],
    ]) {
      expect(hashFromNames(shard as string, rest as string)).toBeUndefined();
    }
  });
});
