import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AddInterrupted, ObjectStore, SYNC_ADD_LIMIT } from '../../src/cache/object-store.js';
import { MlpError } from '../../src/errors.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import { StateCache } from '../../src/hash/state-cache.js';
import type { EntryPath } from '../../src/schema/repo-path.js';
import type { Sha256 } from '../../src/schema/sha256.js';
import { HOST_TAG } from '../../src/util/temp-files.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function setup(): { dir: string; store: ObjectStore; state: StateCache } {
  const dir = tempDir('mlp-store-');
  dirs.push(dir);
  const state = StateCache.load(path.join(dir, 'state.json'));
  return { dir, store: new ObjectStore(path.join(dir, 'cache'), () => state), state };
}

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('storing files', () => {
  test.each([
    ['small, read whole', 1000],
    ['middle-sized, copied while hashed', 3 * 1024 * 1024 + 5],
    ['large, copied while hashed asynchronously', 33 * 1024 * 1024 + 5],
  ])('a %s file is stored under the hash of its bytes, read-only', async (_label, size) => {
    const { dir, store } = setup();
    const src = path.join(dir, 'f.bin');
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 997) data[i] = i % 251;
    fs.writeFileSync(src, data);
    const stored = await store.addFile(src, fs.statSync(src), { label: 'f.bin' });
    expect(stored.hash).toBe(hashBytes(data));
    expect(stored.size).toBe(size);
    expect(stored.linked).toBe(false);
    const object = store.objectPath(stored.hash);
    expect(fs.readFileSync(object).equals(data)).toBe(true);
    expect(fs.statSync(object).mode & 0o777).toBe(0o444);
    // The source is untouched and no temp file is left.
    expect(fs.statSync(src).mode & 0o222).not.toBe(0);
    expect(fs.readdirSync(store.tmpDir).filter((n) => !n.endsWith('.owner'))).toEqual([]);
    expect(fs.readdirSync(path.dirname(object))).toEqual([path.basename(object)]);
  });

  test('link mode makes the source itself the object', async () => {
    const { dir, store } = setup();
    const src = path.join(dir, 'f.bin');
    fs.writeFileSync(src, 'linked');
    const stored = store.addFileSync(src, fs.statSync(src), { link: true });
    expect(stored).toMatchObject({ hash: hashBytes('linked'), linked: true });
    expect(fs.statSync(src).ino).toBe(fs.statSync(store.objectPath(stored.hash)).ino);
  });
});

describe('checking objects', () => {
  test('a flipped byte or a truncated object is found and removed; a good one is remembered', () => {
    const { store, state } = setup();
    const good = store.putBytes(Buffer.alloc(300 * 1024, 'good content'));
    const small = store.putBytes('small and good');
    const flipped = store.putBytes('flipped content');
    const truncated = store.putBytes('truncated content');
    const damage = (hash: Sha256, data: string): void => {
      const file = store.objectPath(hash);
      fs.chmodSync(file, 0o644);
      fs.writeFileSync(file, data);
    };
    damage(flipped, 'flipped cOntent');
    damage(truncated, 'truncated');
    expect(store.check(good)).toBe('ok');
    expect(store.check(flipped)).toBe('corrupt');
    expect(store.check(truncated)).toBe('corrupt');
    expect(store.has(flipped) || store.has(truncated)).toBe(false);
    expect(store.check(flipped)).toBe('missing');
    // Remembered by inode, mtime and size: a second check does not read the object. A small one
    // is read and hashed each time instead (an entry each made the hash state twice as large).
    expect(state.get(`cache:${good}`, fs.statSync(store.objectPath(good)))).toBe(good);
    expect(store.check(small)).toBe('ok');
    expect(state.get(`cache:${small}`, fs.statSync(store.objectPath(small)))).toBeUndefined();
  });

  test('readVerified returns a good object whole and removes a bad one', async () => {
    const { store } = setup();
    const hash = store.putBytes('payload');
    expect(await store.readVerified(hash)).toEqual(Buffer.from('payload'));
    fs.chmodSync(store.objectPath(hash), 0o644);
    fs.writeFileSync(store.objectPath(hash), 'paYload');
    expect(await store.readVerified(hash)).toBe('corrupt');
    expect(await store.readVerified(hash)).toBe('missing');
  });

  test('a corrupt directory manifest is removed when read', () => {
    const { store } = setup();
    const hash = store.putManifest([{ path: 'a' as EntryPath, hash: hashBytes('a'), size: 1 }]);
    fs.chmodSync(store.objectPath(hash), 0o644);
    fs.appendFileSync(store.objectPath(hash), ' ');
    expect(() => store.readManifest(hash)).toThrow(/is corrupted/);
    expect(store.has(hash)).toBe(false);
  });
});

describe('temp files', () => {
  test('the next writer sweeps what a killed process left; live owners and fresh foreign files are kept', () => {
    const { store } = setup();
    const dead = deadPid();
    const hash = hashBytes('x');
    const shard = path.join(store.objectsDir, hash.slice(0, 2));
    fs.mkdirSync(shard, { recursive: true });
    fs.mkdirSync(store.tmpDir, { recursive: true });
    fs.mkdirSync(path.join(store.cacheDir, 'runs', 'ab'), { recursive: true });
    const files = {
      deadMarker: path.join(store.tmpDir, `${HOST_TAG}-${dead}-0123abcd.owner`),
      deadPartial: path.join(store.tmpDir, `${HOST_TAG}-${dead}-0123abcd-0`),
      deadBeside: path.join(shard, `${hash.slice(2)}.${HOST_TAG}-${dead}-0123abcd-1.tmp`),
      deadRun: path.join(store.cacheDir, 'runs', 'ab', `${'c'.repeat(62)}.${HOST_TAG}-${dead}-0123abcd.tmp`),
      livePartial: path.join(store.tmpDir, `${HOST_TAG}-${process.pid}-0123abcd-0`),
      foreignFresh: path.join(shard, `${hash.slice(2)}.ffffffff-1-0123abcd-0.tmp`),
      foreignOld: path.join(shard, `${hash.slice(2)}.ffffffff-2-0123abcd-0.tmp`),
      legacyOld: path.join(shard, `${hash.slice(2)}.123-0123abcd-0.tmp`),
    };
    for (const f of Object.values(files)) fs.writeFileSync(f, 'partial');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    for (const f of [files.foreignOld, files.legacyOld]) fs.utimesSync(f, twoDaysAgo, twoDaysAgo);

    store.putBytes('x'); // the first write of a command
    const left = (f: string): boolean => fs.existsSync(f);
    expect(left(files.deadMarker) || left(files.deadPartial) || left(files.deadBeside) || left(files.deadRun)).toBe(false);
    expect(left(files.foreignOld) || left(files.legacyOld)).toBe(false);
    expect(left(files.livePartial) && left(files.foreignFresh)).toBe(true);
    // This process's own marker is there while it runs.
    expect(fs.readdirSync(store.tmpDir).some((n) => n.startsWith(`${HOST_TAG}-${process.pid}-`) && n.endsWith('.owner'))).toBe(true);
  });

  test('sweepTemps (gc) removes abandoned temp files without any marker', () => {
    const { store } = setup();
    const dead = deadPid();
    fs.mkdirSync(store.tmpDir, { recursive: true });
    const partial = path.join(store.tmpDir, `${HOST_TAG}-${dead}-0123abcd-7`);
    fs.writeFileSync(partial, Buffer.alloc(1000));
    expect(store.sweepTemps()).toEqual({ files: 1, bytes: 1000 });
    expect(fs.existsSync(partial)).toBe(false);
  });
});

describe('more of the store', () => {
  test('putBytes of content already stored keeps the existing object and leaves no temp file', () => {
    const { store } = setup();
    const hash = store.putBytes('same');
    const ino = fs.statSync(store.objectPath(hash)).ino;
    expect(store.putBytes(Buffer.from('same'))).toBe(hash);
    expect(fs.statSync(store.objectPath(hash)).ino).toBe(ino);
    expect(fs.readdirSync(path.dirname(store.objectPath(hash)))).toEqual([path.basename(store.objectPath(hash))]);
  });

  test('link mode when the object exists already: the source keeps its own inode and is not made read-only', () => {
    const { dir, store } = setup();
    store.putBytes('twice');
    const src = path.join(dir, 'again.txt');
    fs.writeFileSync(src, 'twice');
    const ino = fs.statSync(src).ino;
    const stored = store.addFileSync(src, fs.statSync(src), { link: true });
    expect(stored).toMatchObject({ hash: hashBytes('twice'), linked: false });
    expect(fs.statSync(src).ino).toBe(ino);
    expect(fs.statSync(src).nlink).toBe(1);
    expect(fs.statSync(src).mode & 0o200).not.toBe(0);
  });

  test('listObjects lists objects only: not temp files, owner markers or stray names', () => {
    const { store } = setup();
    const a = store.putBytes('a');
    const b = store.putBytes('b');
    fs.writeFileSync(`${store.objectPath(a)}.1234-abcd-0.tmp`, 'partial');
    fs.mkdirSync(path.join(store.objectsDir, 'zz'), { recursive: true });
    fs.writeFileSync(path.join(store.objectsDir, 'zz', 'x'.repeat(62)), 'stray');
    fs.writeFileSync(path.join(store.objectsDir, 'README'), 'stray');
    expect([...store.listObjects()].sort()).toEqual([a, b].sort());
  });

  test('hasListed answers from one listing per shard, kept up to date by writes and removals', () => {
    const { store } = setup();
    // Six contents whose hashes share a shard: past the first probes, the shard is listed.
    const same: { content: string; hash: Sha256 }[] = [];
    for (let i = 0; same.length < 6; i++) {
      const hash = hashBytes(`object ${i}`);
      if (hash.startsWith('ab')) same.push({ content: `object ${i}`, hash });
    }
    const [first, second, ...rest] = same as [(typeof same)[0], (typeof same)[0], ...typeof same];
    expect(store.putBytes(first.content)).toBe(first.hash);
    for (const o of rest) expect(store.hasListed(o.hash)).toBe(false);
    expect(store.hasListed(first.hash)).toBe(true);
    expect(store.hasListed(second.hash)).toBe(false);
    expect(store.putBytes(second.content)).toBe(second.hash); // a write after the listing
    expect(store.hasListed(second.hash)).toBe(true);
    store.quarantine(first.hash); // a removal after the listing
    expect(store.hasListed(first.hash)).toBe(false);
    expect(fs.readFileSync(store.objectPath(second.hash), 'utf8')).toBe(second.content);
    // gc and migrate remove objects through the store too: the listing never claims a removed one.
    store.remove(second.hash);
    expect(store.hasListed(second.hash)).toBe(false);
    expect(store.putBytes(second.content)).toBe(second.hash);
    expect(fs.existsSync(store.objectPath(second.hash))).toBe(true);
  });

  test('an empty or missing store lists nothing', () => {
    const { store } = setup();
    expect([...store.listObjects()]).toEqual([]);
  });

  test('a missing directory manifest says how to get it', () => {
    const { store } = setup();
    expect(() => store.readManifest(hashBytes('never stored'))).toThrow(/is not in the cache/);
    let hint: string | undefined;
    try {
      store.readManifest(hashBytes('never stored'));
    } catch (error) {
      hint = (error as MlpError).hint;
    }
    expect(hint).toContain('mlp pull');
  });

  test('checkAsync finds a corrupt large object and removes it', async () => {
    const { store } = setup();
    const hash = store.putBytes(Buffer.alloc(300 * 1024, 1));
    expect(await store.checkAsync(hash)).toBe('ok');
    fs.chmodSync(store.objectPath(hash), 0o644);
    fs.writeFileSync(store.objectPath(hash), Buffer.alloc(300 * 1024, 2));
    expect(await store.checkAsync(hash)).toBe('corrupt');
    expect(store.has(hash)).toBe(false);
  });

  test('an aborted add of a large file stores nothing and says so (exit 130)', async () => {
    const { dir, store } = setup();
    const src = path.join(dir, 'large.bin');
    fs.writeFileSync(src, Buffer.alloc(SYNC_ADD_LIMIT + 1024, 3));
    const controller = new AbortController();
    controller.abort();
    const error = await store.addFile(src, fs.statSync(src), { label: 'large.bin', signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddInterrupted);
    expect((error as AddInterrupted).exitCode).toBe(130);
    expect((error as AddInterrupted).message).toContain('large.bin');
    expect([...store.listObjects()]).toEqual([]);
    expect(fs.readdirSync(store.tmpDir).filter((n) => !n.endsWith('.owner'))).toEqual([]);
  });
});
