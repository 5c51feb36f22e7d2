/** Live curves (src/tracking/live.ts): the API stage scripts call, and the built-in text trainer using it. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { LIVE_ENV, liveTracker, readLiveFile } from '../../src/tracking/live.js';
import { runMlp, tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('mlp-live-');
  dirs.push(d);
  return d;
}

describe('live tracker', () => {
  test('logs one line per step; finite numbers only; a line cut by a kill is skipped', () => {
    const file = path.join(dir(), 'live.jsonl');
    const live = liveTracker({ [LIVE_ENV]: file });
    live.log({ loss: 0.5, acc: 0.7 }, 0);
    live.log({ loss: 0.25, bad: Number.NaN }, 1);
    fs.appendFileSync(file, '{"step": 2, "metr');
    const points = readLiveFile(file);
    expect(points.map((p) => [p.key, p.step, p.value])).toEqual([['loss', 0, 0.5], ['acc', 0, 0.7], ['loss', 1, 0.25]]);
    expect(points.every((p) => p.timestamp > 0)).toBe(true);
  });

  test('without MLP_TRACKING_LIVE it does nothing (the stage is not tracked)', () => {
    const live = liveTracker({});
    expect(() => live.log({ loss: 1 }, 0)).not.toThrow();
  });

  test('a file that cannot be written never breaks training', () => {
    const live = liveTracker({ [LIVE_ENV]: path.join(dir(), 'missing-dir', 'live.jsonl') });
    expect(() => live.log({ loss: 1 }, 0)).not.toThrow();
  });

  test('the built-in text trainer streams its solver loss per iteration', () => {
    const cwd = dir();
    writeFiles(cwd, { 'split/train.csv': 'text,label\nwin prize cash now,spam\nlunch at noon,ham\nfree cash prize,spam\nmeeting at noon,ham\n' });
    const file = path.join(cwd, 'live.jsonl');
    const result = runMlp(cwd, ['text', 'train', '--data', 'split', '--out', 'model'], { [LIVE_ENV]: file });
    expect(result.code).toBe(0);
    const points = readLiveFile(file);
    expect(points.length).toBeGreaterThan(1);
    expect(new Set(points.map((p) => p.key))).toEqual(new Set(['loss']));
    expect(points.map((p) => p.step)).toEqual([...points.map((p) => p.step)].sort((a, b) => a - b));
  });
});
