/**
 * `cache.type: reflink` on a filesystem that has it: a loopback XFS image made with
 * `mkfs.xfs -m reflink=1` (root only; CI installs xfsprogs, .ci/run). The checkout is a
 * copy-on-write clone: no data blocks are written, and an edit of the workspace file in place
 * never reaches the cache object. Where the image cannot be made or mounted (not root, no
 * mkfs.xfs, no loop device), the tests are skipped and say why.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CacheCheckout } from '../../src/cache/checkout.js';
import { ObjectStore, type LinkType } from '../../src/cache/object-store.js';
import { hashFileSync } from '../../src/hash/hash-file.js';
import { PathHasher } from '../../src/hash/hash-path.js';
import { StateCache } from '../../src/hash/state-cache.js';
import { toRepoPath } from '../../src/schema/repo-path.js';
import { tempDir } from '../helpers/cli.js';

const base = tempDir('mlp-reflink-');
const mountPoint = path.join(base, 'xfs');
let mounted = false;

/** Why the XFS image cannot be used here, or undefined when it is mounted. */
function mountXfs(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (mounting a loopback image needs root)';
  const mkfs = ['/usr/sbin/mkfs.xfs', '/sbin/mkfs.xfs'].find((f) => fs.existsSync(f));
  if (!mkfs) return 'mkfs.xfs not found (Debian package xfsprogs)';
  const image = path.join(base, 'xfs.img');
  try {
    fs.writeFileSync(image, '');
    fs.truncateSync(image, 512 * 1024 * 1024); // sparse: XFS needs 300 MB at least
    execFileSync(mkfs, ['-q', '-m', 'reflink=1', image], { stdio: 'pipe' });
    fs.mkdirSync(mountPoint);
    execFileSync('mount', ['-o', 'loop', image, mountPoint], { stdio: 'pipe' });
    mounted = true;
    return undefined;
  } catch (error) {
    return `the loopback XFS image could not be made or mounted: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

const skipReason = mountXfs();
if (skipReason) console.warn(`reflink tests skipped: ${skipReason}`);
const onXfs = skipReason ? test.skip : test;

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint], { stdio: 'pipe' });
  fs.rmSync(base, { recursive: true, force: true });
});

/** Blocks in use on the filesystem of `dir`, in bytes. */
function usedBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

function rig(root: string, types: LinkType[]) {
  fs.mkdirSync(root, { recursive: true });
  const state = StateCache.load(path.join(root, '.mlp/tmp/state.json'));
  const store = new ObjectStore(path.join(root, '.mlp/cache'), () => state);
  return { store, cache: new CacheCheckout(root, store, types, new PathHasher(root, state)) };
}

onXfs('a reflink checkout writes no data blocks, and an edit in place leaves the cache object intact', async () => {
  const root = path.join(mountPoint, 'repo');
  // reflink alone: no copy to fall back on (on XFS a plain copy shares blocks too, through
  // copy_file_range, so the space used could not tell them apart).
  const { store, cache } = rig(root, ['reflink']);
  const size = 64 * 1024 * 1024;
  fs.mkdirSync(path.join(root, 'data'));
  fs.writeFileSync(path.join(root, 'data/big.bin'), randomFillSync(Buffer.alloc(size)));
  const info = await cache.hashAndSave(toRepoPath('data'));
  if (!info) throw new Error('not saved');
  fs.rmSync(path.join(root, 'data'), { recursive: true });
  execFileSync('sync');
  const before = usedBytes(root);
  expect(cache.checkout(toRepoPath('data'), info)).toBe('restored');
  execFileSync('sync');
  // A copy would take 64 MiB more; a clone shares the object's blocks.
  expect(usedBytes(root) - before).toBeLessThan(size / 8);
  const file = path.join(root, 'data/big.bin');
  const objectHash = info.manifest?.[0]?.hash;
  if (!objectHash) throw new Error('no manifest');
  expect(hashFileSync(file)).toBe(objectHash);
  // The workspace file is a separate, writable file; the object stays read-only and whole.
  expect(fs.statSync(file).ino).not.toBe(fs.statSync(store.objectPath(objectHash)).ino);
  expect(fs.statSync(file).mode & 0o200).not.toBe(0);
  expect(fs.statSync(store.objectPath(objectHash)).mode & 0o222).toBe(0);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('edited in place'), 0, 15, 1000);
  fs.closeSync(fd);
  expect(hashFileSync(store.objectPath(objectHash))).toBe(objectHash);
  expect(store.check(objectHash)).toBe('ok');
});

test('where the filesystem has no reflink, [reflink, copy] falls back to a copy', async () => {
  const root = path.join(base, 'plain');
  const { store, cache } = rig(root, ['reflink', 'copy']);
  fs.writeFileSync(path.join(root, 'f.txt'), 'content');
  const info = await cache.hashAndSave(toRepoPath('f.txt'));
  if (!info) throw new Error('not saved');
  fs.rmSync(path.join(root, 'f.txt'));
  expect(cache.checkout(toRepoPath('f.txt'), info)).toBe('restored');
  expect(fs.readFileSync(path.join(root, 'f.txt'), 'utf8')).toBe('content');
  expect(fs.statSync(path.join(root, 'f.txt')).ino).not.toBe(fs.statSync(store.objectPath(info.hash)).ino);
});
