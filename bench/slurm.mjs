#!/usr/bin/env node
// Per-stage overhead of the Slurm executor over local execution: N tiny independent stages
// (default 100) at -j 8, run once locally and once as Slurm jobs on the single-node test cluster
// of test/helpers/slurm.sh (started here if needed, stopped again if this script started it).
//
//   npm run build && node bench/slurm.mjs [--stages N] [--jobs N]
//
// Reported: wall time of the whole `mlp repro` each way; the mean and p90 per-stage latency as mlp
// sees it (`--explain` prints "done in X s" per stage: submission, queueing, start, polling,
// completion); the added latency per stage (slurm mean − local mean); and how many stages were in
// flight at once on average (sum of stage latencies / wall time), which shows whether independent
// stages were serialised. The cluster's scheduler settings (SchedulerParameters in slurm.sh) are
// part of what is measured.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBin, loadAverage, machine, makeRepo, option, timeMlp } from './lib.mjs';

const args = process.argv.slice(2);
const stages = Number(option(args, '--stages', 100));
const jobs = option(args, '--jobs', '8');
const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '..', 'test', 'helpers', 'slurm.sh');

const started = spawnSync('bash', [script, 'start'], { encoding: 'utf8' });
const conf = /^SLURM_CONF=(.+)$/m.exec(started.stdout)?.[1];
if (started.status !== 0 || !conf) {
  console.error(`the test Slurm cluster did not start: ${started.stderr}`);
  process.exit(1);
}
const startedHere = !/reused/.test(started.stderr);

function workload() {
  const files = {};
  let pipeline = 'stages:\n';
  for (let i = 0; i < stages; i++) {
    files[`data/in_${i}.txt`] = `input ${i}\n`;
    pipeline += `  s${i}:\n    cmd: cp data/in_${i}.txt out/out_${i}.txt\n    deps: [data/in_${i}.txt]\n    outs: [out/out_${i}.txt]\n`;
  }
  files['pipeline.yaml'] = pipeline;
  files['out/.keep'] = '';
  return files;
}

function stats(stdout) {
  const times = [...stdout.matchAll(/done in ([\d.]+) s/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  const sum = times.reduce((a, b) => a + b, 0);
  return { n: times.length, mean: sum / times.length, p90: times[Math.floor(times.length * 0.9)] ?? NaN, sum };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-slurm-'));
try {
  const bin = currentBin;
  const load = loadAverage();
  const rows = [];
  for (const executor of ['local', 'slurm']) {
    const dir = makeRepo(bin, path.join(scratch, executor), workload());
    const run = timeMlp(bin, dir, ['repro', '-j', jobs, '--explain', '--executor', executor], { SLURM_CONF: conf });
    const s = stats(run.stdout);
    if (s.n !== stages) throw new Error(`${executor}: ${s.n} of ${stages} stages reported`);
    rows.push({ executor, wall: run.seconds, ...s, inFlight: s.sum / run.seconds });
  }
  console.log(`${stages} tiny independent stages, -j ${jobs}; ${machine()}; load before: ${load}`);
  console.log('executor  wall (s)  per stage mean (s)  p90 (s)  stages in flight (mean)');
  for (const r of rows) {
    console.log(`${r.executor.padEnd(8)}  ${r.wall.toFixed(1).padStart(8)}  ${r.mean.toFixed(2).padStart(19)}  ${r.p90.toFixed(2).padStart(7)}  ${r.inFlight.toFixed(1).padStart(23)}`);
  }
  const [local, slurm] = rows;
  console.log(`added latency per stage: ${(slurm.mean - local.mean).toFixed(2)} s; added wall time per stage: ${((slurm.wall - local.wall) / stages).toFixed(3)} s`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
  if (startedHere) spawnSync('bash', [script, 'stop']);
}
