/**
 * Fault injection through the built CLI: mlp is killed (SIGKILL) at random points of `repro -j 2`,
 * `add`, `push`, `pull` and `gc`; an SSH server dies mid-transfer; the disk fills up; objects are
 * corrupted. After every trial the suite checks what mlp guarantees:
 *   - nothing outside the repository (and the remote root) changed;
 *   - no object, locally or on the remote, has content that differs from its name;
 *   - no file with unsaved content was lost;
 *   - the next command succeeds and leaves the workspace consistent.
 * A few trials per scenario by default; MLP_FAULT_TRIALS=n runs n (MLP_FAULT_SEED picks the kill
 * points), and MLP_FAULT_REPORT=file appends one JSON line per trial (for RELIABILITY.md).
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, runMlp, startMlp, tempDir, type RunResult } from '../helpers/cli.js';
import { badObjects, seededRandom, sha256, tempFiles } from '../helpers/invariants.js';
import { snapshotTree, type TreeSnapshot } from '../helpers/tree-snapshot.js';
import { Sshd } from '../helpers/sshd.js';

const TRIALS = Number(process.env.MLP_FAULT_TRIALS ?? 3);
const random = seededRandom(Number(process.env.MLP_FAULT_SEED ?? Date.now() % 100000));

jest.setTimeout(Math.max(120_000, TRIALS * 30_000));

interface TrialRecord {
  scenario: string;
  trial: number;
  killAfterMs: number;
  /** Exit code of the killed command if it finished before the kill, else 'killed'. */
  outcome: number | 'killed';
  /** Exit code of the recovery command. */
  recovery: number;
}

const records: TrialRecord[] = [];
afterAll(() => {
  const file = process.env.MLP_FAULT_REPORT;
  if (file) fs.appendFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
});

/** A world: the repository, a canary directory beside it (must never change) and a local remote. */
interface World {
  top: string;
  repo: string;
  canary: string;
  remote: string;
}

const worlds: string[] = [];
afterAll(() => {
  for (const w of worlds) fs.rmSync(w, { recursive: true, force: true });
});

function world(files: Record<string, string> = {}): World {
  const repo = makeRepo(files);
  const top = path.dirname(repo);
  // makeRepo gives a fresh temp dir; put the canary and remote in a second temp dir next to it.
  const side = tempDir('mlp-fault-');
  worlds.push(repo, side);
  const canary = path.join(side, 'canary');
  fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(canary, 'victim.txt'), 'do not touch\n');
  fs.writeFileSync(path.join(canary, 'sub', 'deep.bin'), Buffer.alloc(1000, 7));
  const remote = path.join(side, 'remote');
  fs.mkdirSync(remote);
  expect(runMlp(repo, ['remote', 'add', '-d', 'origin', remote]).code).toBe(0);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'remote');
  return { top, repo, canary, remote };
}

/** Runs `args`, kills it with SIGKILL after `ms` (if still running), returns how it ended. */
async function killAfter(cwd: string, args: string[], ms: number): Promise<number | 'killed'> {
  const { child, done } = startMlp(cwd, args);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const result: RunResult = await done;
  clearTimeout(timer);
  return child.signalCode === 'SIGKILL' ? 'killed' : result.code;
}

/** Wall time of one uninterrupted run, to spread kill points over it. */
function timed(cwd: string, args: string[]): { ms: number; result: RunResult } {
  const start = Date.now();
  const result = runMlp(cwd, args);
  return { ms: Date.now() - start, result };
}

function expectOk(result: RunResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
}

function expectIntact(w: World, canaryBefore: TreeSnapshot): void {
  expect(snapshotTree(w.canary)).toEqual(canaryBefore);
  expect(badObjects(path.join(w.repo, '.mlp/cache'))).toEqual([]);
  expect(badObjects(w.remote)).toEqual([]);
}

/** Writes `n` files of varied sizes under `dir`. */
function dataFiles(dir: string, n: number, seed: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`${dir}/f${i}.txt`] = `${seed} ${i}\n`.repeat(1 + ((i * 37) % 400));
  return files;
}

/** Data files only (content, not mode): pointer files and .gitignore are mlp's own bookkeeping. */
function dataOnly(tree: TreeSnapshot): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree)
      .filter(([p, e]) => e.startsWith('file ') && !p.endsWith('.mlp') && !p.endsWith('.gitignore'))
      .map(([p, e]) => [p, e.split(' ')[2] ?? '']),
  );
}

function writeAll(root: string, files: Record<string, string>): void {
  for (const [f, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), c);
  }
}

function bigFile(abs: string, mib: number, seed: number): void {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  const fd = fs.openSync(abs, 'w');
  for (let i = 0; i < mib; i++) {
    block.writeUInt32LE(i, 0);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
}

const PIPELINE = `
stages:
  gen_a:
    cmd: mkdir -p out/a && for i in $(seq 1 40); do echo "a $i" > out/a/f$i.txt; done && sleep 0.2
    deps: [seed.txt]
    outs: [out/a]
  gen_b:
    cmd: head -c 3000000 /dev/zero | tr '\\0' b > out/b.bin && sleep 0.2
    deps: [seed.txt]
    outs: [out/b.bin]
  join:
    cmd: cat out/a/f1.txt out/b.bin > out/join.bin && sleep 0.1
    deps: [out/a, out/b.bin]
    outs: [out/join.bin]
  report:
    cmd: wc -c out/join.bin > out/report.txt
    deps: [out/join.bin]
    outs: [out/report.txt]
`;

describe('kill -9 at random points', () => {
  test('repro -j 2', async () => {
    const w = world({ 'seed.txt': 'seed\n', 'pipeline.yaml': PIPELINE }); // deps: a stage without deps always reruns
    const canary = snapshotTree(w.canary);
    const { ms } = timed(w.repo, ['repro', '-j', '2', '-f']);
    for (let trial = 0; trial < TRIALS; trial++) {
      const at = random(Math.max(ms, 50));
      const outcome = await killAfter(w.repo, ['repro', '-j', '2', '-f'], at);
      // The killed run's stage processes may still be running: the next mlp must cope.
      const next = runMlp(w.repo, ['repro', '-j', '2']);
      records.push({ scenario: 'repro -j 2', trial, killAfterMs: at, outcome, recovery: next.code });
      expectOk(next, `repro after kill at ${at} ms`);
      expect(runMlp(w.repo, ['status']).stdout).toContain('up to date');
      expectIntact(w, canary);
      expect(tempFiles(path.join(w.repo, '.mlp/cache'))).toEqual([]);
    }
  });

  test('add of many files and a large file', async () => {
    const w = world();
    const canary = snapshotTree(w.canary);
    writeAll(w.repo, dataFiles('data/many', 400, 'x'));
    bigFile(path.join(w.repo, 'data/big.bin'), 40, 1);
    const source = snapshotTree(path.join(w.repo, 'data'));
    const { ms } = timed(w.repo, ['add', 'data/many', 'data/big.bin']);
    for (let trial = 0; trial < TRIALS; trial++) {
      fs.rmSync(path.join(w.repo, '.mlp/cache'), { recursive: true, force: true });
      fs.rmSync(path.join(w.repo, '.mlp/tmp'), { recursive: true, force: true });
      const at = random(Math.max(ms, 50));
      const outcome = await killAfter(w.repo, ['add', 'data/many', 'data/big.bin'], at);
      // add never changes the data it records.
      expect(dataOnly(snapshotTree(path.join(w.repo, 'data')))).toEqual(dataOnly(source));
      const next = runMlp(w.repo, ['add', 'data/many', 'data/big.bin']);
      records.push({ scenario: 'add', trial, killAfterMs: at, outcome, recovery: next.code });
      expectOk(next, `add after kill at ${at} ms`);
      expectIntact(w, canary);
      expect(runMlp(w.repo, ['status']).stdout).toContain('up to date');
      // What was recorded can be restored byte for byte.
      fs.rmSync(path.join(w.repo, 'data/many'), { recursive: true });
      expectOk(runMlp(w.repo, ['checkout']), 'checkout');
      expect(dataOnly(snapshotTree(path.join(w.repo, 'data')))).toEqual(dataOnly(source));
    }
  });

  test('push and pull', async () => {
    const w = world();
    const canary = snapshotTree(w.canary);
    writeAll(w.repo, dataFiles('data/many', 300, 'y'));
    bigFile(path.join(w.repo, 'data/big.bin'), 24, 2);
    expectOk(runMlp(w.repo, ['add', 'data/many', 'data/big.bin']), 'add');
    git(w.repo, 'add', '-A');
    git(w.repo, 'commit', '-qm', 'data');
    const pushTime = timed(w.repo, ['push']).ms;
    const expected = snapshotTree(path.join(w.repo, 'data'));

    for (let trial = 0; trial < TRIALS; trial++) {
      fs.rmSync(w.remote, { recursive: true, force: true });
      fs.mkdirSync(w.remote);
      const at = random(Math.max(pushTime, 50));
      const outcome = await killAfter(w.repo, ['push'], at);
      expectIntact(w, canary);
      const next = runMlp(w.repo, ['push']);
      records.push({ scenario: 'push', trial, killAfterMs: at, outcome, recovery: next.code });
      expectOk(next, `push after kill at ${at} ms`);
      expect(badObjects(w.remote)).toEqual([]);
      expect(tempFiles(w.remote)).toEqual([]);
    }

    const clone = path.join(tempDir('mlp-fault-clone-'), 'repo');
    worlds.push(path.dirname(clone));
    git(path.dirname(clone), 'clone', '-q', w.repo, clone);
    const pullTime = timed(clone, ['pull']).ms;
    for (let trial = 0; trial < TRIALS; trial++) {
      fs.rmSync(path.join(clone, '.mlp/cache'), { recursive: true, force: true });
      fs.rmSync(path.join(clone, 'data/many'), { recursive: true, force: true });
      fs.rmSync(path.join(clone, 'data/big.bin'), { force: true });
      const at = random(Math.max(pullTime, 50));
      const outcome = await killAfter(clone, ['pull'], at);
      expect(badObjects(path.join(clone, '.mlp/cache'))).toEqual([]);
      const next = runMlp(clone, ['pull']);
      records.push({ scenario: 'pull', trial, killAfterMs: at, outcome, recovery: next.code });
      expectOk(next, `pull after kill at ${at} ms`);
      expect(dataOnly(snapshotTree(path.join(clone, 'data')))).toEqual(dataOnly(expected));
      expect(tempFiles(path.join(clone, '.mlp/cache'))).toEqual([]);
      expectIntact(w, canary);
    }
  });

  test('gc', async () => {
    const w = world();
    const canary = snapshotTree(w.canary);
    for (let version = 0; version < 3; version++) {
      writeAll(w.repo, dataFiles('data/many', 200, `v${version}`));
      expectOk(runMlp(w.repo, ['add', 'data/many']), 'add');
      git(w.repo, 'add', '-A');
      git(w.repo, 'commit', '-qm', `v${version}`);
    }
    const expected = snapshotTree(path.join(w.repo, 'data/many'));
    for (let trial = 0; trial < TRIALS; trial++) {
      const at = random(200);
      const outcome = await killAfter(w.repo, ['gc', '-w', '-f'], at);
      expectIntact(w, canary);
      const next = runMlp(w.repo, ['gc', '-w', '-f']);
      records.push({ scenario: 'gc', trial, killAfterMs: at, outcome, recovery: next.code });
      expectOk(next, `gc after kill at ${at} ms`);
      fs.rmSync(path.join(w.repo, 'data/many'), { recursive: true });
      expectOk(runMlp(w.repo, ['checkout']), 'checkout after gc');
      expect(dataOnly(snapshotTree(path.join(w.repo, 'data/many')))).toEqual(dataOnly(expected));
    }
  });
});

describe('SSH server killed mid-transfer', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await Sshd.start();
  });
  afterAll(() => sshd?.stop());

  test('push and pull end non-zero, keep only good objects, and the next run completes', async () => {
    const w = world();
    const canary = snapshotTree(w.canary);
    const remote = sshd.remoteDir();
    worlds.push(remote);
    expectOk(runMlp(w.repo, ['remote', 'add', '-f', '-d', 'ssh', sshd.url(remote)]), 'remote add');
    expectOk(runMlp(w.repo, ['remote', 'modify', '--local', 'ssh', 'key_file', sshd.clientKey]), 'key');
    expectOk(runMlp(w.repo, ['remote', 'modify', '--local', 'ssh', 'known_hosts', sshd.knownHosts]), 'known_hosts');
    writeAll(w.repo, dataFiles('data/many', 300, 'z'));
    bigFile(path.join(w.repo, 'data/big.bin'), 16, 3);
    expectOk(runMlp(w.repo, ['add', 'data/many', 'data/big.bin']), 'add');
    git(w.repo, 'add', '-A');
    git(w.repo, 'commit', '-qm', 'data');
    const pushTime = timed(w.repo, ['push']).ms;
    for (let trial = 0; trial < TRIALS; trial++) {
      fs.rmSync(remote, { recursive: true, force: true });
      fs.mkdirSync(remote);
      const at = 20 + random(Math.max(pushTime, 50));
      const { child, done } = startMlp(w.repo, ['push']);
      const timer = setTimeout(() => sshd.kill(), at);
      const result = await done;
      clearTimeout(timer);
      const killed = !child.signalCode && result.code !== 0;
      // Either it finished before the server died, or it says the connection was lost.
      if (result.code !== 0) expect(result.stderr).toMatch(/error: .*(connection|SSH|ssh)/);
      await sshd.restart();
      expect(badObjects(remote)).toEqual([]);
      expect(fs.existsSync(path.join(w.repo, '.mlp/tmp/lock'))).toBe(false);
      const next = runMlp(w.repo, ['push']);
      records.push({ scenario: 'ssh push, server killed', trial, killAfterMs: at, outcome: killed ? result.code : 0, recovery: next.code });
      expectOk(next, `push after server kill at ${at} ms`);
      expect(badObjects(remote)).toEqual([]);
      expectIntact(w, canary);
    }
  });
});

describe('full disk', () => {
  const mountPoint = path.join(tempDir('mlp-fault-disk-'), 'disk');
  let mounted = false;
  beforeAll(() => {
    fs.mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint], { stdio: 'ignore' });
      mounted = true;
    } catch {
      // Not root, or no mount permission in this container.
      console.warn(`full-disk tests skipped: cannot mount a small tmpfs at ${mountPoint} (needs root)`);
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [mountPoint]);
    fs.rmSync(path.dirname(mountPoint), { recursive: true, force: true });
  });

  test('add and repro on a full disk fail with the path and a hint, lose nothing, and work once space is freed', () => {
    if (!mounted) return;
    const repo = path.join(mountPoint, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    expectOk(runMlp(repo, ['init']), 'init');
    // 9 MiB of data + 9 MiB in the cache would fit; 14 MiB + 14 MiB does not.
    bigFile(path.join(repo, 'big.bin'), 14, 4);
    const before = sha256(fs.readFileSync(path.join(repo, 'big.bin')));
    const full = runMlp(repo, ['add', 'big.bin']);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/no space left/i);
    expect(full.stderr).toContain('hint:');
    expect(full.stderr).not.toMatch(/ENOSPC:|at .*\.js:\d+/); // no raw errno line or stack
    expect(sha256(fs.readFileSync(path.join(repo, 'big.bin')))).toBe(before);
    expect(badObjects(path.join(repo, '.mlp/cache'))).toEqual([]);
    expect(tempFiles(path.join(repo, '.mlp/cache'))).toEqual([]);
    // Free space: a smaller file now fits.
    fs.rmSync(path.join(repo, 'big.bin'));
    bigFile(path.join(repo, 'small.bin'), 4, 5);
    expectOk(runMlp(repo, ['add', 'small.bin']), 'add after freeing space');
    expect(badObjects(path.join(repo, '.mlp/cache'))).toEqual([]);

    fs.writeFileSync(path.join(repo, 'pipeline.yaml'), "stages:\n  fill: {cmd: head -c 12000000 /dev/zero > out.bin, outs: [out.bin]}\n");
    const repro = runMlp(repo, ['repro']);
    expect(repro.code).not.toBe(0);
    expect(repro.stderr + repro.stdout).toMatch(/no space left/i);
    expect(badObjects(path.join(repo, '.mlp/cache'))).toEqual([]);
    expect(tempFiles(path.join(repo, '.mlp/cache'))).toEqual([]);
  });
});

describe('corrupted objects', () => {
  test('a flipped byte or a truncated object is never pushed, and checkout quarantines it', () => {
    const w = world();
    writeAll(w.repo, { 'data/a.txt': 'alpha\n'.repeat(100), 'data/b.txt': 'beta\n'.repeat(100) });
    expectOk(runMlp(w.repo, ['add', 'data/a.txt', 'data/b.txt']), 'add');
    const objects = path.join(w.repo, '.mlp/cache/files/sha256');
    const hashA = sha256('alpha\n'.repeat(100));
    const hashB = sha256('beta\n'.repeat(100));
    const objA = path.join(objects, hashA.slice(0, 2), hashA.slice(2));
    const objB = path.join(objects, hashB.slice(0, 2), hashB.slice(2));
    fs.chmodSync(objA, 0o644);
    const bytes = fs.readFileSync(objA);
    bytes[3] = (bytes[3] ?? 0) ^ 0xff;
    fs.writeFileSync(objA, bytes);
    fs.chmodSync(objB, 0o644);
    fs.truncateSync(objB, 10);
    const pushed = runMlp(w.repo, ['push']);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/corrupt/i);
    expect(badObjects(w.remote)).toEqual([]);
    expect(fs.existsSync(path.join(w.remote, 'files/sha256', hashA.slice(0, 2), hashA.slice(2)))).toBe(false);
    // The bad local objects are gone, so nothing can spread them later.
    expect(badObjects(path.join(w.repo, '.mlp/cache'))).toEqual([]);
  });
});

describe('concurrent processes', () => {
  test('several repro processes at once: each stage runs once, the lock is consistent', async () => {
    const w = world({ 'pipeline.yaml': 'stages:\n  once: {cmd: echo run >> runs.log && sleep 0.3 && echo done > o.txt, outs: [o.txt]}\n' });
    for (let trial = 0; trial < TRIALS; trial++) {
      fs.writeFileSync(path.join(w.repo, 'runs.log'), '');
      fs.rmSync(path.join(w.repo, 'o.txt'), { force: true });
      const runs = Array.from({ length: 4 }, () => startMlp(w.repo, ['repro', '--no-run-cache', '-f']));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) expect([0, 5]).toContain(r.code); // ran, or told another mlp holds the lock
      const ran = results.filter((r) => r.code === 0).length;
      expect(fs.readFileSync(path.join(w.repo, 'runs.log'), 'utf8').split('\n').filter(Boolean).length).toBe(ran);
      records.push({ scenario: 'concurrent repro ×4', trial, killAfterMs: 0, outcome: ran, recovery: 0 });
      expectOk(runMlp(w.repo, ['status']), 'status');
    }
  });
});
