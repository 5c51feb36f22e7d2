/**
 * CacheCheckout (src/cache/checkout.ts) on a real temp directory: saving workspace paths into the
 * object store, restoring them by link type, and refusing to discard what is not saved.
 */
import { jest } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CacheCheckout, MissingObjectError } from '../../src/cache/checkout.js';
import { ObjectStore, type LinkType } from '../../src/cache/object-store.js';
import { UnsavedChangesError } from '../../src/cache/unsaved.js';
import { MlpError } from '../../src/errors.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import { PathHasher, serializeManifest, type PathHash } from '../../src/hash/hash-path.js';
import { StateCache, objectKey } from '../../src/hash/state-cache.js';
import { toRepoPath, type RepoPath } from '../../src/schema/repo-path.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Rig {
  base: string;
  root: string;
  store: ObjectStore;
  cache: CacheCheckout;
  hasher: PathHasher;
  state: StateCache;
}

/** A workspace `base/repo` with its cache in `base/repo/.mlp/cache`, materialising with `linkTypes`. */
function rig(linkTypes: LinkType[] = ['copy']): Rig {
  const base = tempDir('mlp-checkout-');
  dirs.push(base);
  const root = path.join(base, 'repo');
  fs.mkdirSync(root);
  const state = StateCache.load(path.join(root, '.mlp/tmp/state.json'));
  const hasher = new PathHasher(root, state);
  const store = new ObjectStore(path.join(root, '.mlp/cache'), () => state);
  return { base, root, store, hasher, state, cache: new CacheCheckout(root, store, linkTypes, hasher) };
}

const P = (p: string): RepoPath => toRepoPath(p);
const readIn = (r: Rig, rel: string): string => fs.readFileSync(path.join(r.root, rel), 'utf8');

/** Saves `rel` (written from `files`) and returns what was recorded. */
async function saved(r: Rig, rel: string, files: Record<string, string>): Promise<PathHash> {
  writeFiles(r.root, files);
  const hashed = await r.cache.hashAndSave(P(rel));
  if (!hashed) throw new Error(`${rel} was not saved`);
  return hashed;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('hashAndSave', () => {
  test('stores every file of a directory and its manifest, read-only, under the hashes it reports', async () => {
    const r = rig();
    const info = await saved(r, 'data', { 'data/a.txt': 'A', 'data/sub/b.txt': 'BB' });
    expect(info).toMatchObject({ size: 3, nfiles: 2 });
    expect(info.manifest?.map((e) => e.path)).toEqual(['a.txt', 'sub/b.txt']);
    expect(info.hash).toBe(hashBytes(serializeManifest(info.manifest ?? [])));
    // The same answer as hashing without storing.
    expect(r.hasher.hash(P('data'))?.hash).toBe(info.hash);
    for (const [hash, content] of [[hashBytes('A'), 'A'], [hashBytes('BB'), 'BB'], [info.hash, serializeManifest(info.manifest ?? [])]] as const) {
      const object = r.store.objectPath(hash);
      expect(fs.readFileSync(object, 'utf8')).toBe(content);
      expect(fs.statSync(object).mode & 0o222).toBe(0);
    }
  });

  test('a path that does not exist is undefined, and nothing is stored', async () => {
    const r = rig();
    expect(await r.cache.hashAndSave(P('nope'))).toBeUndefined();
    expect([...r.store.listObjects()]).toEqual([]);
  });

  test('copies by default: the workspace file stays writable and separate from the object', async () => {
    const r = rig(['copy']);
    const info = await saved(r, 'f.txt', { 'f.txt': 'copied' });
    expect(r.cache.savesByLink).toBe(false);
    expect(fs.statSync(path.join(r.root, 'f.txt')).ino).not.toBe(fs.statSync(r.store.objectPath(info.hash)).ino);
    expect(fs.statSync(path.join(r.root, 'f.txt')).mode & 0o200).not.toBe(0);
  });

  test('with hardlink first, the workspace file itself becomes the object', async () => {
    const r = rig(['hardlink', 'copy']);
    expect(r.cache.savesByLink).toBe(true);
    const info = await saved(r, 'f.txt', { 'f.txt': 'linked' });
    expect(fs.statSync(path.join(r.root, 'f.txt')).ino).toBe(fs.statSync(r.store.objectPath(info.hash)).ino);
  });

  test('save() fails when the path no longer has the hashed content', async () => {
    const r = rig();
    writeFiles(r.root, { 'f.txt': 'first' });
    const hashed = r.hasher.hash(P('f.txt')) as PathHash;
    writeFiles(r.root, { 'f.txt': 'second, longer' });
    await expect(r.cache.save(P('f.txt'), hashed)).rejects.toThrow('f.txt changed after mlp hashed it');
    await expect(r.cache.save(P('f.txt'), r.hasher.hash(P('f.txt')) as PathHash)).resolves.toBeUndefined();
  });

  test('refuses a path that leads outside the workspace through a symlink', async () => {
    const r = rig();
    writeFiles(r.base, { 'outside/secret.txt': 'secret' });
    fs.symlinkSync('../outside', path.join(r.root, 'ext'));
    const error = await r.cache.hashAndSave(P('ext/secret.txt')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).exitCode).toBe(3);
    expect(r.store.has(hashBytes('secret'))).toBe(false);
  });
});

describe('checkout of a file', () => {
  test.each<[LinkType[], boolean]>([
    [['copy'], false],
    [['reflink', 'copy'], false], // no reflink on most test disks: falls back to a copy
    [['hardlink'], true],
    [['symlink'], false],
  ])('%j restores a deleted file, then finds it unchanged', async (types, sharesInode) => {
    const r = rig(types);
    const info = await saved(r, 'f.txt', { 'f.txt': 'content' });
    fs.rmSync(path.join(r.root, 'f.txt'));
    expect(r.cache.checkout(P('f.txt'), info)).toBe('restored');
    expect(readIn(r, 'f.txt')).toBe('content');
    const file = path.join(r.root, 'f.txt');
    if (types[0] === 'symlink') expect(fs.readlinkSync(file)).toBe(r.store.objectPath(info.hash));
    else expect(fs.statSync(file).ino === fs.statSync(r.store.objectPath(info.hash)).ino).toBe(sharesInode);
    if (!sharesInode && types[0] !== 'symlink') expect(fs.statSync(file).mode & 0o200).not.toBe(0);
    expect(r.cache.checkout(P('f.txt'), info)).toBe('unchanged');
    // No temp file left in the cache's temp folder (only this process's owner marker).
    expect(fs.readdirSync(r.store.tmpDir).filter((n) => !n.endsWith('.owner'))).toEqual([]);
  });

  test('replaces a file whose current content is in the cache', async () => {
    const r = rig();
    const v1 = await saved(r, 'f.txt', { 'f.txt': 'v1' });
    await saved(r, 'f.txt', { 'f.txt': 'v2' });
    expect(r.cache.checkout(P('f.txt'), v1)).toBe('restored');
    expect(readIn(r, 'f.txt')).toBe('v1');
  });

  test('refuses to overwrite unsaved content, leaving it as it was; --force overwrites it', async () => {
    const r = rig();
    const info = await saved(r, 'f.txt', { 'f.txt': 'saved' });
    writeFiles(r.root, { 'f.txt': 'my edit' });
    const error = thrown(() => r.cache.checkout(P('f.txt'), info));
    expect(error).toBeInstanceOf(UnsavedChangesError);
    expect((error as UnsavedChangesError).files).toEqual(['f.txt']);
    expect((error as UnsavedChangesError).exitCode).toBe(6);
    expect(readIn(r, 'f.txt')).toBe('my edit');
    expect(r.cache.checkout(P('f.txt'), info, undefined, true)).toBe('restored');
    expect(readIn(r, 'f.txt')).toBe('saved');
  });

  test('a missing object is a MissingObjectError and the workspace is untouched', async () => {
    const r = rig();
    const info = await saved(r, 'f.txt', { 'f.txt': 'gone' });
    fs.rmSync(r.store.objectPath(info.hash), { force: true });
    fs.rmSync(path.join(r.root, 'f.txt'));
    const error = thrown(() => r.cache.checkout(P('f.txt'), info));
    expect(error).toBeInstanceOf(MissingObjectError);
    expect(error).toMatchObject({ path: 'f.txt', hash: info.hash });
    expect(fs.existsSync(path.join(r.root, 'f.txt'))).toBe(false);
  });

  test('a corrupt object is refused and removed; the workspace keeps what it had', async () => {
    const r = rig();
    const info = await saved(r, 'f.txt', { 'f.txt': 'good bytes' });
    await saved(r, 'f.txt', { 'f.txt': 'other' });
    const object = r.store.objectPath(info.hash);
    fs.chmodSync(object, 0o644);
    fs.writeFileSync(object, 'bad bytes!');
    expect(() => r.cache.checkout(P('f.txt'), info)).toThrow(/is corrupted/);
    expect(r.store.has(info.hash)).toBe(false);
    expect(readIn(r, 'f.txt')).toBe('other');
  });

  test('a directory where the file belongs is replaced only when all its files are cached', async () => {
    const r = rig();
    const info = await saved(r, 'x', { x: 'file' });
    fs.rmSync(path.join(r.root, 'x'));
    writeFiles(r.root, { 'x/kept.txt': 'cached', 'x/new.txt': 'not cached' });
    r.store.putBytes('cached');
    const error = thrown(() => r.cache.checkout(P('x'), info));
    expect((error as UnsavedChangesError).files).toEqual(['x/new.txt']);
    expect(readIn(r, 'x/new.txt')).toBe('not cached');
    fs.rmSync(path.join(r.root, 'x/new.txt'));
    expect(r.cache.checkout(P('x'), info)).toBe('restored');
    expect(readIn(r, 'x')).toBe('file');
  });

  test('refuses to write through a symlink that leads outside the workspace', async () => {
    const r = rig();
    const info = await saved(r, 'ext/f.txt', { 'ext/f.txt': 'inside' });
    fs.rmSync(path.join(r.root, 'ext'), { recursive: true });
    fs.mkdirSync(path.join(r.base, 'outside'));
    fs.symlinkSync('../outside', path.join(r.root, 'ext'));
    const error = thrown(() => r.cache.checkout(P('ext/f.txt'), info));
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).exitCode).toBe(3);
    expect(fs.readdirSync(path.join(r.base, 'outside'))).toEqual([]);
  });
});

describe('checkout with the cache on another filesystem (rename fails with EXDEV)', () => {
  const shm = '/dev/shm';
  const crossDevice = fs.existsSync(shm) && fs.statSync(shm).dev !== fs.statSync(os.tmpdir()).dev;
  (crossDevice ? test : test.skip)('restores small and large files, never rewriting one in place, and leaves no temp file', async () => {
    const r = rig();
    const cacheDir = fs.mkdtempSync(path.join(shm, 'mlp-cache-'));
    dirs.push(cacheDir);
    const store = new ObjectStore(cacheDir, () => r.state);
    const cache = new CacheCheckout(r.root, store, ['copy'], r.hasher);
    const big = 'x'.repeat(300 * 1024); // above the whole-read limit: the general copy path
    for (const [name, v1, v2] of [['small.txt', 'v1', 'v2'], ['big.txt', `${big}1`, `${big}2`]] as const) {
      writeFiles(r.root, { [name]: v2 });
      const second = await cache.hashAndSave(P(name));
      writeFiles(r.root, { [name]: v1 });
      await cache.hashAndSave(P(name));
      // Another name for the workspace file (a user's hardlink): an in-place rewrite would change it.
      fs.linkSync(path.join(r.root, name), path.join(r.base, `${name}.keep`));
      expect(cache.checkout(P(name), second as PathHash)).toBe('restored');
      expect(readIn(r, name)).toBe(v2);
      expect(fs.readFileSync(path.join(r.base, `${name}.keep`), 'utf8')).toBe(v1);
    }
    expect(fs.readdirSync(r.root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('checkout of a directory', () => {
  test('restores changed files, deletes cached extras and leaves equal files alone', async () => {
    const r = rig();
    const v1 = await saved(r, 'd', { 'd/same.txt': 'same', 'd/changed.txt': 'v1', 'd/sub/deep.txt': 'deep' });
    fs.rmSync(path.join(r.root, 'd/sub'), { recursive: true });
    await saved(r, 'd', { 'd/changed.txt': 'v2', 'd/extra.txt': 'extra' });
    const sameIno = fs.statSync(path.join(r.root, 'd/same.txt')).ino;
    expect(r.cache.checkout(P('d'), v1)).toBe('restored');
    expect(r.hasher.hash(P('d'))?.hash).toBe(v1.hash);
    expect(readIn(r, 'd/changed.txt')).toBe('v1');
    expect(readIn(r, 'd/sub/deep.txt')).toBe('deep');
    expect(fs.existsSync(path.join(r.root, 'd/extra.txt'))).toBe(false);
    expect(fs.statSync(path.join(r.root, 'd/same.txt')).ino).toBe(sameIno);
    expect(r.cache.checkout(P('d'), v1)).toBe('unchanged');
  });

  test("a directory checkout records the directory's hash, so the next status needs no manifest", async () => {
    const r = rig();
    const v1 = await saved(r, 'd', { 'd/a.txt': 'v1', 'd/sub/b.txt': 'b' });
    const v2 = await saved(r, 'd', { 'd/a.txt': 'v2' });
    const recorded = (): unknown => {
      r.state.save();
      return (JSON.parse(fs.readFileSync(path.join(r.root, '.mlp/tmp/state.dirs.json'), 'utf8')) as { entries: Record<string, unknown[]> }).entries.d?.slice(1);
    };
    expect(recorded()).toEqual([v2.hash, v2.size, 2]);
    expect(r.cache.checkout(P('d'), v1)).toBe('restored');
    expect(recorded()).toEqual([v1.hash, v1.size, 2]);
    // What a later command finds: the recorded hash, and the manifest when asked for it.
    const later = new PathHasher(r.root, StateCache.load(path.join(r.root, '.mlp/tmp/state.json'))).hash(P('d'));
    expect(later).toMatchObject({ hash: v1.hash, nfiles: 2 });
    expect(later?.manifest).toEqual(v1.manifest);
  });

  test('an empty directory is checked out as an empty directory', async () => {
    const r = rig();
    fs.mkdirSync(path.join(r.root, 'empty'));
    const info = (await r.cache.hashAndSave(P('empty'))) as PathHash;
    expect(info.nfiles).toBe(0);
    fs.rmdirSync(path.join(r.root, 'empty'));
    expect(r.cache.checkout(P('empty'), info)).toBe('restored');
    expect(fs.readdirSync(path.join(r.root, 'empty'))).toEqual([]);
  });

  test('refuses when an unsaved file would be deleted or overwritten, listing each, and changes nothing', async () => {
    const r = rig();
    const info = await saved(r, 'd', { 'd/a.txt': 'a', 'd/b.txt': 'b' });
    writeFiles(r.root, { 'd/a.txt': 'edited', 'd/mine.txt': 'my own' });
    fs.rmSync(path.join(r.root, 'd/b.txt'));
    const error = thrown(() => r.cache.checkout(P('d'), info));
    expect(error).toBeInstanceOf(UnsavedChangesError);
    expect((error as UnsavedChangesError).files).toEqual(['d/a.txt', 'd/mine.txt']);
    expect(fs.existsSync(path.join(r.root, 'd/b.txt'))).toBe(false);
    expect(readIn(r, 'd/a.txt')).toBe('edited');
    expect(r.cache.checkout(P('d'), info, undefined, true)).toBe('restored');
    expect(fs.readdirSync(path.join(r.root, 'd')).sort()).toEqual(['a.txt', 'b.txt']);
  });

  test('a file where the directory belongs is replaced when it is cached', async () => {
    const r = rig();
    const dir = await saved(r, 'd', { 'd/a.txt': 'a' });
    fs.rmSync(path.join(r.root, 'd'), { recursive: true });
    await saved(r, 'd', { d: 'now a file' });
    expect(r.cache.checkout(P('d'), dir)).toBe('restored');
    expect(readIn(r, 'd/a.txt')).toBe('a');
  });

  test('a missing file object or manifest fails before anything is written', async () => {
    const r = rig();
    const info = await saved(r, 'd', { 'd/a.txt': 'a', 'd/b.txt': 'b' });
    fs.rmSync(path.join(r.root, 'd'), { recursive: true });
    fs.rmSync(r.store.objectPath(hashBytes('b')));
    expect(r.cache.isComplete(info)).toBe(false);
    expect(() => r.cache.checkout(P('d'), info)).toThrow(MissingObjectError);
    expect(fs.existsSync(path.join(r.root, 'd'))).toBe(false);
    fs.rmSync(r.store.objectPath(info.hash));
    expect(r.cache.isComplete(info)).toBe(false);
    expect(() => r.cache.checkout(P('d'), info)).toThrow(MissingObjectError);
  });

  test('a small object damaged after it was verified is not copied into the workspace', async () => {
    const r = rig();
    const info = await saved(r, 'd', { 'd/a.txt': 'good bytes', 'd/b.txt': 'b' });
    fs.rmSync(path.join(r.root, 'd'), { recursive: true });
    const hash = hashBytes('good bytes');
    const object = r.store.objectPath(hash);
    fs.chmodSync(object, 0o644);
    fs.writeFileSync(object, 'bad! bytes');
    // Damaged within the mtime granularity of a remembered verification (as older mlp versions
    // remembered small objects): the hash state still says it is good.
    r.state.set(objectKey(hash), fs.statSync(object), hash);
    expect(() => r.cache.checkout(P('d'), info)).toThrow(/is corrupted/);
    expect(fs.existsSync(path.join(r.root, 'd/a.txt'))).toBe(false);
    expect(r.store.has(hash)).toBe(false);
  });

  test('a new directory is built beside its place, each subdirectory made once, file modes set at creation', async () => {
    const r = rig();
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`d/${i % 3}/f${i}.txt`] = `content ${i}`;
    const info = await saved(r, 'd', files);
    fs.rmSync(path.join(r.root, 'd'), { recursive: true });
    const mkdir = jest.spyOn(fs, 'mkdirSync');
    const chmod = jest.spyOn(fs, 'chmodSync');
    try {
      expect(r.cache.checkout(P('d'), info)).toBe('restored');
      const made = mkdir.mock.calls.map((c) => String(c[0])).filter((d) => d.startsWith(r.root + path.sep) && !d.startsWith(path.join(r.root, '.mlp')));
      // Built in an owner-tagged temp directory beside `d`, then renamed into place whole.
      const build = made[0] as string;
      expect(path.basename(build)).toMatch(/^\.d\.tmp\.[0-9a-f]{8}-\d+-[0-9a-f]{8}$/);
      expect(made).toEqual(['', '/0', '/1', '/2'].map((d) => build + d)); // each once, not once per file
      expect(fs.existsSync(build)).toBe(false);
      expect(chmod).not.toHaveBeenCalled();
    } finally {
      mkdir.mockRestore();
      chmod.mockRestore();
    }
    for (const [rel, content] of Object.entries(files)) {
      expect(readIn(r, rel)).toBe(content);
      expect(fs.statSync(path.join(r.root, rel)).mode & 0o200).not.toBe(0);
    }
    expect(r.hasher.hash(P('d'))?.hash).toBe(info.hash);
  });

  test('a pull starts a new directory before its fetch, which writes files there; the checkout writes only the rest', async () => {
    const r = rig();
    const info = await saved(r, 'd', { 'd/a.txt': 'fetched', 'd/sub/b.txt': 'from the cache', 'd/sub/c.txt': 'left half-written' });
    fs.rmSync(path.join(r.root, 'd'), { recursive: true });
    const also = r.cache.prepareNewPaths([{ path: P('d'), info }]);
    const dest = (name: string): string => (also.destinations.get(hashBytes(name)) ?? [])[0] as string;
    // Each small file has its place in a private directory beside `d`, whose subdirectories exist.
    const build = path.dirname(dest('fetched'));
    expect(path.basename(build)).toMatch(/^\.d\.tmp\./);
    expect(path.dirname(dest('from the cache'))).toBe(path.join(build, 'sub'));
    expect(fs.existsSync(path.join(r.root, 'd'))).toBe(false);
    // The fetch writes one file and reports it; another is left half-written (a failed item).
    fs.writeFileSync(dest('fetched'), 'fetched');
    const written = fs.statSync(dest('fetched'));
    also.written(dest('fetched'), written);
    fs.writeFileSync(dest('left half-written'), 'left');
    expect(r.cache.checkout(P('d'), info)).toBe('restored');
    expect(fs.statSync(path.join(r.root, 'd/a.txt')).ino).toBe(written.ino); // not written again
    expect(readIn(r, 'd/sub/b.txt')).toBe('from the cache');
    expect(readIn(r, 'd/sub/c.txt')).toBe('left half-written');
    expect(fs.existsSync(build)).toBe(false);
    expect(r.hasher.hash(P('d'))?.hash).toBe(info.hash);
  });

  test('a pull starts a new file in a private directory beside its place; the checkout renames it in, or writes it itself', async () => {
    const r = rig();
    const info = await saved(r, 'f.bin', { 'f.bin': 'file content' });
    fs.rmSync(path.join(r.root, 'f.bin'));
    const builds = (): string[] => fs.readdirSync(r.root).filter((n) => n.startsWith('.f.bin.tmp'));
    let also = r.cache.prepareNewPaths([{ path: P('f.bin'), info }]);
    let dest = also.destinations.get(info.hash)?.[0] as string;
    expect(path.basename(dest)).toBe('f.bin');
    expect(builds()).toEqual([path.basename(path.dirname(dest))]);
    fs.writeFileSync(dest, 'file content');
    const written = fs.statSync(dest);
    also.written(dest, written);
    expect(r.cache.checkout(P('f.bin'), info)).toBe('restored');
    expect(fs.statSync(path.join(r.root, 'f.bin')).ino).toBe(written.ino);
    expect(builds()).toEqual([]);
    expect(r.hasher.hash(P('f.bin'))?.hash).toBe(info.hash);

    // Not reported (the fetch failed half-way): the checkout writes it from the cache.
    fs.rmSync(path.join(r.root, 'f.bin'));
    also = r.cache.prepareNewPaths([{ path: P('f.bin'), info }]);
    dest = also.destinations.get(info.hash)?.[0] as string;
    fs.writeFileSync(dest, 'file');
    expect(r.cache.checkout(P('f.bin'), info)).toBe('restored');
    expect(readIn(r, 'f.bin')).toBe('file content');
    expect(builds()).toEqual([]);
  });

  test('only absent directories that will be copies are started early, never through a symlink; discardEarly removes what no checkout took', async () => {
    const r = rig(['hardlink', 'copy']);
    const info = await saved(r, 'd', { 'd/a.txt': 'a' });
    const builds = (): string[] => fs.readdirSync(r.root).filter((n) => n.startsWith('.d.tmp'));
    fs.rmSync(path.join(r.root, 'd'), { recursive: true });
    expect(r.cache.prepareNewPaths([{ path: P('d'), info }]).destinations.size).toBe(0); // hardlinks: nothing to copy
    expect(builds()).toEqual([]);

    const c = new CacheCheckout(r.root, r.store, ['reflink', 'copy'], r.hasher);
    const prepared = c.prepareNewPaths([{ path: P('d'), info }]);
    // Where reflinks work (the probe succeeded) nothing is started; either way the probe is gone.
    expect(builds()).toHaveLength(prepared.destinations.size);
    for (const b of builds()) expect(fs.readdirSync(path.join(r.root, b))).toEqual([]);
    c.discardEarly();
    expect(builds()).toEqual([]);

    const copies = new CacheCheckout(r.root, r.store, ['copy'], r.hasher);
    fs.mkdirSync(path.join(r.root, 'd'));
    expect(copies.prepareNewPaths([{ path: P('d'), info }]).destinations.size).toBe(0); // it exists
    fs.rmdirSync(path.join(r.root, 'd'));
    fs.mkdirSync(path.join(r.base, 'outside'));
    fs.symlinkSync(path.join(r.base, 'outside'), path.join(r.root, 'link'));
    expect(copies.prepareNewPaths([{ path: P('link/d'), info }]).destinations.size).toBe(0);
    expect(fs.readdirSync(path.join(r.base, 'outside'))).toEqual([]);
    expect(copies.prepareNewPaths([{ path: P('d'), info }]).destinations.size).toBe(1);
    expect(builds()).toHaveLength(1);
    copies.discardEarly();
    expect(builds()).toEqual([]);
  });

  test('isComplete is true when the manifest and every file object are there', async () => {
    const r = rig();
    const info = await saved(r, 'd', { 'd/a.txt': 'a' });
    expect(r.cache.isComplete(info)).toBe(true);
    expect(r.cache.isComplete({ hash: hashBytes('a'), size: 1 })).toBe(true);
    expect(r.cache.isComplete({ hash: hashBytes('never stored'), size: 1 })).toBe(false);
  });
});

describe('unprotect', () => {
  test('gives hardlinked and symlinked files private writable copies; the objects stay intact', async () => {
    const r = rig(['hardlink']);
    const info = await saved(r, 'd', { 'd/a.txt': 'object a', 'd/b.txt': 'object b' });
    fs.rmSync(path.join(r.root, 'd/b.txt'));
    fs.symlinkSync(r.store.objectPath(hashBytes('object b')), path.join(r.root, 'd/b.txt'));
    expect(fs.statSync(path.join(r.root, 'd/a.txt')).nlink).toBe(2);
    r.cache.unprotect(P('d'));
    for (const name of ['a.txt', 'b.txt']) {
      const file = path.join(r.root, 'd', name);
      expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
      expect(fs.statSync(file).nlink).toBe(1);
      fs.writeFileSync(file, 'written in place');
    }
    expect(fs.readFileSync(r.store.objectPath(hashBytes('object a')), 'utf8')).toBe('object a');
    expect(fs.readFileSync(r.store.objectPath(hashBytes('object b')), 'utf8')).toBe('object b');
    expect(r.cache.isComplete(info)).toBe(true);
  });
});
