#!/usr/bin/env node
// One entry to every benchmark (`npm run bench`): lists them, runs one, or runs them all in turn.
//
//   npm run bench                         list the benchmarks and what they need
//   npm run bench -- <name> [options…]    build, then run one (options go to its script)
//   npm run bench -- --all                build, then run every one with its defaults, in turn
//
// Each script stays runnable on its own (`node bench/<script>`); this file only knows where they
// are. Figures go in bench/README.md and the READMEs it links.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');

/** name → script, what it measures, what it needs beyond a build. */
export const BENCHMARKS = [
  { name: 'core', script: 'bench/core.mjs', what: 'startup, 200- and 50-stage pipelines, add/status of 20,000 files and a 2 GiB file', needs: 'python3, ../shared/bench/workloads.py' },
  { name: 'add-file', script: 'bench/add-file.mjs', what: 'the ways a file can enter the cache, by size', needs: '—' },
  { name: 'stages', script: 'bench/stages.mjs', what: 'first and no-op repro/status of 5,000 trivial stages', needs: '—' },
  { name: 'state', script: 'bench/state.mjs', what: 'status with 200,000 stale hash-state entries', needs: '—' },
  { name: 'exp', script: 'bench/exp.mjs', what: 'exp show with 100 and 1,000 saved experiments; exp run over repro for one stage', needs: '—' },
  { name: 'datapath', script: 'bench/datapath.mjs', what: 'add/status/push/pull/checkout of 20,000 small files and one large file, as ratios to cp -a of the same data', needs: '—' },
  { name: 'tracking', script: 'bench/tracking.mjs', what: 'the text stages (and with --cifar10 a short CIFAR-10 training) tracked to none, MLflow and W&B contract servers on loopback', needs: '—' },
  { name: 'remote', script: 'bench/remote.mjs', what: 'push/pull to a local directory, sshd and S3 on loopback, against the AWS SDK', needs: 'python3, openssh-server, ../shared/bench/workloads.py' },
  { name: 'slurm', script: 'bench/slurm.mjs', what: 'per-stage overhead of the Slurm executor over local for 100 tiny stages at -j 8', needs: 'root, slurm-wlm and munge (test/helpers/slurm.sh starts a single-node cluster)' },
  { name: 'serve', script: 'bench/serve.mjs', what: 'mlp serve vs FastAPI + uvicorn + scikit-learn: requests/s and p50/p99 at 1, 16 and 64 connections', needs: 'python3-fastapi, python3-uvicorn, python3-sklearn for the comparison, ../shared/datasets' },
  { name: 'image', script: 'bench/image.mjs', what: 'mlp image build time and image size for the text and CIFAR-10 models; push of an unchanged image sends no blob', needs: 'docker-registry for the push, ../shared/datasets' },
  { name: 'text', script: 'bench/text/run.mjs', what: 'mlp text vs scikit-learn on the same splits', needs: 'python3 with scikit-learn (or --no-sklearn), ../shared/datasets' },
  { name: 'cifar10', script: 'bench/cifar10/bench.mjs', what: 'mlp cifar10 training vs PyTorch on the same network', needs: 'TensorFlow.js (npm ci), ../shared/datasets/cifar-10-binary.tar.gz, PyTorch for the comparison' },
];

function list() {
  const width = Math.max(...BENCHMARKS.map((b) => b.name.length));
  const lines = ['Benchmarks (npm run bench -- <name> [options]; details in bench/README.md):', ''];
  for (const b of BENCHMARKS) {
    lines.push(`  ${b.name.padEnd(width)}  ${b.what}`);
    lines.push(`  ${''.padEnd(width)}  node ${b.script}; needs: ${b.needs}`);
  }
  lines.push('', '  --all  run every one with its defaults, in turn');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function build() {
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function run(benchmark, options) {
  process.stderr.write(`\n== ${benchmark.name}: node ${benchmark.script} ${options.join(' ')}\n`);
  const result = spawnSync(process.execPath, [path.join(root, benchmark.script), ...options], { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

// Run only as a script: test/ci/bench.test.ts imports BENCHMARKS.
const [first, ...rest] = process.argv.slice(2);
if (import.meta.url !== pathToFileURL(process.argv[1] ?? '').href) {
  // imported
} else if (first === undefined || first === '--list' || first === '-h' || first === '--help') {
  list();
} else if (first === '--all') {
  build();
  const failed = BENCHMARKS.filter((b) => run(b, []) !== 0).map((b) => b.name);
  if (failed.length > 0) {
    process.stderr.write(`failed: ${failed.join(', ')}\n`);
    process.exit(1);
  }
} else {
  const benchmark = BENCHMARKS.find((b) => b.name === first);
  if (!benchmark) {
    process.stderr.write(`error: no benchmark named '${first}'\n`);
    list();
    process.exit(2);
  }
  if (!existsSync(path.join(root, benchmark.script))) throw new Error(`missing ${benchmark.script}`);
  build();
  process.exit(run(benchmark, rest));
}
