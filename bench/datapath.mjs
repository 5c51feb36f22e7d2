#!/usr/bin/env node
// The data path against the machine's floor (issue 13): for many small files and one large file,
// `cp -a` of the same data (the floor, timed in the same repetition, since this VM's write speed
// swings a lot) and mlp add, status, push to a local-directory remote, pull (cache + workspace)
// and checkout (workspace only), through the built CLI. Prints medians and each step's ratio to
// the floor (the median of the per-repetition ratios).
//
//   npm run build && node bench/datapath.mjs [--runs N] [--files N] [--big-bytes N]
//                                            [--skip-big] [--skip-small] [--baseline REV]
//                                            [--baseline-bin PATH/bin/mlp.js]
//
// With --baseline, git revision REV is built into a temporary worktree (bench/lib.mjs) and both
// builds are timed alternately in each repetition; --baseline-bin times a build made elsewhere
// instead (e.g. `git archive REV | tar -x -C DIR`, built there). The data is generated here (random bytes) in a
// temp dir; nothing is written into the repository.
//
// Nothing is deleted between timed steps: what a step must not find (the workspace copy before a
// checkout, the cache before a pull) is moved aside, and everything is deleted at the end. This
// disk is ext4 without a journal, where creating a file skips every inode freed in the last 60 s
// (the kernel's `recently_deleted`): right after 20,000 files were deleted, creating 20,000 files
// costs any tool up to 0.8 ms each, `cp -a` included, and the figures would measure that.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRevision, currentBin, loadAverage, machine, median, option, removeRevision, sh, timeMlp } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(option(args, '--runs', 3));
const nFiles = Number(option(args, '--files', 20000));
const bigBytes = Number(option(args, '--big-bytes', 1024 ** 3));
const skipBig = args.includes('--skip-big');
const skipSmall = args.includes('--skip-small');
const baselineRev = option(args, '--baseline', undefined);
const baselineBin = option(args, '--baseline-bin', undefined);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-datapath-'));
const cleanups = [() => fs.rmSync(scratch, { recursive: true, force: true })];
process.on('exit', () => cleanups.reverse().forEach((f) => f()));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

// Per repetition and build: the workspace copy (cp -a), cache, remote, pulled cache and workspace, checkout.
const need = ((skipSmall ? 0 : nFiles * 4096) + (skipBig ? 0 : bigBytes)) * (7 * runs * (baselineRev || baselineBin ? 2 : 1) + 1);
const free = fs.statfsSync(scratch);
if (free.bavail * free.bsize < need * 1.2) {
  console.error(`not enough disk in ${os.tmpdir()}: need ~${(need / 2 ** 30).toFixed(1)} GiB`);
  process.exit(1);
}

/** The data, generated once: `small/` (nFiles × 4 KiB in one directory, as workloads.py w3dir) and `big.bin`. */
function generate() {
  const data = path.join(scratch, 'data');
  fs.mkdirSync(data);
  if (!skipSmall) {
    const dir = path.join(data, 'many');
    fs.mkdirSync(dir);
    const block = Buffer.alloc(4096);
    for (let i = 0; i < nFiles; i++) fs.writeFileSync(path.join(dir, `f_${String(i).padStart(5, '0')}.bin`), randomFillSync(block));
  }
  if (!skipBig) {
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    const fd = fs.openSync(path.join(data, 'big.bin'), 'w');
    for (let done = 0; done < bigBytes; done += chunk.length) fs.writeSync(fd, randomFillSync(chunk), 0, Math.min(chunk.length, bigBytes - done));
    fs.closeSync(fd);
  }
  execFileSync('sync');
  return data;
}

const builds = [['after', currentBin]];
if (baselineRev) {
  const base = buildRevision(baselineRev);
  cleanups.push(() => removeRevision(base.dir));
  builds.unshift([`before (${baselineRev})`, base.bin]);
} else if (baselineBin) {
  builds.unshift([`before (${baselineBin})`, path.resolve(baselineBin)]);
}

const data = generate();
/** samples[workload][build][step] = seconds[]; floor[workload][build] = seconds[] (per repetition, paired). */
const samples = {};
const push = (workload, build, step, x) => (((samples[workload] ??= {})[build] ??= {})[step] ??= []).push(x);

function time(cmd, cmdArgs, cwd) {
  const start = process.hrtime.bigint();
  execFileSync(cmd, cmdArgs, { cwd, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Before each timed step: dirty data written back, and — where this process may (root on Linux)
 * — the page cache emptied and refilled with just the step's input (`warm`). On this VM, writing
 * a file slows down as the page cache fills with what earlier steps wrote (the same `cp -a` of
 * 1 GiB took 0.6 s first and 2.9 s eight steps later): without this, a step's time would depend
 * on its place in the sequence rather than on what it does.
 */
const canDropCaches = (() => {
  try {
    fs.accessSync('/proc/sys/vm/drop_caches', fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();
const flush = (...warm) => {
  execFileSync('sync');
  if (!canDropCaches) return;
  fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
  for (const p of warm) execFileSync('sh', ['-c', 'find "$1" -type f -exec cat {} + > /dev/null', 'sh', p]);
};
const trash = path.join(scratch, 'trash');
fs.mkdirSync(trash);
let trashed = 0;
/** Moves `p` out of the way (deleting it would slow the next step's file creation: see the top). */
const moveAside = (p) => fs.renameSync(p, path.join(trash, String(trashed++)));

/** One repetition of one workload with one build: floor, add, status, push, pull, checkout, status. */
function repetition(workload, rel, build, bin, rep) {
  const dir = path.join(scratch, `repo-${workload}-${rep}-${build.replace(/\W/g, '')}`);
  const remote = path.join(scratch, `remote-${workload}-${rep}-${build.replace(/\W/g, '')}`);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  sh(dir, 'git', ['init', '-q']);
  timeMlp(bin, dir, ['init']);
  sh(dir, 'git', ['add', '-A']);
  sh(dir, 'git', ['-c', 'user.email=b@b', '-c', 'user.name=b', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'init']);
  const src = path.join(data, path.basename(rel));
  const dest = path.join(dir, rel);
  const cache = path.join(dir, '.mlp/cache');
  execFileSync('sh', ['-c', `cat ${workload === 'small' ? `${src}/*` : src} > /dev/null`]); // the source in the page cache, for both
  flush(src);
  const s = (step, x) => push(workload, build, step, x);
  s('floor: cp -a', time('cp', ['-a', src, dest]));
  flush(dest);
  s('add', timeMlp(bin, dir, ['add', rel]).seconds);
  s('status after add', timeMlp(bin, dir, ['status']).seconds);
  timeMlp(bin, dir, ['remote', 'add', '-d', 'bench', remote]);
  flush(cache);
  s('push (local remote)', timeMlp(bin, dir, ['push']).seconds);
  moveAside(cache);
  moveAside(dest);
  flush(remote);
  s('pull (cache + workspace)', timeMlp(bin, dir, ['pull']).seconds);
  s('status after pull', timeMlp(bin, dir, ['status']).seconds);
  moveAside(dest);
  flush(cache);
  s('checkout (workspace)', timeMlp(bin, dir, ['checkout']).seconds);
}

const loads = [];
const workloads = [...(skipSmall ? [] : [['small', 'data/many']]), ...(skipBig ? [] : [['big', 'data/big.bin']])];
for (let rep = 0; rep < runs; rep++) {
  for (const [workload, rel] of workloads) {
    for (const [build, bin] of rep % 2 ? [...builds].reverse() : builds) {
      loads.push(os.loadavg()[0]);
      repetition(workload, rel, build, bin, rep);
      console.error(`rep ${rep + 1}/${runs} ${workload} ${build}: ${Object.entries(samples[workload][build]).map(([k, v]) => `${k} ${v.at(-1).toFixed(2)}`).join(', ')} (load ${loadAverage()})`);
    }
  }
}

const f = (x) => x.toFixed(x < 1 ? 3 : 2);
const title = {
  small: `${nFiles.toLocaleString('en')} × 4 KiB files`,
  big: `one ${bigBytes >= 2 ** 30 ? `${bigBytes / 2 ** 30} GiB` : `${bigBytes / 2 ** 20} MiB`} file`,
};
console.log(`\nData path vs cp -a — ${machine()}, ${runs} runs, load (1 min) during the run ${f(Math.min(...loads))}–${f(Math.max(...loads))}, page cache ${canDropCaches ? 'emptied and warmed with each step\'s input' : 'kept (not root)'}\n`);
const header = builds.map(([b]) => `${b}: median s | ratio to floor`).join(' | ');
console.log(`| workload | step | ${header} |`);
console.log(`|---|---|${builds.map(() => '---|---|').join('')}`);
for (const [workload] of workloads) {
  for (const step of Object.keys(samples[workload][builds[0][0]])) {
    const cells = builds.map(([b]) => {
      const xs = samples[workload][b][step];
      const floor = samples[workload][b]['floor: cp -a'];
      const ratio = median(xs.map((x, i) => x / floor[i]));
      return `${f(median(xs))} | ${step.startsWith('floor') ? '1' : `${ratio.toFixed(2)}×`}`;
    });
    console.log(`| ${title[workload]} | ${step} | ${cells.join(' | ')} |`);
  }
}
