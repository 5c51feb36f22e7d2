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

describe('directory records', () => {
  /** A directory of `n` small files, hashed once with the state saved (its record written). */
  function hashedDir(n: number) {
    const dir = tempDir();
    writeFiles(dir, Object.fromEntries(Array.from({ length: n }, (_, i) => [`d/sub${i % 7}/f${i}.txt`, `content ${i}\n`])));
    const first = hasher(dir);
    const before = first.hasher.hash(p('d'));
    first.state.save();
    return { dir, before: before as NonNullable<typeof before>, abs: (rel: string) => path.join(dir, 'd', rel) };
  }
  /** The hash the directory has now, computed from scratch (no state). */
  const fresh = (dir: string) => new PathHasher(dir, StateCache.load(path.join(dir, 'fresh-state.json'))).hash(p('d'));

  test('a file changed in a directory of 1,000 files is detected, with or without a change of size', () => {
    const { dir, before, abs } = hashedDir(1000);
    expect(hasher(dir).hasher.hash(p('d'))?.hash).toBe(before.hash);
    fs.writeFileSync(abs('sub3/f500.txt'), 'content 5XX\n'); // same size, new mtime
    const after = hasher(dir).hasher.hash(p('d'));
    expect(after?.hash).not.toBe(before.hash);
    expect(after?.hash).toBe(fresh(dir)?.hash);
    expect(after?.manifest?.find((e) => e.path === 'sub3/f500.txt')?.hash).toBe(hashBytes('content 5XX\n'));
  });

  test('added, removed and renamed files change the hash', () => {
    const { dir, before, abs } = hashedDir(50);
    fs.renameSync(abs('sub1/f1.txt'), abs('sub1/f1-renamed.txt')); // same inode, mtime and size
    const renamed = hasher(dir);
    expect(renamed.hasher.hash(p('d'))?.hash).toBe(fresh(dir)?.hash);
    expect(renamed.hasher.hash(p('d'))?.hash).not.toBe(before.hash);
    renamed.state.save();
    fs.rmSync(abs('sub2/f2.txt'));
    const removed = hasher(dir).hasher.hash(p('d'));
    expect(removed).toMatchObject({ hash: fresh(dir)?.hash, nfiles: 49 });
    fs.writeFileSync(abs('new.txt'), 'new');
    expect(hasher(dir).hasher.hash(p('d'))).toMatchObject({ hash: fresh(dir)?.hash, nfiles: 50 });
  });

  test('a file touched but not changed leaves the hash as it was', () => {
    const { dir, before, abs } = hashedDir(1000);
    const later = new Date(Date.now() + 10_000);
    fs.utimesSync(abs('sub0/f7.txt'), later, later);
    const touched = hasher(dir);
    expect(touched.hasher.hash(p('d'))?.hash).toBe(before.hash);
    touched.state.save();
    expect(hasher(dir).hasher.hash(p('d'))?.hash).toBe(before.hash);
  });

  test("an unchanged directory's recorded hash is reused without its files' entries, and its manifest is still there when read", () => {
    const { dir, before, abs } = hashedDir(20);
    // Content changed behind mlp's back with every signature kept (same size, mtime put back),
    // and the per-file entries gone: only the directory's record can still give the old hash.
    const file = abs('sub5/f5.txt');
    const mtime = new Date('2026-01-01T00:00:00Z'); // whole milliseconds: utimes can put it back exactly
    fs.utimesSync(file, mtime, mtime);
    const recorded = hasher(dir);
    expect(recorded.hasher.hash(p('d'))?.hash).toBe(before.hash);
    recorded.state.save();
    fs.writeFileSync(file, 'content X\n');
    fs.utimesSync(file, mtime, mtime);
    fs.rmSync(path.join(dir, 'state.json'));
    const reused = hasher(dir).hasher.hash(p('d'));
    expect(reused).toMatchObject({ hash: before.hash, size: before.size, nfiles: 20 });
    // The manifest, built on demand, has the file as it is now.
    expect(reused?.manifest).toHaveLength(20);
    expect(reused?.manifest?.find((e) => e.path === 'sub5/f5.txt')?.hash).toBe(hashBytes('content X\n'));
  });

  test('a damaged record of directories reads as none', () => {
    const { dir, before } = hashedDir(10);
    fs.writeFileSync(path.join(dir, 'state.dirs.json'), '{"version":1,"entries":{"d":["x",1,"y"]}}');
    expect(hasher(dir).hasher.hash(p('d'))?.hash).toBe(before.hash);
    fs.writeFileSync(path.join(dir, 'state.dirs.json'), '{not json');
    expect(hasher(dir).hasher.hash(p('d'))?.hash).toBe(before.hash);
  });
});
