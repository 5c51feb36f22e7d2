/** The transfer engine with a stub backend, for failures a real server cannot produce on demand. */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { RemoteBackend } from '../../src/remote/backend.js';

// version.ts finds package.json relative to dist/; from the sources it would look one level too high.
jest.unstable_mockModule('../../src/version.js', () => ({ mlpVersion: () => 'test' }));
const { MlpError } = await import('../../src/errors.js');
const { Repo } = await import('../../src/repo/repo.js');
const { LocalBackend } = await import('../../src/remote/local.js');
const { fetch, push } = await import('../../src/remote/transfer.js');
const { fingerprint, verifyHostKey } = await import('../../src/remote/known-hosts.js');
const { ObjectStore } = await import('../../src/cache/object-store.js');
const { CacheObjectDb } = await import('../../src/cache/cache-odb.js');
const { transfer } = await import('../../src/objects/transfer.js');
const { hashBytes } = await import('../../src/hash/hash-file.js');
import { tempDir } from '../helpers/cli.js';
import { cacheObjects, cloneWithoutData, repoWithData } from './fixtures.js';

function leftovers(dir: string): string[] {
  const base = path.join(dir, '.mlp/cache/files/sha256');
  if (!fs.existsSync(base)) return [];
  return fs.readdirSync(base).flatMap((p) => fs.readdirSync(path.join(base, p)).filter((f) => f.length !== 62));
}

describe('transfer engine', () => {
  test('disk full while fetching: one-line cause and hint, no partial objects in the cache', async () => {
    const dir = repoWithData();
    const remoteRoot = tempDir('mlp-engine-remote-');
    const source = new Repo(dir);
    await push(source, new LocalBackend(remoteRoot, remoteRoot), []);
    source.close();

    const clone = cloneWithoutData(dir);
    const real = new LocalBackend(remoteRoot, remoteRoot);
    let calls = 0;
    const full: RemoteBackend = {
      label: 'stub',
      defaultJobs: 4,
      list: (d) => real.list(d),
      exists: (k) => real.exists(k),
      listFiles: (d) => real.listFiles(d),
      remove: (k) => real.remove(k),
      put: (...a) => real.put(...a),
      sweepTemps: (d) => real.sweepTemps(d),
      close: async () => {},
      async get(key, dest, size, progress) {
        if (++calls > 5) {
          fs.writeFileSync(dest, 'half'); // a partial write, then the disk is full
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        return real.get(key, dest, size, progress);
      },
    };
    const repo = new Repo(clone);
    let error: unknown;
    try {
      await fetch(repo, full, [], { jobs: 2 });
    } catch (e) {
      error = e;
    } finally {
      repo.close();
    }
    expect(error).toBeInstanceOf(MlpError);
    expect((error as InstanceType<typeof MlpError>).message).toBe(`no space left on the local disk while writing to the cache ${path.join(clone, '.mlp/cache')}`);
    expect((error as InstanceType<typeof MlpError>).hint).toContain('free disk space');
    expect(leftovers(clone)).toEqual([]);
    const kept = cacheObjects(clone);
    expect(kept.length).toBeGreaterThan(0);
    // What was fetched is complete and verified; rerunning finishes the job.
    const again = new Repo(clone);
    const summary = await fetch(again, real, []);
    again.close();
    expect(summary.failures).toEqual([]);
    expect(summary.upToDate).toBe(kept.length);
    expect(cacheObjects(clone)).toEqual(cacheObjects(dir));
  });

  test("a bulk copy between two databases on this machine writes each object's verified bytes to its extra places too", async () => {
    const base = tempDir('mlp-engine-also-');
    try {
      const from = new ObjectStore(path.join(base, 'from'));
      const to = new ObjectStore(path.join(base, 'to'));
      const items = Array.from({ length: 2100 }, (_, i) => {
        const data = `object ${i}\n`;
        return { hash: from.putBytes(data), size: data.length, path: `f${i}` };
      });
      const damaged = items[7] as (typeof items)[number];
      fs.chmodSync(from.objectPath(damaged.hash), 0o644);
      fs.writeFileSync(from.objectPath(damaged.hash), 'object 7 damaged\n');
      fs.mkdirSync(path.join(base, 'out'));
      const place = (i: number): string => path.join(base, 'out', `f${i}`);
      const destinations = new Map(items.map((o, i) => [o.hash, [place(i)]]));
      const heard = new Map<string, number>();
      const result = await transfer(new CacheObjectDb(from), new CacheObjectDb(to), items, {
        jobs: 4,
        also: { destinations, written: (dest, stat) => heard.set(dest, stat.ino) },
      });
      expect(result.failed.map((f) => f.item.hash)).toEqual([damaged.hash]);
      expect(heard.size).toBe(2099);
      items.forEach((o, i) => {
        if (o === damaged) {
          expect(fs.existsSync(place(i))).toBe(false); // damaged bytes go nowhere
          expect(to.has(o.hash)).toBe(false);
          return;
        }
        expect(hashBytes(fs.readFileSync(place(i)))).toBe(o.hash);
        expect(heard.get(place(i))).toBe(fs.statSync(place(i)).ino);
        expect(fs.statSync(place(i)).mode & 0o777).toBe(0o644);
        expect(to.has(o.hash)).toBe(true);
      });
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('one by one (large objects, few objects), the extra places are kernel copies, reported only for a verified object', async () => {
    const base = tempDir('mlp-engine-also-');
    try {
      const from = new ObjectStore(path.join(base, 'from'));
      const to = new ObjectStore(path.join(base, 'to'));
      const contents = ['small\n', 'x'.repeat(300 * 1024), 'damaged\n'];
      const items = contents.map((data, i) => ({ hash: from.putBytes(data), size: data.length, path: `f${i}` }));
      const damaged = items[2] as (typeof items)[number];
      fs.chmodSync(from.objectPath(damaged.hash), 0o644);
      fs.writeFileSync(from.objectPath(damaged.hash), 'other!!\n');
      fs.mkdirSync(path.join(base, 'out'));
      const place = (i: number): string => path.join(base, 'out', `f${i}`);
      const heard = new Set<string>();
      const result = await transfer(new CacheObjectDb(from), new CacheObjectDb(to), items, {
        jobs: 4,
        also: { destinations: new Map(items.map((o, i) => [o.hash, [place(i)]])), written: (dest) => heard.add(dest) },
      });
      expect(result.failed.map((f) => f.item.hash)).toEqual([damaged.hash]);
      expect([...heard].sort()).toEqual([place(0), place(1)]);
      expect(fs.readFileSync(place(0), 'utf8')).toBe(contents[0]);
      expect(fs.readFileSync(place(1), 'utf8')).toBe(contents[1]);
      expect(fs.existsSync(place(2))).toBe(false); // copied alongside, then removed: the object was damaged
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('known_hosts: plain, hashed, [host]:port, changed and unknown keys', () => {
    const dir = tempDir('mlp-kh-');
    const key = (seed: number): Buffer => {
      const type = Buffer.from('ssh-ed25519');
      const body = Buffer.alloc(32, seed);
      const b = Buffer.alloc(4 + type.length + 4 + body.length);
      b.writeUInt32BE(type.length, 0);
      type.copy(b, 4);
      b.writeUInt32BE(32, 4 + type.length);
      body.copy(b, 8 + type.length);
      return b;
    };
    const k1 = key(1);
    const k2 = key(2);
    const file = path.join(dir, 'known_hosts');
    const salt = Buffer.alloc(20, 7);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('hashed.example').digest('base64')}`;
    fs.writeFileSync(
      file,
      [`# comment`, `plain.example,other.example ssh-ed25519 ${k1.toString('base64')}`, `[ported.example]:2222 ssh-ed25519 ${k1.toString('base64')}`, `${hashed} ssh-ed25519 ${k1.toString('base64')}`, ''].join('\n'),
    );
    expect(verifyHostKey([file], 'plain.example', 22, k1).kind).toBe('known');
    expect(verifyHostKey([file], 'other.example', 22, k1).kind).toBe('known');
    expect(verifyHostKey([file], 'ported.example', 2222, k1).kind).toBe('known');
    expect(verifyHostKey([file], 'ported.example', 22, k1).kind).toBe('unknown');
    expect(verifyHostKey([file], 'hashed.example', 22, k1).kind).toBe('known');
    expect(verifyHostKey([file], 'plain.example', 22, k2)).toEqual({ kind: 'changed', file, line: 2 });
    expect(verifyHostKey([file], 'new.example', 22, k1).kind).toBe('unknown');
    expect(fingerprint(k1)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
