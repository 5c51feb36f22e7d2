#!/usr/bin/env node
// What tracking costs: the example pipeline's text stages (and, with --cifar10, a short CIFAR-10
// training) run with `--track none`, `mlflow` and `wandb`, the servers being the contract
// servers of the tests on loopback — so the difference is mlp's own overhead (building the run,
// the outbox, the HTTP calls), not a remote server's latency. Backends alternate within each
// round so that the machine's load drifts over all of them alike.
//
// A second part times mlp's tracking work itself, in process (no stage command around it, so the
// machine's load hardly blurs it): for train_text as it runs in the pipeline, the stage's start
// (run record, outbox), its end (params, metrics, lineage) and the delivery, for each backend.
//
// With --cifar10 the CIFAR-10 stages run in a reduced but real configuration (the example's CNN
// and optimiser, `--cifar-epochs` epochs on `--cifar-limit` training images, default 2 and 5000:
// a full run takes minutes a backend on 2 cores), and the in-process part also times
// train_cifar10's run (its params, history plot, per-epoch live points, the model's reference),
// which is set against the stage's own time for the "under 1 % of training" figure.
//
//   node bench/tracking.mjs [--runs N] [--micro-runs N] [--micro-only] [--cifar10] [--cifar-limit N] [--cifar-epochs N] [--cifar-runs N] [--cifar-archive FILE]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { currentBin, median, option, root, timeMlp } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(option(args, '--runs', '5'));
const withCifar = args.includes('--cifar10');
const cifarLimit = Number(option(args, '--cifar-limit', '5000'));
const cifarEpochs = Number(option(args, '--cifar-epochs', '2'));
const cifarRuns = Number(option(args, '--cifar-runs', '3'));
const BACKENDS = ['none', 'mlflow', 'wandb'];
const microOnly = args.includes('--micro-only');
const microRuns = Number(option(args, '--micro-runs', '30'));

const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-tracking-'));
const git = (...a) => execFileSync('git', a, { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'] });
for (const file of execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)) {
  if (/^(src|test|bench|stages)\//.test(file) || !fs.existsSync(path.join(root, file))) continue;
  fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
  fs.copyFileSync(path.join(root, file), path.join(clone, file));
}
fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(clone, 'node_modules'));
if (withCifar) {
  const archive = path.resolve(option(args, '--cifar-archive', path.resolve(root, '../shared/datasets/cifar-10-binary.tar.gz')));
  let params = fs.readFileSync(path.join(clone, 'params.yaml'), 'utf8');
  params = params.replace('skip_cifar10: true', 'skip_cifar10: false').replace(/source: .*/, `source: ${archive}`).replace(/md5: .*/, "md5: ''");
  params = params.replace(/sha256: ''/, `sha256: ${execFileSync('sha256sum', [archive], { encoding: 'utf8' }).split(' ')[0]}`);
  params = params.replace('epochs: 4', `epochs: ${cifarEpochs}`).replace('train_limit: 0', `train_limit: ${cifarLimit}`);
  fs.writeFileSync(path.join(clone, 'params.yaml'), params);
}
git('init', '-q', '-b', 'main');
git('-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'add', '-A');
git('-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'bench');

const server = spawn(process.execPath, [path.join(root, 'test/helpers/tracking-contract-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
const first = await new Promise((resolve) => readline.createInterface({ input: server.stdout }).once('line', resolve));
const url = `http://127.0.0.1:${first.split(' ')[1]}`;
const env = { MLFLOW_TRACKING_URI: url, WANDB_BASE_URL: url, WANDB_API_KEY: 'test-key' };

const stages = [['prepare_data_text', 'train_text'], ...(withCifar ? [['prepare_cifar10', 'train_cifar10']] : [])];
const results = [];
const micro = [];
try {
  timeMlp(currentBin, clone, ['repro', '-q', ...stages.flat()], env); // data prepared once, caches warm
  const { Repo } = await import('../dist/src/repo/repo.js');
  const { TrackingSession } = await import('../dist/src/tracking/session.js');
  const { trackingSettings } = await import('../dist/src/tracking/settings.js');
  const { liveTracker } = await import('../dist/src/tracking/live.js');
  for (const [stageName, backend] of [['train_text', 'mlflow'], ['train_text', 'wandb'], ...(withCifar ? [['train_cifar10', 'mlflow'], ['train_cifar10', 'wandb']] : [])]) {
    const repo = Repo.find(clone);
    const stage = repo.pipeline.stages.get(stageName);
    const points = stageName === 'train_text' ? 50 : cifarEpochs; // a solver's iterations, or one line per epoch
    const samples = [];
    for (let i = 0; i < microRuns + 3; i++) {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      const session = TrackingSession.open(repo, trackingSettings(repo.root, repo.config, env, backend), { env });
      await session.flush(); // the outbox is empty: one directory read
      const opened = process.hrtime.bigint();
      const stageEnv = session.stageStarted(stage);
      const live = liveTracker(stageEnv);
      for (let it = 0; it < points; it++) live.log(stageName === 'train_text' ? { loss: 1 / (it + 1) } : { train_loss: 1 / (it + 1), val_loss: 1 / (it + 1), val_accuracy: 0.5, learning_rate: 0.1, images_per_s: 900 }, it);
      await session.stageFinished(stage, 'ran');
      const report = await session.flush();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const used = process.cpuUsage(cpu);
      if (report.delivered !== 1) throw new Error(`${backend}: ${JSON.stringify(report)}`);
      if (i >= 3) samples.push({ ms, stageMs: Number(process.hrtime.bigint() - opened) / 1e6, cpu: (used.user + used.system) / 1000 }); // the first runs warm up the modules and connections
    }
    micro.push({ stage: stageName, backend, ms: median(samples.map((s) => s.ms)), stageMs: median(samples.map((s) => s.stageMs)), cpu: median(samples.map((s) => s.cpu)), runs: samples.length });
    repo.close();
  }
  for (const group of microOnly ? [] : stages) {
    const times = Object.fromEntries(BACKENDS.map((b) => [b, { total: [], stage: [], train: [], cpu: [] }]));
    for (let i = 0; i < (group[1] === 'train_cifar10' ? cifarRuns : runs); i++) {
      for (const backend of BACKENDS) {
        const r = timeMlp(currentBin, clone, ['repro', '-f', '--explain', '--track', backend, ...group], env);
        process.stderr.write(`${group.join('+')} ${backend} run ${i + 1}: ${r.seconds.toFixed(2)} s\n`);
        const stage = [...r.stdout.matchAll(/'[^']+' done in ([\d.]+) s/g)].reduce((sum, m) => sum + Number(m[1]), 0);
        const train = Number(new RegExp(`'${group[1]}' done in ([\\d.]+) s`).exec(r.stdout)?.[1] ?? NaN);
        if (backend !== 'none' && !r.stdout.includes(`Tracked ${group.length} runs`)) throw new Error(`${backend}: runs not tracked:\n${r.stdout}`);
        times[backend].total.push(r.seconds);
        times[backend].stage.push(stage);
        times[backend].train.push(train);
        if (r.cpu !== undefined) times[backend].cpu.push(r.cpu);
      }
    }
    for (const backend of BACKENDS) {
      const t = times[backend];
      results.push({ stages: group.join(' + '), backend, runs: t.total.length, total: median(t.total), stage: median(t.stage), train: median(t.train), cpu: t.cpu.length ? median(t.cpu) : undefined });
    }
  }
} finally {
  server.stdin.end();
  fs.rmSync(clone, { recursive: true, force: true });
}

console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${os.cpus().length} CPUs, Node ${process.version}`);
console.log('| stage | backend | runs | session + one run, wall (ms) | of which the stage\'s run (ms) | CPU, all (ms) |');
console.log('|---|---|---|---|---|---|');
for (const m of micro) console.log(`| ${m.stage} | ${m.backend} | ${m.runs} | ${m.ms.toFixed(1)} | ${m.stageMs.toFixed(1)} | ${m.cpu.toFixed(1)} |`);
if (microOnly) process.exit(0);
console.log();
const base = Object.fromEntries(results.filter((r) => r.backend === 'none').map((r) => [r.stages, r]));
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${os.cpus().length} CPUs, Node ${process.version}`);
console.log('| stages | backend | runs | repro total (s) | stage commands (s) | CPU (s) | overhead vs none (s) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  const over = r.backend === 'none' ? '—' : `${(r.total - base[r.stages].total).toFixed(3)} (CPU ${r.cpu === undefined ? '?' : (r.cpu - base[r.stages].cpu).toFixed(3)})`;
  console.log(`| ${r.stages} | ${r.backend} | ${r.runs} | ${r.total.toFixed(3)} | ${r.stage.toFixed(3)} | ${r.cpu?.toFixed(3) ?? '?'} | ${over} |`);
}
// Tracking's own cost per run (in process, above) against the training stage's time without tracking.
const cifarBase = base['prepare_cifar10 + train_cifar10'];
if (cifarBase) {
  console.log();
  for (const m of micro.filter((x) => x.stage === 'train_cifar10')) {
    console.log(`train_cifar10, ${m.backend}: ${m.ms.toFixed(1)} ms of tracking per run = ${((m.ms / 1000 / cifarBase.train) * 100).toFixed(3)} % of train_cifar10's ${cifarBase.train.toFixed(1)} s (target: under 1 %)`);
  }
}
