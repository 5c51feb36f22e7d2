/**
 * The outbox's delivery lock (src/tracking/outbox.ts, through the repository lock's
 * tryLockFile): created complete or not at all, a live holder respected, a dead one's lock taken
 * over by one process only.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { Outbox } from '../../src/tracking/outbox.js';
import { tempDir } from '../helpers/cli.js';
import { runRecord } from './run-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function outbox(): Outbox {
  const d = tempDir('mlp-outbox-');
  dirs.push(d);
  return new Outbox(path.join(d, 'outbox'));
}

const record = () => runRecord({ backend: 'mlflow', uri: 'http://127.0.0.1:9', experiment: 'x' });

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('outbox delivery lock', () => {
  test('a lock another process has just created and not yet written is not taken over', () => {
    const box = outbox();
    const run = record();
    box.write(run);
    fs.writeFileSync(`${box.fileFor(run)}.lock`, ''); // created (O_EXCL), its owner about to write its pid
    expect(box.claim(run)).toBe(false);
    expect(fs.readFileSync(`${box.fileFor(run)}.lock`, 'utf8')).toBe('');
  });

  test('the lock is complete once it exists: pid, host and start time of its holder', () => {
    const box = outbox();
    const run = record();
    box.write(run);
    expect(box.claim(run)).toBe(true);
    const lock = JSON.parse(fs.readFileSync(`${box.fileFor(run)}.lock`, 'utf8')) as { pid: number; host: string };
    expect(lock).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(box.claim(run)).toBe(true); // this process holds it already
    box.release(run);
    expect(fs.existsSync(`${box.fileFor(run)}.lock`)).toBe(false);
    expect(fs.readdirSync(box.dir).sort()).toEqual([path.basename(box.fileFor(run))]); // no temp or claim files left
  });

  test("a dead process's lock is taken over; a live process's is respected", async () => {
    const box = outbox();
    const run = record();
    box.write(run);
    const lock = `${box.fileFor(run)}.lock`;
    fs.writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: os.hostname(), command: 'mlp track sync', started: '2026-01-01T00:00:00Z', id: 'dead' }));
    expect(box.claim(run)).toBe(true);
    box.release(run);

    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(lock, JSON.stringify({ pid: holder.pid, host: os.hostname(), command: 'mlp track sync', started: '2026-01-01T00:00:00Z', id: 'live' }));
      expect(box.claim(run)).toBe(false);
      expect(JSON.parse(fs.readFileSync(lock, 'utf8')).id).toBe('live');
      box.release(run); // not ours: left alone
      expect(fs.existsSync(lock)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
  });

  test('processes racing for one stale lock: exactly one wins', async () => {
    const box = outbox();
    const run = record();
    box.write(run);
    fs.writeFileSync(`${box.fileFor(run)}.lock`, JSON.stringify({ pid: deadPid(), host: os.hostname(), command: 'x', started: '2026-01-01T00:00:00Z', id: 'dead' }));
    const script = path.join(path.dirname(box.dir), 'race.mjs');
    const outboxModule = path.resolve('dist/src/tracking/outbox.js');
    fs.writeFileSync(
      script,
      `import { Outbox } from ${JSON.stringify(outboxModule)};
const box = new Outbox(${JSON.stringify(box.dir)});
const [run] = box.list();
const start = Number(process.argv[2]);
while (Date.now() < start) {} // all start together
process.stdout.write(box.claim(run) ? 'won' : 'lost');
setTimeout(() => {}, 1500); // hold it while the others try`,
    );
    const start = Date.now() + 700;
    const racers = Array.from({ length: 4 }, () => spawn(process.execPath, [script, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const results = await Promise.all(racers.map((child) => new Promise<string>((resolve) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', () => resolve(out));
    })));
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
  });
});
