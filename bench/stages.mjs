#!/usr/bin/env node
// A pipeline of 5,000 trivial stages: the cost of mlp's own bookkeeping per stage (lock writes,
// .gitignore, state, run-cache) when the commands themselves cost almost nothing.
//
//   npm run build && node bench/stages.mjs [--stages N] [--runs N] [--first-runs N] [--jobs N] [--baseline REV]
//
// Each stage copies its own 16-byte input into out/ (`cp data/in_$i.txt out/out_$i.txt`, one dep,
// one out, like workload W1 of bench/core.mjs but 25× wider). Times, per build (medians):
//   first  — the first `mlp repro -j JOBS` in a fresh repository (--first-runs times, default 1),
//            wall-clock and CPU time (mlp and the stage commands: less sensitive to a loaded machine)
//   no-op  — `mlp repro` and `mlp status` right after (--runs times each, default 3)
// --baseline builds git revision REV into a temporary worktree and times it in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRevision, currentBin, loadAverage, machine, makeRepo, median, option, removeRevision, seconds, timeMlp } from './lib.mjs';

const args = process.argv.slice(2);
const stages = Number(option(args, '--stages', 5000));
const runs = Number(option(args, '--runs', 3));
const firstRuns = Number(option(args, '--first-runs', 1));
const jobs = option(args, '--jobs', '2');
const baseline = option(args, '--baseline', undefined);

function workload() {
  const files = {};
  let pipeline = 'stages:\n';
  for (let i = 0; i < stages; i++) {
    files[`data/in_${i}.txt`] = `input number ${String(i).padStart(5, '0')}\n`;
    pipeline += `  s${i}:\n    cmd: cp data/in_${i}.txt out/out_${i}.txt\n    deps: [data/in_${i}.txt]\n    outs: [out/out_${i}.txt]\n`;
  }
  files['pipeline.yaml'] = pipeline;
  files['out/.keep'] = '';
  return files;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-stages-'));
const builds = [];
const rows = [];
try {
  if (baseline) builds.push({ name: `before (${baseline})`, ...buildRevision(baseline) });
  builds.push({ name: 'after (this checkout)', bin: currentBin });
  const files = workload();
  for (const build of builds) {
    const first = [];
    const firstCpu = [];
    const repro = [];
    const status = [];
    const loads = [];
    let lockBytes = 0;
    for (let r = 0; r < firstRuns; r++) {
      const dir = makeRepo(build.bin, path.join(scratch, `repo-${rows.length}-${r}`), files);
      loads.push(os.loadavg()[0]);
      const out = timeMlp(build.bin, dir, ['repro', '-j', jobs]);
      first.push(out.seconds);
      firstCpu.push(out.cpu);
      const ran = (out.stdout.match(/^Running /gm) ?? []).length;
      if (ran !== stages) throw new Error(`${build.name}: ${ran} of ${stages} stages ran`);
      console.error(`${build.name}: first repro ${seconds(out.seconds)} s, ${seconds(out.cpu)} CPU-s (load ${loadAverage()})`);
      lockBytes = fs.statSync(path.join(dir, 'pipeline.lock')).size;
      if (r === firstRuns - 1) {
        for (let i = 0; i < runs; i++) {
          const noop = timeMlp(build.bin, dir, ['repro']);
          if (!noop.stdout.includes('up to date')) throw new Error(`${build.name}: second repro was not a no-op:\n${noop.stdout.slice(-500)}`);
          repro.push(noop.seconds);
          status.push(timeMlp(build.bin, dir, ['status']).seconds);
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    rows.push({ build: build.name, first: median(first), firstCpu: median(firstCpu), repro: median(repro), status: median(status), lockBytes, load: median(loads) });
  }
} finally {
  for (const build of builds) if (build.dir) removeRevision(build.dir);
  fs.rmSync(scratch, { recursive: true, force: true });
}

console.log(`\n${stages.toLocaleString('en')} trivial stages, \`-j ${jobs}\` — ${machine()}; medians of ${firstRuns} first and ${runs} no-op runs\n`);
console.log('| build | first repro (s) | per stage (ms) | its CPU time (s) | no-op repro (s) | no-op status (s) | pipeline.lock | load avg (1 min) at start |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.build} | ${seconds(r.first)} | ${((r.first / stages) * 1000).toFixed(1)} | ${seconds(r.firstCpu)} | ${seconds(r.repro)} | ${seconds(r.status)} | ${(r.lockBytes / 1024).toFixed(0)} KiB | ${r.load.toFixed(2)} |`);
}
