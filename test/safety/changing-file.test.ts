/**
 * A file rewritten while mlp reads it (for `mlp add` or a stage's output commit) must never be
 * stored under a hash its content does not have, whatever its size: small files are read whole,
 * middle-sized and big ones are copied while hashed. A child process rewrites the file in place
 * (same size, so only its mtime says it changed) in a loop while mlp runs. Trials per size:
 * MLP_FAULT_TRIALS (default 3).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, runMlp } from '../helpers/cli.js';
import { cacheObjects } from '../remote/fixtures.js';

const TRIALS = Number(process.env.MLP_FAULT_TRIALS ?? 3);
const MiB = 1024 * 1024;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

/**
 * A writer that alternates the whole file between two contents, 256 KiB at a time, pausing
 * 0–10 ms between passes and 150 ms after every third one (so that some reads find a quiet moment).
 */
const WRITER = `
const fs = require('node:fs');
const [file, size] = [process.argv[1], Number(process.argv[2])];
const a = Buffer.alloc(size, 'a'), b = Buffer.alloc(size, 'b');
const fd = fs.openSync(file, 'r+');
let pass = 0;
const step = () => {
  const buf = pass++ % 2 ? b : a;
  for (let at = 0; at < size; at += 262144) fs.writeSync(fd, buf, at, Math.min(262144, size - at), at);
  if (pass === 2) process.stdout.write('ready\\n');
  setTimeout(step, pass % 3 === 0 ? 150 : Math.random() * 10);
};
step();
`;

/** Writers still running: stopped after each test, also one that failed or timed out before `stop()`. */
const writers = new Set<() => Promise<void>>();
afterEach(async () => {
  for (const stop of writers) await stop();
});

function startWriter(file: string, size: number): { stop: () => Promise<void>; ready: Promise<void> } {
  const child = spawn(process.execPath, ['-e', WRITER, file, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    writers.delete(stop);
    child.kill('SIGKILL');
    await exited;
  };
  writers.add(stop);
  return { ready, stop };
}

function assertEveryObjectMatchesItsName(dir: string): void {
  for (const h of cacheObjects(dir)) {
    expect(sha256File(path.join(dir, '.mlp/cache/files/sha256', h.slice(0, 2), h.slice(2)))).toBe(h);
  }
}

describe.each([
  ['100 KiB (read whole)', 100 * 1024],
  ['1 MiB (copied while hashed)', 1 * MiB],
  ['20 MiB (copied while hashed)', 20 * MiB],
  ['80 MiB (copied while hashed, asynchronously)', 80 * MiB],
])('a %s file rewritten while `mlp add` reads it', (_label, size) => {
  test('is never stored under a hash its content does not have', async () => {
    const good = new Set([sha256(Buffer.alloc(size, 'a')), sha256(Buffer.alloc(size, 'b'))]);
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = makeRepo();
      dirs.push(dir);
      const file = path.join(dir, 'data.bin');
      fs.writeFileSync(file, Buffer.alloc(size, 'a'));
      const writer = startWriter(file, size);
      await writer.ready;
      const result = runMlp(dir, ['add', 'data.bin']);
      await writer.stop();
      assertEveryObjectMatchesItsName(dir);
      if (result.code === 0) {
        const recorded = /sha256: ([0-9a-f]{64})/.exec(fs.readFileSync(`${file}.mlp`, 'utf8'))?.[1] ?? '';
        // What was recorded is a version the file really had, never a mix of two.
        expect(good.has(recorded)).toBe(true);
        expect(cacheObjects(dir)).toContain(recorded);
        outcomes.stored = (outcomes.stored ?? 0) + 1;
      } else {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('error: data.bin changed while mlp was reading it');
        expect(result.stderr).toContain('hint: ');
        expect(fs.existsSync(`${file}.mlp`)).toBe(false);
        outcomes.refused = (outcomes.refused ?? 0) + 1;
      }
      // Nothing half-written is left behind.
      const cache = path.join(dir, '.mlp/cache');
      const leftovers = fs.existsSync(cache) ? (fs.readdirSync(cache, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp') || f.startsWith('tmp/')) : [];
      expect(leftovers).toEqual([]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    process.stderr.write(`changing ${size >= MiB ? `${size / MiB} MiB` : `${size / 1024} KiB`} file, ${TRIALS} trials: ${JSON.stringify(outcomes)}\n`);
  }, 60000 + TRIALS * 20000);
});
