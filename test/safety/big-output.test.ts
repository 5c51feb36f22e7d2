/**
 * A large stage output is hashed (and copied into the cache) off the main thread's critical
 * path: with `-j 2` other stages keep starting while it is hashed, and Ctrl-C is handled at once.
 * Both are checked by order of events, not by time: a stage records whether the big output's
 * partial cache copy still existed when it started (or was stopped).
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, read, startMlp, waitFor } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const SIZE = 600 * 1024 * 1024;
/** Lists the partial copies in the cache's temp directory (not the owner markers). */
const PARTIALS = 'ls .mlp/cache/tmp 2>/dev/null | grep -v owner';
const copying = (dir: string): boolean => {
  const tmp = path.join(dir, '.mlp/cache/tmp');
  return fs.existsSync(tmp) && fs.readdirSync(tmp).some((f) => !f.endsWith('.owner'));
};

describe('a large output', () => {
  test('with -j 2, another stage starts while it is being hashed', async () => {
    const dir = makeRepo({
      'pipeline.yaml': `
stages:
  big: {cmd: head -c ${SIZE} /dev/zero > big.bin, outs: [big.bin]}
  waits: {cmd: "while ! ${PARTIALS} >/dev/null; do sleep 0.01; done; touch waited", outs: [waited]}
  next: {cmd: "(${PARTIALS} || true) > next-saw.txt", outs: [next-saw.txt]}
`,
    });
    made.push(dir);
    const { done } = startMlp(dir, ['repro', '-j', '2']);
    const result = await done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // `next` took the slot `waits` freed while big.bin was still being copied into the cache.
    expect(read(dir, 'next-saw.txt').trim()).not.toBe('');
  }, 120000);

  test('Ctrl-C while it is being hashed stops the other stages at once, and keeps the finished stage', async () => {
    const dir = makeRepo({
      'pipeline.yaml': `
stages:
  big: {cmd: head -c ${SIZE} /dev/zero > big.bin, outs: [big.bin]}
  long:
    cmd: "trap '(${PARTIALS} || true) > long-saw.txt; exit 1' TERM; while true; do sleep 0.05; done"
    outs: [long.txt]
`,
    });
    made.push(dir);
    const { child, done } = startMlp(dir, ['repro', '-j', '2']);
    await waitFor(() => copying(dir), 60000);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping running stages');
    // `long` was stopped while big.bin was still being copied into the cache…
    expect(read(dir, 'long-saw.txt').trim()).not.toBe('');
    // …and `big`, which had finished, is recorded.
    expect(read(dir, 'pipeline.lock')).toContain('big:');
    expect(copying(dir)).toBe(false);
  }, 120000);
});
