import fs from 'node:fs';
import path from 'node:path';
import { hashBytes } from '../../src/hash/hash-file.js';
import { PathHasher, serializeManifest } from '../../src/hash/hash-path.js';
import { StateCache } from '../../src/hash/state-cache.js';
import { toRepoPath as p, type EntryPath } from '../../src/schema/repo-path.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

function hasher(dir: string) {
  const state = StateCache.load(path.join(dir, 'state.json'));
  return { state, hasher: new PathHasher(dir, state) };
}

describe('hashing', () => {
  test('a file hashes to the sha256 of its bytes', () => {
    const dir = tempDir();
    writeFiles(dir, { 'f.txt': 'hello\n' });
    expect(hasher(dir).hasher.hash(p('f.txt'))).toEqual({ hash: hashBytes('hello\n'), size: 6 });
    expect(hasher(dir).hasher.hash(p('missing'))).toBeUndefined();
  });

  test('a directory hashes to the sha256 of its sorted manifest', () => {
    const dir = tempDir();
    writeFiles(dir, { 'd/b.txt': 'B', 'd/a/z.txt': 'Z', 'd/a.txt': 'A' });
    const result = hasher(dir).hasher.hash(p('d'));
    const manifest = [
      { path: 'a.txt' as EntryPath, hash: hashBytes('A'), size: 1 },
      { path: 'a/z.txt' as EntryPath, hash: hashBytes('Z'), size: 1 },
      { path: 'b.txt' as EntryPath, hash: hashBytes('B'), size: 1 },
    ];
    expect(result?.manifest).toEqual(manifest);
    expect(result).toMatchObject({ hash: hashBytes(serializeManifest(manifest)), size: 3, nfiles: 3 });
  });

  test('the state cache skips re-reading files whose inode, mtime and size are unchanged', () => {
    const dir = tempDir();
    const file = path.join(dir, 'f.bin');
    fs.writeFileSync(file, 'aaaa');
    const mtime = new Date('2026-01-01T00:00:00Z');
    fs.utimesSync(file, mtime, mtime);
    const first = hasher(dir);
    expect(first.hasher.hash(p('f.bin'))?.hash).toBe(hashBytes('aaaa'));
    first.state.save();
    // Same size, same inode, mtime put back: only a cached hash can still say 'aaaa'.
    fs.writeFileSync(file, 'bbbb');
    fs.utimesSync(file, mtime, mtime);
    expect(hasher(dir).hasher.hash(p('f.bin'))?.hash).toBe(hashBytes('aaaa'));
    // A new mtime invalidates the entry.
    const later = new Date(mtime.getTime() + 5000);
    fs.utimesSync(file, later, later);
    expect(hasher(dir).hasher.hash(p('f.bin'))?.hash).toBe(hashBytes('bbbb'));
  });
});
