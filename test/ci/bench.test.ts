/** `npm run bench` (bench/run.mjs): every benchmark script is reachable from the one entry. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../helpers/cli.js';

// Modules the benchmarks use, not benchmarks of their own.
const HELPERS = new Set(['bench/run.mjs', 'bench/lib.mjs', 'bench/s3-sdk-baseline.mjs', 'bench/cifar10/run-mlp.mjs']);

test('bench/run.mjs lists every benchmark script, and package.json runs it', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.bench).toBe('node bench/run.mjs');
  const scripts = (fs.readdirSync(path.join(PROJECT_ROOT, 'bench'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => `bench/${f}`)
    .filter((f) => !HELPERS.has(f))
    .sort();
  const { BENCHMARKS } = (await import(path.join(PROJECT_ROOT, 'bench/run.mjs'))) as { BENCHMARKS: Array<{ name: string; script: string }> };
  expect(BENCHMARKS.map((b) => b.script).sort()).toEqual(scripts);
  const listing = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bench/run.mjs')], { encoding: 'utf8' });
  expect(listing.status).toBe(0);
  for (const b of BENCHMARKS) expect(listing.stdout).toContain(`node ${b.script}`);
  const unknown = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bench/run.mjs'), 'no-such-benchmark'], { encoding: 'utf8' });
  expect(unknown.status).toBe(2);
});
