/**
 * The repository lock: atomic takeover of a dead holder's lock (many concurrent trials), an
 * empty lock left by a crash is stale, and a dead holder's stage processes are stopped before
 * the next mlp touches anything. Trials: MLP_FAULT_TRIALS (default 3; each trial races 4
 * processes, plus two `mlp repro`).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, makeRepo, read, runMlp, startMlp, tempDir, waitFor } from '../helpers/cli.js';

const TRIALS = Number(process.env.MLP_FAULT_TRIALS ?? 3);
const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function writeDeadLock(tmpDir: string, extra: Record<string, unknown> = {}): void {
  fs.mkdirSync(tmpDir, { recursive: true });
  const info = { pid: deadPid(), host: os.hostname(), command: 'mlp repro', started: '2026-01-01T00:00:00Z', ...extra };
  fs.writeFileSync(path.join(tmpDir, 'lock'), JSON.stringify(info));
}

/**
 * One contender: waits for the common start time, takes the lock, logs `start`, holds it for
 * 150 ms, logs `end`, releases. Exit 5 when the lock is held by another.
 */
const CONTENDER = `
const [lockModule, tmpDir, log, startAt] = process.argv.slice(1);
const { RepoLock } = await import(lockModule);
const fs = await import('node:fs');
while (Date.now() < Number(startAt)) {}
let lock;
try {
  lock = RepoLock.acquire(tmpDir, 'contender', () => {});
} catch (error) {
  process.exit(error.exitCode === 5 ? 5 : 1);
}
fs.appendFileSync(log, 'start ' + process.pid + '\\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
fs.appendFileSync(log, 'end ' + process.pid + '\\n');
lock.release();
`;

function runContenders(tmpDir: string, log: string, n: number): Promise<number[]> {
  const lockModule = path.join(PROJECT_ROOT, 'dist/src/repo/repo-lock.js');
  const startAt = Date.now() + 600; // after every process has started
  return Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', CONTENDER, lockModule, tmpDir, log, String(startAt)], { stdio: 'inherit' });
      return new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    }),
  );
}

/** Whether the holders in `log` ever overlapped (a `start` while another had not ended). */
function overlapped(log: string): boolean {
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  let holding: string | undefined;
  for (const line of lines) {
    const [what, pid] = line.split(' ');
    if (what === 'start') {
      if (holding !== undefined) return true;
      holding = pid;
    } else if (holding === pid) holding = undefined;
  }
  return false;
}

describe('stale-lock takeover', () => {
  test.each([
    ['a dead holder', (tmpDir: string) => writeDeadLock(tmpDir)],
    [
      'an empty lock left by a crash',
      (tmpDir: string) => {
        fs.mkdirSync(tmpDir, { recursive: true });
        fs.writeFileSync(path.join(tmpDir, 'lock'), '');
        const old = new Date(Date.now() - 60000);
        fs.utimesSync(path.join(tmpDir, 'lock'), old, old);
      },
    ],
  ])('with %s, four processes racing never hold the lock together', async (_label, prepare) => {
    const outcomes = { won: 0, locked: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = tempDir('mlp-lock-');
      made.push(dir);
      const tmpDir = path.join(dir, 'tmp');
      prepare(tmpDir);
      const log = path.join(dir, 'holders.log');
      const codes = await runContenders(tmpDir, log, 4);
      expect(overlapped(log)).toBe(false);
      for (const code of codes) expect([0, 5]).toContain(code);
      expect(codes.filter((c) => c === 0).length).toBeGreaterThanOrEqual(1);
      outcomes.won += codes.filter((c) => c === 0).length;
      outcomes.locked += codes.filter((c) => c === 5).length;
      // Nothing is left behind: no lock, no claim, no temp file.
      expect(fs.readdirSync(tmpDir)).toEqual([]);
    }
    process.stderr.write(`lock takeover (${_label}), ${TRIALS} trials × 4 processes: ${JSON.stringify(outcomes)}\n`);
  }, 30000 + TRIALS * 5000);

  test('two `mlp repro` started together with a dead holder’s lock never both run', async () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  s: {cmd: echo start $$ >> holders.log && sleep 0.3 && echo end $$ >> holders.log && touch o, outs: [o], always_changed: true}\n',
    });
    made.push(dir);
    fs.appendFileSync(path.join(dir, '.gitignore'), 'holders.log\n');
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < TRIALS; trial++) {
      writeDeadLock(path.join(dir, '.mlp/tmp'));
      fs.rmSync(path.join(dir, 'holders.log'), { force: true });
      const [a, b] = [startMlp(dir, ['repro']), startMlp(dir, ['repro'])];
      const results = await Promise.all([a.done, b.done]);
      expect(overlapped(path.join(dir, 'holders.log'))).toBe(false);
      for (const r of results) {
        expect([0, 5]).toContain(r.code);
        if (r.code === 5) expect(r.stderr).toContain('another mlp process');
        outcomes[r.code] = (outcomes[r.code] ?? 0) + 1;
      }
      expect(results.some((r) => r.stderr.includes('warning: taking over the repository lock'))).toBe(true);
    }
    process.stderr.write(`two repro with a dead holder's lock, ${TRIALS} trials: exit codes ${JSON.stringify(outcomes)}\n`);
  }, 60000 + TRIALS * 15000);
});

describe('a crashed run', () => {
  test('an empty lock with no live writer is taken over, not an error forever', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: touch o, outs: [o]}\n' });
    made.push(dir);
    const lock = path.join(dir, '.mlp/tmp/lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, ''); // what a crash on a full disk left
    const old = new Date(Date.now() - 60000);
    fs.utimesSync(lock, old, old);
    const result = runMlp(dir, ['repro']);
    expect(result.stderr).toContain('warning: taking over the repository lock left by a process that crashed while writing it (the lock was empty)');
    expect(result.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'o'))).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('the dead holder’s stage processes are stopped before the next mlp touches outputs', async () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  s: {cmd: echo $$ > stage.pid && sleep 4 && echo old > out.txt, outs: [out.txt]}\n',
    });
    made.push(dir);
    fs.appendFileSync(path.join(dir, '.gitignore'), 'stage.pid\n');
    const first = startMlp(dir, ['repro']);
    await waitFor(() => fs.existsSync(path.join(dir, 'stage.pid')) && read(dir, 'stage.pid').trim() !== '');
    const stagePid = Number(read(dir, 'stage.pid').trim());
    // The lock names the stage's process group while it runs (written just after the spawn).
    await waitFor(() => (JSON.parse(read(dir, '.mlp/tmp/lock')) as { stages: number[] }).stages.length > 0);
    expect(JSON.parse(read(dir, '.mlp/tmp/lock')).stages).toEqual([stagePid]);
    first.child.kill('SIGKILL'); // mlp dies; its stage runs on in its own process group
    await first.done;
    expect(() => process.kill(stagePid, 0)).not.toThrow();

    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), 'stages:\n  s: {cmd: echo new > out.txt, outs: [out.txt]}\n');
    const second = runMlp(dir, ['repro']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`stopped its stage processes still running (process group ${stagePid})`);
    expect(() => process.kill(stagePid, 0)).toThrow(); // gone
    // The old stage can no longer overwrite what this run produced.
    await new Promise((r) => setTimeout(r, 4500));
    expect(read(dir, 'out.txt')).toBe('new\n');
  }, 60000);

  test('a live process group that is not the dead run’s is left alone', async () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: touch o, outs: [o]}\n' });
    made.push(dir);
    // An unrelated process group (no MLP_RUN_ID of that run) under a pid the stale lock lists.
    const other = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      writeDeadLock(path.join(dir, '.mlp/tmp'), { id: 'deadbeefdeadbeef', stages: [other.pid] });
      const result = runMlp(dir, ['repro']);
      expect(result.code).toBe(0);
      expect(result.stderr).not.toContain('stopped its stage processes');
      expect(() => process.kill(other.pid as number, 0)).not.toThrow();
    } finally {
      other.kill('SIGKILL');
    }
  });
});
