/**
 * Bulk file work on worker threads (src/util/bulk.ts), on the built code: `mlp add` of thousands
 * of files and the checkout of a new directory give what one thread gives, the work really is
 * shared, and the guarantees hold when it is — no object under a hash its bytes do not have, a
 * damaged or missing object stops a checkout with the workspace untouched, what a killed checkout
 * left is swept.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashBytes } from '../../src/hash/hash-file.js';
import { PROJECT_ROOT, makeRepo, runMlp } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A repository with `n` small files of distinct content in `data/d` (a third in a subdirectory). */
function repoWithFiles(n: number): string {
  const repo = makeRepo();
  dirs.push(repo);
  fs.mkdirSync(path.join(repo, 'data/d/sub'), { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(repo, 'data/d', i % 3 ? '' : 'sub', `f${i}.txt`), `file ${i}\n`);
  return repo;
}

function pointerHash(repo: string): string {
  return /sha256: ([0-9a-f]{64})/.exec(fs.readFileSync(path.join(repo, 'data/d.mlp'), 'utf8'))?.[1] as string;
}

/** Object `hash` in a cache or a local remote (`where`: the repository or the remote's root). */
function objectPath(where: string, hash: string): string {
  const base = fs.existsSync(path.join(where, '.mlp')) ? path.join(where, '.mlp/cache') : where;
  return path.join(base, 'files/sha256', hash.slice(0, 2), hash.slice(2));
}

/** Every object in the cache (or local remote) has the content its name says, and no temp file is left. */
function expectCacheSound(where: string): void {
  const objects = path.join(fs.existsSync(path.join(where, '.mlp')) ? path.join(where, '.mlp/cache') : where, 'files/sha256');
  let count = 0;
  for (const shard of fs.readdirSync(objects)) {
    for (const name of fs.readdirSync(path.join(objects, shard))) {
      expect(name).toMatch(/^[0-9a-f]{62}$/);
      expect(hashBytes(fs.readFileSync(path.join(objects, shard, name)))).toBe(shard + name);
      count++;
    }
  }
  expect(count).toBeGreaterThan(0);
}

const N = 2100; // above BULK_MIN (2000): worker threads start

describe('bulk work on worker threads', () => {
  test('add with two threads stores what one thread stores; a new directory checks out the same', () => {
    const one = repoWithFiles(N);
    const two = repoWithFiles(N);
    expect(runMlp(one, ['add', 'data/d'], { MLP_THREADS: '1' }).code).toBe(0);
    expect(runMlp(two, ['add', 'data/d'], { MLP_THREADS: '2' }).code).toBe(0);
    expect(pointerHash(two)).toBe(pointerHash(one));
    expectCacheSound(two);
    expect(runMlp(two, ['status']).stdout).toMatch(/up to date/);

    fs.renameSync(path.join(two, 'data/d'), path.join(two, 'data/before'));
    const out = runMlp(two, ['checkout'], { MLP_THREADS: '2' });
    expect(out.code).toBe(0);
    expect(execFileSync('diff', ['-r', 'data/before', 'data/d'], { cwd: two, encoding: 'utf8' })).toBe('');
    // Written in place whole: no build directory is left beside it, and the files are writable copies.
    expect(fs.readdirSync(path.join(two, 'data')).filter((n) => n.startsWith('.d.'))).toEqual([]);
    expect(fs.statSync(path.join(two, 'data/d/f1.txt')).mode & 0o777).toBe(0o644);
    // The hash state knows every file written: status reads none of them.
    expect(runMlp(two, ['status']).stdout).toMatch(/up to date/);
  });

  test('the work is shared: a worker thread does part of it, each item exactly once, results in item order', () => {
    // A work module whose items take 1 ms each: the worker joins in after its start-up whatever
    // the machine's speed, and every result says which thread made it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bulk-work-'));
    dirs.push(dir);
    fs.writeFileSync(
      path.join(dir, 'slow-work.mjs'),
      `import { threadId } from 'node:worker_threads';
       export function bulkItem(ms, item) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); return { twice: item * 2, threadId }; }`,
    );
    const script = `
      import { pathToFileURL } from 'node:url';
      import { runBulk } from ${JSON.stringify(path.join(PROJECT_ROOT, 'dist/src/util/bulk.js'))};
      const module = pathToFileURL(${JSON.stringify(path.join(dir, 'slow-work.mjs'))}).href;
      const { bulkItem } = await import(module);
      const items = Array.from({ length: 3000 }, (_, i) => i);
      let byWorker = 0;
      const results = runBulk({ module, context: 1, run: bulkItem }, items, (from, to, worker) => { if (worker) byWorker += to - from; });
      console.log(JSON.stringify({ byWorker, results }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, MLP_THREADS: '2' } })) as {
      byWorker: number;
      results: { twice: number; threadId: number }[];
    };
    expect(out.results.map((r) => r.twice)).toEqual(Array.from({ length: 3000 }, (_, i) => i * 2));
    const byThread = out.results.filter((r) => r.threadId !== 0).length;
    expect(out.byWorker).toBe(byThread);
    expect(byThread).toBeGreaterThan(0);
    expect(byThread).toBeLessThan(3000);
  });

  test('a damaged or missing object stops the checkout of a new directory: nothing is left in the workspace', () => {
    const repo = repoWithFiles(N);
    expect(runMlp(repo, ['add', 'data/d']).code).toBe(0);
    fs.renameSync(path.join(repo, 'data/d'), path.join(repo, 'data/before'));
    // One object damaged (a worker may be the one that reads it), one gone.
    const damaged = hashBytes('file 2001\n');
    fs.chmodSync(objectPath(repo, damaged), 0o644);
    fs.writeFileSync(objectPath(repo, damaged), 'file 2001 with other bytes\n');
    let out = runMlp(repo, ['checkout', 'data/d.mlp'], { MLP_THREADS: '2' });
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/corrupted/);
    expect(fs.existsSync(path.join(repo, 'data/d'))).toBe(false);
    expect(fs.readdirSync(path.join(repo, 'data')).filter((n) => n.startsWith('.d.'))).toEqual([]);
    expect(fs.existsSync(objectPath(repo, damaged))).toBe(false); // quarantined, not used

    fs.writeFileSync(path.join(repo, 'restore.txt'), 'file 2001\n');
    expect(runMlp(repo, ['add', 'restore.txt']).code).toBe(0); // the object is back
    fs.rmSync(objectPath(repo, hashBytes('file 7\n')), { force: true });
    out = runMlp(repo, ['checkout', 'data/d.mlp'], { MLP_THREADS: '2' });
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/not in the cache/);
    expect(fs.existsSync(path.join(repo, 'data/d'))).toBe(false);
    expect(fs.readdirSync(path.join(repo, 'data')).filter((n) => n.startsWith('.d.'))).toEqual([]);
  });

  test('push and pull between the cache and a local remote in bulk: a damaged object is reported and never copied', () => {
    const repo = repoWithFiles(N);
    const remote = path.join(repo, '..', `${path.basename(repo)}-remote`);
    dirs.push(remote);
    expect(runMlp(repo, ['add', 'data/d']).code).toBe(0);
    expect(runMlp(repo, ['remote', 'add', '-d', 'r', remote]).code).toBe(0);
    const damaged = hashBytes('file 1500\n');
    fs.chmodSync(objectPath(repo, damaged), 0o644);
    fs.writeFileSync(objectPath(repo, damaged), 'file 1500 with other bytes\n');
    let out = runMlp(repo, ['push'], { MLP_THREADS: '2' });
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/corrupted/);
    expect(fs.existsSync(objectPath(repo, damaged))).toBe(false); // quarantined in the cache
    expect(fs.existsSync(objectPath(remote, damaged))).toBe(false); // and not sent
    expectCacheSound(remote);
    // The directory's manifest is sent only once all its files are there.
    expect(fs.existsSync(objectPath(remote, pointerHash(repo)))).toBe(false);

    fs.writeFileSync(path.join(repo, 'restore.txt'), 'file 1500\n');
    expect(runMlp(repo, ['add', 'restore.txt']).code).toBe(0);
    expect(runMlp(repo, ['push'], { MLP_THREADS: '2' }).code).toBe(0);
    expect(fs.existsSync(objectPath(remote, pointerHash(repo)))).toBe(true);

    // Pull into an empty cache and workspace, with one object damaged on the remote.
    const remoteDamaged = hashBytes('file 42\n');
    fs.chmodSync(objectPath(remote, remoteDamaged), 0o644);
    fs.writeFileSync(objectPath(remote, remoteDamaged), 'file 42 with other bytes\n');
    fs.rmSync(path.join(repo, '.mlp/cache'), { recursive: true });
    fs.rmSync(path.join(repo, 'data/d'), { recursive: true });
    out = runMlp(repo, ['pull'], { MLP_THREADS: '2' });
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/corrupted/);
    expect(fs.existsSync(objectPath(repo, remoteDamaged))).toBe(false); // not stored
    expect(fs.existsSync(objectPath(remote, remoteDamaged))).toBe(true); // a remote object is reported, not deleted
    expectCacheSound(repo);
    expect(fs.existsSync(path.join(repo, 'data/d'))).toBe(false); // incomplete: not checked out
    // The directory the fetch had started writing is gone too.
    expect(fs.readdirSync(path.join(repo, 'data')).filter((n) => n.startsWith('.d.'))).toEqual([]);

    // Repaired, into an empty cache again: the pull writes the workspace from the bytes it fetches.
    fs.writeFileSync(objectPath(remote, remoteDamaged), 'file 42\n');
    fs.rmSync(path.join(repo, '.mlp/cache'), { recursive: true });
    out = runMlp(repo, ['pull'], { MLP_THREADS: '2' });
    expect(out.code).toBe(0);
    for (const i of [0, 42, 1500, 2099]) expect(fs.readFileSync(path.join(repo, 'data/d', i % 3 ? '' : 'sub', `f${i}.txt`), 'utf8')).toBe(`file ${i}\n`);
    expect(fs.readdirSync(path.join(repo, 'data')).filter((n) => n.startsWith('.d.'))).toEqual([]);
    expect(runMlp(repo, ['status']).stdout).toMatch(/up to date/);
    expectCacheSound(repo);
  });

  test('what a killed checkout left beside the directory is removed by the next one; a live owner’s is not', () => {
    const repo = repoWithFiles(10);
    expect(runMlp(repo, ['add', 'data/d']).code).toBe(0);
    fs.rmSync(path.join(repo, 'data/d'), { recursive: true });
    const host = execFileSync(process.execPath, ['-e', `import('${path.join(PROJECT_ROOT, 'dist/src/util/temp-files.js')}').then((m) => console.log(m.HOST_TAG))`], {
      encoding: 'utf8',
    }).trim();
    const dead = path.join(repo, 'data', `.d.tmp.${host}-999999-0badc0de`);
    const live = path.join(repo, 'data', `.d.tmp.${host}-${process.pid}-0badc0de`);
    for (const dir of [dead, live]) {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'f1.txt'), 'half');
    }
    expect(runMlp(repo, ['checkout']).code).toBe(0);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.readFileSync(path.join(repo, 'data/d/f1.txt'), 'utf8')).toBe('file 1\n');
  });
});
