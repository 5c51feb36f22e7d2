#!/usr/bin/env node
// The hash state (`.mlp/tmp/state.json`) after months of use: `mlp status` of a one-stage repo
// whose state also holds 200,000 entries for files that no longer exist (and objects gc removed).
//
//   npm run build && node bench/state.mjs [--runs N] [--stale N] [--baseline REV]
//
// --baseline builds git revision REV (e.g. main, or a commit) into a temporary worktree and times
// it in the same run. The state is seeded as mlp wrote it before it was pruned (path → [inode,
// mtime, size, sha256], no `pruned` record), as an upgrading user has it. For each build it prints:
//   floor   — status with only the live entries (what the repo costs without the stale ones)
//   seeded  — the first status after seeding (the new code prunes here, once)
//   after   — the next status (what every later command pays)
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRevision, currentBin, loadAverage, machine, makeRepo, median, option, removeRevision, seconds, timeMlp } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(option(args, '--runs', 5));
const stale = Number(option(args, '--stale', 200_000));
const baseline = option(args, '--baseline', undefined);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-state-'));
const builds = [];
if (baseline) builds.push({ name: `before (${baseline})`, ...buildRevision(baseline) });
builds.push({ name: 'after (this checkout)', bin: currentBin });

/** The live entries: path → [inode, mtime, size, sha256]. */
const liveEntries = (file) => JSON.parse(fs.readFileSync(file, 'utf8')).entries;

const staleText = (() => {
  const parts = [];
  const base = Date.now() - 90 * 86_400_000;
  for (let i = 0; i < stale; i++) {
    const hash = createHash('sha256').update(String(i)).digest('hex');
    const key = i % 10 === 0 ? `cache:${hash}` : `runs/run-${String(Math.floor(i / 1000)).padStart(4, '0')}/frame-${String(i).padStart(6, '0')}.png`;
    parts.push(`${JSON.stringify(key)}:[${1_000_000 + i},${base + i * 37.123},${4096 + (i % 5000)},"${hash}"]`);
  }
  return parts.join(',');
})();

function seed(dir, live) {
  const liveText = Object.entries(live).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
  fs.writeFileSync(path.join(dir, '.mlp/tmp/state.json'), `{"version":1,"entries":{${liveText},${staleText}}}`);
}

const rows = [];
try {
  for (const build of builds) {
    const dir = makeRepo(build.bin, path.join(scratch, `repo-${rows.length}`), {
      'data/in.txt': randomBytes(1024).toString('base64'),
      'pipeline.yaml': 'stages:\n  copy:\n    cmd: cp data/in.txt out.txt\n    deps: [data/in.txt]\n    outs: [out.txt]\n',
    });
    timeMlp(build.bin, dir, ['repro']);
    timeMlp(build.bin, dir, ['status']);
    const stateFile = path.join(dir, '.mlp/tmp/state.json');
    const live = liveEntries(stateFile);
    const floor = [];
    const floorCpu = [];
    for (let i = 0; i < runs; i++) {
      const t = timeMlp(build.bin, dir, ['status']);
      floor.push(t.seconds);
      floorCpu.push(t.cpu);
    }
    const first = [];
    const firstCpu = [];
    const after = [];
    const afterCpu = [];
    const loads = [];
    let size = 0;
    for (let i = 0; i < runs; i++) {
      seed(dir, live);
      loads.push(os.loadavg()[0]);
      const out = timeMlp(build.bin, dir, ['status']);
      if (!/up to date/i.test(out.stdout)) throw new Error(`unexpected status output: ${out.stdout}`);
      first.push(out.seconds);
      firstCpu.push(out.cpu);
      const next = timeMlp(build.bin, dir, ['status']);
      after.push(next.seconds);
      afterCpu.push(next.cpu);
      size = fs.statSync(stateFile).size;
    }
    rows.push({
      build: build.name,
      floor: median(floor),
      floorCpu: median(floorCpu),
      first: median(first),
      firstCpu: median(firstCpu),
      after: median(after),
      afterCpu: median(afterCpu),
      size,
      load: median(loads),
    });
    console.error(`${build.name}: floor ${seconds(median(floor))} s, first ${seconds(median(first))} s, after ${seconds(median(after))} s (load ${loadAverage()})`);
  }
} finally {
  for (const build of builds) if (build.dir) removeRevision(build.dir);
  fs.rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nmlp status, one-stage repo, state seeded with ${stale.toLocaleString('en')} stale entries — ${machine()}, ${runs} runs, medians\n`);
console.log('Wall-clock seconds, with CPU seconds (user + system, less sensitive to a loaded machine) in brackets.\n');
console.log('| build | floor: live entries only | first status after seeding | next status | state.json after | load avg (1 min) |');
console.log('|---|---|---|---|---|---|');
const both = (wall, cpu) => `${seconds(wall)} (${seconds(cpu)})`;
for (const r of rows) {
  console.log(`| ${r.build} | ${both(r.floor, r.floorCpu)} | ${both(r.first, r.firstCpu)} | ${both(r.after, r.afterCpu)} | ${r.size < 10240 ? `${r.size} B` : `${(r.size / 1024).toFixed(0)} KiB`} | ${r.load.toFixed(2)} |`);
}
