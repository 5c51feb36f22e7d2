#!/usr/bin/env node
// Core-engine benchmarks: replays the workloads of ../shared/bench/ (W0–W3) against the built CLI
// and prints a table of median wall-clock seconds next to the targets and DVC 3.64's best runs.
//
//   npm run build && node bench/core.mjs [--runs N] [--skip-big] [--only w0,w1,w2,w3,w4]
//                                        [--baseline REV]
//
// With --baseline, W4 builds git revision REV into a temporary worktree (bench/lib.mjs) and times
// the `add` workloads with this build and that one alternately, in the same run, on fresh repos.
//
// Needs python3 (the workload generator) and git. Each timed call runs in a fresh git repo
// prepared as described in ../shared/bench/README.md.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const mlp = path.join(root, 'bin', 'mlp.js');
const workloads = path.resolve(root, '../shared/bench/workloads.py');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const skipBig = args.includes('--skip-big');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined; // e.g. --only w3
const wanted = (id) => only === undefined || only.split(',').includes(id);

if (!fs.existsSync(workloads)) {
  console.error(`workload generator not found at ${workloads}`);
  process.exit(1);
}

function sh(cwd, cmd, cmdArgs) {
  return execFileSync(cmd, cmdArgs, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
}

const baselineRev = args.includes('--baseline') ? args[args.indexOf('--baseline') + 1] : undefined;

function timeMlp(cwd, mlpArgs, bin = mlp) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [bin, ...mlpArgs], { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`mlp ${mlpArgs.join(' ')} failed in ${cwd}: ${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-'));
const templates = new Map();

/** A workload generated once, then copied for each fresh repo. */
function template(name, genArgs) {
  if (!templates.has(name)) {
    const dir = path.join(scratch, `template-${name}`);
    fs.mkdirSync(dir);
    for (const a of genArgs) sh(dir, 'python3', [workloads, ...a]);
    templates.set(name, dir);
  }
  return templates.get(name);
}

let repoCount = 0;
/** A fresh git repo holding the workload; data to `mlp add` is left uncommitted. */
function freshRepo(name, genArgs, commitData = true) {
  const dir = path.join(scratch, `repo-${repoCount++}`);
  fs.cpSync(template(name, genArgs), dir, { recursive: true });
  sh(dir, 'git', ['init', '-q']);
  timeMlp(dir, ['init']);
  sh(dir, 'git', ['add', commitData ? '-A' : '.mlp']);
  sh(dir, 'git', ['-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-q', '-m', 'workload']);
  return dir;
}

const rows = [];
function record(id, what, samples, target, dvc, note = '') {
  rows.push({ id, what, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), target, dvc, note });
  const r = rows.at(-1);
  console.error(`${id} ${what}: median ${r.median.toFixed(3)} s (min ${r.min.toFixed(3)}, max ${r.max.toFixed(3)})`);
}

// W0: startup
if (wanted('w0')) {
  const samples = [];
  for (let i = 0; i < Math.max(runs, 10); i++) samples.push(timeMlp(scratch, ['--version']).seconds);
  record('W0', '`mlp --version`', samples, 0.13, 0.127);
}

// W1: 200 independent stages
if (wanted('w1')) {
  const a = [], b = [], c = [], d = [];
  let reran = [];
  for (let i = 0; i < runs; i++) {
    const dir = freshRepo('w1', [['w1']]);
    a.push(timeMlp(dir, ['repro', '-j', '2']).seconds);
    b.push(timeMlp(dir, ['repro']).seconds);
    c.push(timeMlp(dir, ['status']).seconds);
    fs.writeFileSync(path.join(dir, 'params.yaml'), fs.readFileSync(path.join(dir, 'params.yaml'), 'utf8').replace(/^p7: 7$/m, 'p7: 700'));
    const changed = timeMlp(dir, ['repro']);
    d.push(changed.seconds);
    reran.push((changed.stdout.match(/^Running /gm) ?? []).length);
  }
  record('W1a', 'first repro, 200 stages, `-j 2`', a, 8, 75.8);
  record('W1b', 'no-op repro', b, 0.3, 2.73);
  record('W1c', 'no-op status', c, 0.3, 1.73);
  record('W1d', 'repro after one param change', d, 0.4, 3.33, `stages rerun: ${[...new Set(reran)].join(', ')}`);
}

// W2: 50-stage chain
if (wanted('w2')) {
  const a = [], b = [];
  for (let i = 0; i < runs; i++) {
    const dir = freshRepo('w2', [['w2']]);
    a.push(timeMlp(dir, ['repro']).seconds);
    b.push(timeMlp(dir, ['repro']).seconds);
  }
  record('W2a', 'first repro, 50-stage chain', a, undefined, 5.2);
  record('W2b', 'no-op repro', b, 0.2, 0.81);
}

// W3: 20,000-file directory and a 2 GiB file
if (wanted('w3')) {
  const a = [], b = [], c = [], d = [];
  const n = skipBig ? runs : Math.min(runs, 3);
  for (let i = 0; i < n; i++) {
    const dir = freshRepo('w3dir', [['w3dir']], false);
    a.push(timeMlp(dir, ['add', 'data/many']).seconds);
    b.push(timeMlp(dir, ['status']).seconds);
    if (!skipBig) {
      fs.cpSync(path.join(template('w3big', [['w3big']]), 'data/big.bin'), path.join(dir, 'data/big.bin'));
      execFileSync('sh', ['-c', 'cat data/big.bin > /dev/null'], { cwd: dir }); // warm page cache, as the reference does
      c.push(timeMlp(dir, ['add', 'data/big.bin']).seconds);
      d.push(timeMlp(dir, ['status']).seconds);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The same add with hardlinks (cache.type: hardlink): no data is copied, no inode created.
  const h = [], hb = [];
  for (let i = 0; i < n; i++) {
    const dir = freshRepo('w3dir', [['w3dir']], false);
    fs.writeFileSync(path.join(dir, '.mlp/config.local.yaml'), 'cache:\n  type: [hardlink, copy]\n');
    h.push(timeMlp(dir, ['add', 'data/many']).seconds);
    if (!skipBig) {
      fs.cpSync(path.join(template('w3big', [['w3big']]), 'data/big.bin'), path.join(dir, 'data/big.bin'));
      execFileSync('sh', ['-c', 'cat data/big.bin > /dev/null'], { cwd: dir });
      hb.push(timeMlp(dir, ['add', 'data/big.bin']).seconds);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  record('W3a', '`add` 20,000-file directory', a, 2, 7.13, 'default cache.type [reflink, copy]: copies into the cache');
  record('W3a′', '`add` 20,000-file directory, hardlink', h, 2, 7.13, 'cache.type [hardlink, copy]');
  record('W3b', 'status after', b, 0.3, 1.19);
  if (!skipBig) {
    record('W3c', '`add` 2 GiB file', c, 2.5, 8.33);
    record('W3d', 'status after both', d, 0.3, 1.21);
    record('W3c′', '`add` 2 GiB file, hardlink', hb, 2.5, 8.33, 'cache.type [hardlink, copy]');
  }
}

// W4: the add workloads, this build against --baseline, alternately in one run
if (wanted('w4') && baselineRev) {
  const { buildRevision, removeRevision } = await import('./lib.mjs');
  const base = buildRevision(baselineRev);
  process.on('exit', () => removeRevision(base.dir));
  const bins = [
    ['this build', mlp],
    [`before (${baselineRev})`, base.bin],
  ];
  const samples = new Map(bins.map(([name]) => [name, { many: [], mid: [], big: [] }]));
  const mid = path.join(scratch, 'mid');
  if (!fs.existsSync(mid)) {
    fs.mkdirSync(mid);
    const block = Buffer.alloc(1024 * 1024);
    for (let f = 0; f < 8; f++) {
      const fd = fs.openSync(path.join(mid, `part${f}.bin`), 'w');
      for (let m = 0; m < 40; m++) {
        block.writeUInt32LE(f * 1000 + m, 0);
        fs.writeSync(fd, block);
      }
      fs.closeSync(fd);
    }
  }
  const n = skipBig ? runs : Math.min(runs, 3);
  for (let i = 0; i < n; i++) {
    for (const [name, bin] of i % 2 ? [...bins].reverse() : bins) {
      const s = samples.get(name);
      const dir = freshRepo('w3dir', [['w3dir']], false);
      s.many.push(timeMlp(dir, ['add', 'data/many'], bin).seconds);
      fs.cpSync(mid, path.join(dir, 'data/mid'), { recursive: true });
      execFileSync('sh', ['-c', 'cat data/mid/* > /dev/null'], { cwd: dir });
      s.mid.push(timeMlp(dir, ['add', 'data/mid'], bin).seconds);
      if (!skipBig) {
        fs.cpSync(path.join(template('w3big', [['w3big']]), 'data/big.bin'), path.join(dir, 'data/big.bin'));
        execFileSync('sh', ['-c', 'cat data/big.bin > /dev/null'], { cwd: dir });
        s.big.push(timeMlp(dir, ['add', 'data/big.bin'], bin).seconds);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const [name] of bins) {
    const s = samples.get(name);
    record('W4a', `\`add\` 20,000 × 4 KiB files (${name})`, s.many, undefined, undefined);
    record('W4b', `\`add\` 8 × 40 MiB files (${name})`, s.mid, undefined, undefined);
    if (!skipBig) record('W4c', `\`add\` 2 GiB file (${name})`, s.big, undefined, undefined);
  }
}

fs.rmSync(scratch, { recursive: true, force: true });

const fmt = (x) => (x === undefined ? '—' : x.toFixed(x < 1 ? 3 : 2));
console.log(`\nmlp core benchmarks — ${os.cpus().length} CPUs, ${runs} runs, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| id | what | mlp median (s) | min | max | target (s) | DVC 3.64 best (s) | note |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ok = r.target === undefined ? '' : r.median <= r.target ? ' ✓' : ' ✗';
  console.log(`| ${r.id} | ${r.what} | ${fmt(r.median)}${ok} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.target === undefined ? '—' : `≤ ${r.target}`} | ${fmt(r.dvc)} | ${r.note} |`);
}
