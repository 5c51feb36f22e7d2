/** The hash state: lookups by stat signature, the old file format, and pruning. */
import fs from 'node:fs';
import path from 'node:path';
import { PRUNE_MIN_ENTRIES, StateCache, objectKey, objectOfKey } from '../../src/hash/state-cache.js';
import { signatureOf, statSignature } from '../../src/util/stat-signature.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const HASH = 'a'.repeat(64);

function setup() {
  const dir = tempDir();
  const file = path.join(dir, 'state.json');
  const objects = path.join(dir, 'objects');
  fs.mkdirSync(objects);
  const locate = (key: string): string => {
    const hash = objectOfKey(key);
    return hash === undefined ? path.join(dir, key) : path.join(objects, hash);
  };
  const stat = (rel: string): fs.Stats => fs.statSync(path.join(dir, rel));
  const keys = (): string[] => Object.keys((JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: object }).entries).sort();
  return { dir, file, objects, locate, stat, keys };
}

/** A state file as mlp wrote it before pruning existed: path → [inode, mtime, size, hash]. */
function writeV1(file: string, entries: Record<string, [number, number, number, string]>): void {
  fs.writeFileSync(file, JSON.stringify({ version: 1, entries }));
}

describe('state cache', () => {
  test('a hash is returned only while the stat signature is unchanged', () => {
    const { dir, file, stat } = setup();
    writeFiles(dir, { 'f.txt': 'one' });
    const state = StateCache.load(file);
    state.set('f.txt', stat('f.txt'), HASH);
    expect(state.get('f.txt', stat('f.txt'))).toBe(HASH);
    state.save();
    expect(StateCache.load(file).get('f.txt', stat('f.txt'))).toBe(HASH);
    fs.writeFileSync(path.join(dir, 'f.txt'), 'three');
    expect(StateCache.load(file).get('f.txt', stat('f.txt'))).toBeUndefined();
  });

  test('a state file written before pruning existed is read as it is (no rehash after an upgrade)', () => {
    const { dir, file, stat } = setup();
    writeFiles(dir, { 'f.txt': 'one' });
    const s = stat('f.txt');
    writeV1(file, { 'f.txt': [s.ino, s.mtimeMs, s.size, HASH] });
    expect(StateCache.load(file).get('f.txt', s)).toBe(HASH);
  });

  test('prune() drops entries whose file is gone or changed, and verification records of removed objects', () => {
    const { dir, file, objects, locate, stat, keys } = setup();
    writeFiles(dir, { 'keep.txt': 'k', 'gone.txt': 'g', 'changed.txt': 'c', 'd/inner.txt': 'i' });
    fs.writeFileSync(path.join(objects, HASH), 'object');
    const gone = 'b'.repeat(64);
    fs.writeFileSync(path.join(objects, gone), 'object 2');
    const state = StateCache.load(file, locate);
    for (const rel of ['keep.txt', 'gone.txt', 'changed.txt', 'd/inner.txt']) state.set(rel, stat(rel), HASH);
    state.set(objectKey(HASH), fs.statSync(path.join(objects, HASH)), HASH);
    state.set(objectKey(gone), fs.statSync(path.join(objects, gone)), gone);
    fs.rmSync(path.join(dir, 'gone.txt'));
    fs.writeFileSync(path.join(dir, 'changed.txt'), 'changed');
    fs.rmSync(path.join(objects, gone));
    expect(state.prune()).toBe(3);
    state.save();
    expect(keys()).toEqual([objectKey(HASH), 'd/inner.txt', 'keep.txt'].sort());
  });

  test('saving prunes a state that has grown with stale entries — e.g. 200,000 left by months of use', () => {
    const { dir, file, locate, stat, keys } = setup();
    writeFiles(dir, { 'live.txt': 'l' });
    const s = stat('live.txt');
    const entries: Record<string, [number, number, number, string]> = { 'live.txt': [s.ino, s.mtimeMs, s.size, HASH] };
    for (let i = 0; i < PRUNE_MIN_ENTRIES + 10; i++) entries[`old/run-${i}/out.bin`] = [1000 + i, 1_700_000_000_000 + i, 10, HASH];
    for (let i = 0; i < 10; i++) entries[objectKey(i.toString(16).padStart(64, '0'))] = [2000 + i, 1_700_000_000_000, 10, HASH];
    writeV1(file, entries);
    // A read-only command (nothing new hashed) pays the load once and leaves a small state.
    const state = StateCache.load(file, locate);
    expect(state.get('live.txt', s)).toBe(HASH);
    state.save();
    expect(keys()).toEqual(['live.txt']);
    expect(StateCache.load(file, locate).get('live.txt', s)).toBe(HASH);
  });

  test('a small state, or one that has not grown since its last prune, is not stat-ed on every save', () => {
    const { dir, file, locate, stat, keys } = setup();
    writeFiles(dir, { 'live.txt': 'l' });
    const state = StateCache.load(file, locate);
    state.set('live.txt', stat('live.txt'), HASH);
    state.set('deleted-since.txt', stat('live.txt'), HASH); // stale, but the state is small
    state.save();
    expect(keys()).toEqual(['deleted-since.txt', 'live.txt']);
    // Without a way to locate files (no repository), nothing is ever pruned.
    writeV1(file, Object.fromEntries(Array.from({ length: PRUNE_MIN_ENTRIES * 2 }, (_, i) => [`x${i}`, [i, i, i, HASH]])));
    const unlocated = StateCache.load(file);
    unlocated.set('live.txt', stat('live.txt'), HASH);
    unlocated.save();
    expect(keys()).toHaveLength(PRUNE_MIN_ENTRIES * 2 + 1);
  });

  test('the stat signature is inode, mtime and size', () => {
    const { dir, stat } = setup();
    writeFiles(dir, { 'f.txt': 'abc' });
    const s = stat('f.txt');
    expect(statSignature(s)).toEqual([s.ino, s.mtimeMs, s.size]);
    expect(signatureOf(path.join(dir, 'f.txt'))).toBe(`${s.ino}:${s.mtimeMs}:${s.size}`);
    expect(signatureOf(path.join(dir, 'missing'))).toBeUndefined();
  });
});

describe('directory records', () => {
  test('are kept apart from file entries, and pruned when their directory is gone', () => {
    const { dir, file, locate, keys } = setup();
    writeFiles(dir, { 'kept/f.txt': 'k', 'gone/f.txt': 'g' });
    const state = StateCache.load(file, locate);
    state.setDirectory('kept', 'digest-1', { hash: HASH as never, size: 1, nfiles: 1 });
    state.setDirectory('gone', 'digest-2', { hash: HASH as never, size: 1, nfiles: 1 });
    state.save();
    expect(fs.existsSync(file)).toBe(false); // no file entry was read or written: state.json untouched
    const loaded = StateCache.load(file, locate);
    expect(loaded.getDirectory('kept', 'digest-1')).toEqual({ hash: HASH, size: 1, nfiles: 1 });
    expect(loaded.getDirectory('kept', 'another digest')).toBeUndefined();
    fs.rmSync(path.join(dir, 'gone'), { recursive: true });
    expect(loaded.prune()).toBe(1);
    loaded.save();
    expect(keys()).toEqual([]);
    const pruned = StateCache.load(file, locate);
    expect(pruned.getDirectory('gone', 'digest-2')).toBeUndefined();
    expect(pruned.getDirectory('kept', 'digest-1')).toBeDefined();
  });
});
