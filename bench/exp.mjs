#!/usr/bin/env node
// Experiments: `mlp exp show` with 100 and 1,000 saved experiments, what `mlp exp run` costs
// over `mlp repro` for a one-stage pipeline, and `mlp queue start -j 2` against `-j 1` for a
// queue of tiny experiments (each in its own worktree).
//
//   npm run build && node bench/exp.mjs [--runs N] [--counts 100,1000] [--queue 20] (--queue 0: skip)
//
// The experiments are written with `git fast-import` (each a child of HEAD under refs/exps, with
// its own params.yaml and metrics.json, as `mlp exp run` saves them), so that making 1,000 takes a
// second rather than 1,000 pipeline runs. `exp show` is timed piped (every column, as in CI) and
// with --json. The overhead is the median of `exp run -f` against `repro -f` (the stage reruns
// each time in both), on the same repository.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentBin, loadAverage, machine, makeRepo, median, option, seconds, sh, timeMlp } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(option(args, '--runs', 5));
const counts = String(option(args, '--counts', '100,1000')).split(',').map(Number);
const queueCount = Number(option(args, '--queue', 20));

/** Seconds from `queue start -j jobs` until the worker is gone and every entry has ended. */
function timeQueue(dir, jobs) {
  timeMlp(currentBin, dir, ['exp', 'run', '--queue', '-S', `train.seed=range(0,${queueCount})`]);
  const start = process.hrtime.bigint();
  timeMlp(currentBin, dir, ['queue', 'start', '-j', String(jobs)]);
  for (;;) {
    const status = JSON.parse(timeMlp(currentBin, dir, ['queue', 'status', '--json']).stdout);
    if (status.worker === null && status.experiments.every((e) => e.status !== 'queued' && e.status !== 'running')) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const failed = status.experiments.filter((e) => e.status !== 'success');
      if (failed.length > 0) throw new Error(`queued experiments failed: ${JSON.stringify(failed[0])}`);
      timeMlp(currentBin, dir, ['queue', 'remove', '--all']);
      spawnSync('git', ['update-ref', '--stdin'], { cwd: dir, input: sh(dir, 'git', ['for-each-ref', '--format=delete %(refname)', 'refs/exps']) });
      return seconds;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-exp-'));
const files = {
  'params.yaml': '# one-stage workload\ntrain:\n  lr: 0.1\n  epochs: 5\n  seed: 1\n',
  'pipeline.yaml': 'stages:\n  train:\n    cmd: cp params.yaml out.txt && echo \'{"acc":0.9,"loss":0.1}\' > metrics.json\n    params: [train]\n    outs: [out.txt]\n    metrics: [{metrics.json: {cache: false}}]\n',
};

/** Adds experiments `from`..`to`-1 of HEAD through one `git fast-import`. */
function addExperiments(dir, from, to) {
  const head = sh(dir, 'git', ['rev-parse', 'HEAD']).trim();
  const now = Math.floor(Date.now() / 1000);
  let stream = '';
  const blob = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let i = from; i < to; i++) {
    const params = `# one-stage workload\ntrain:\n  lr: ${(0.001 * (i + 1)).toFixed(3)}\n  epochs: ${5 + (i % 10)}\n  seed: ${i % 3}\n`;
    const metrics = JSON.stringify({ acc: Number((0.8 + (i % 100) / 1000).toFixed(4)), loss: Number((0.5 - (i % 50) / 200).toFixed(4)) }) + '\n';
    const message = `mlp exp run: train.lr=${i}`;
    stream += `commit refs/exps/${head.slice(0, 2)}/${head.slice(2)}/bench-${i}\ncommitter b <b@b> ${now + i} +0000\n${blob(message)}from ${head}\n`;
    stream += `M 100644 inline params.yaml\n${blob(params)}M 100644 inline metrics.json\n${blob(metrics)}\n`;
  }
  const result = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git fast-import failed: ${result.stderr}`);
}

const rows = [];
try {
  const dir = makeRepo(currentBin, path.join(scratch, 'repo'), files);
  timeMlp(currentBin, dir, ['repro']);
  sh(dir, 'git', ['add', '-A']);
  sh(dir, 'git', ['-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-qm', 'lock']);
  sh(dir, 'git', ['config', 'user.email', 'b@b']);
  sh(dir, 'git', ['config', 'user.name', 'b']);

  // exp run overhead over repro: both rerun the one stage (-f); exp run also saves a commit.
  const repro = [];
  const exp = [];
  for (let i = 0; i < runs; i++) {
    repro.push(timeMlp(currentBin, dir, ['repro', '-f']));
    exp.push(timeMlp(currentBin, dir, ['exp', 'run', '-f']));
  }
  const wall = (ts) => median(ts.map((t) => t.seconds));
  const cpu = (ts) => (ts[0]?.cpu === undefined ? undefined : median(ts.map((t) => t.cpu)));
  rows.push({ what: '`mlp repro -f`, one stage', value: wall(repro), cpu: cpu(repro) });
  rows.push({ what: '`mlp exp run -f`, the same (runs and saves an experiment)', value: wall(exp), cpu: cpu(exp) });
  rows.push({ what: '**`exp run` overhead over `repro`** (target < 0.2 s)', value: wall(exp) - wall(repro), cpu: cpu(exp) === undefined ? undefined : cpu(exp) - cpu(repro) });
  spawnSync('git', ['update-ref', '--stdin'], { cwd: dir, input: sh(dir, 'git', ['for-each-ref', '--format=delete %(refname)', 'refs/exps']) });

  if (queueCount > 0) {
    const serial = timeQueue(dir, 1);
    const parallel = timeQueue(dir, 2);
    rows.push({ what: `\`mlp queue start -j 1\`, ${queueCount} tiny queued experiments (until all ended)`, value: serial, cpu: undefined });
    rows.push({ what: `\`mlp queue start -j 2\`, the same`, value: parallel, cpu: undefined });
    console.error(`queue of ${queueCount}: -j 1 ${seconds(serial)} s, -j 2 ${seconds(parallel)} s (load ${loadAverage()})`);
  }

  let have = 0;
  for (const count of counts) {
    addExperiments(dir, have, count);
    have = count;
    const text = [];
    const json = [];
    for (let i = 0; i < runs; i++) {
      const out = timeMlp(currentBin, dir, ['exp', 'show']);
      if (out.stdout.split('\n').length < count + 3) throw new Error(`exp show printed too few rows:\n${out.stdout.slice(0, 500)}`);
      text.push(out);
      json.push(timeMlp(currentBin, dir, ['exp', 'show', '--json']));
    }
    const wall = (ts) => median(ts.map((t) => t.seconds));
    const cpu = (ts) => (ts[0]?.cpu === undefined ? undefined : median(ts.map((t) => t.cpu)));
    rows.push({ what: `\`mlp exp show\`, ${count.toLocaleString('en')} experiments${count === 100 ? ' (target < 0.5 s)' : ''}`, value: wall(text), cpu: cpu(text) });
    rows.push({ what: `\`mlp exp show --json\`, ${count.toLocaleString('en')} experiments`, value: wall(json), cpu: cpu(json) });
    console.error(`${count} experiments: show ${seconds(wall(text))} s (load ${loadAverage()})`);
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nmlp exp — ${machine()}, ${runs} runs, medians, load ${loadAverage()}\n`);
console.log('Wall-clock seconds, and CPU seconds (user + system of mlp and git) which a loaded machine inflates less.\n');
console.log('| what | wall (s) | CPU (s) |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${seconds(r.value)} | ${seconds(r.cpu)} |`);
