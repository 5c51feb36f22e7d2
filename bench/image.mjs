#!/usr/bin/env node
// `mlp image build` and `mlp image push`: build time and image size for the text and CIFAR-10
// models, and what a push of an unchanged image sends (target: no blob).
//
//   node bench/image.mjs [--runs 3] [--skip-cifar10] [--data ../shared/datasets]
//
// Models: the text model trained on sms_spam.csv; the CIFAR-10 CNN trained for one epoch on 1,000
// images of cifar-10-binary.tar.gz (its size does not depend on training longer). Builds: "cold"
// is a fresh layout and an empty layer cache (every layer compressed); "rebuild" is the same
// layout again (Node and mlp unchanged: only the model layer is written). The push goes to
// Debian's docker-registry on 127.0.0.1 (skipped when it is not installed); the registry's access
// log counts the uploads the second push started.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { currentBin, loadAverage, machine, median, option, root } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(option(args, '--runs', '3'));
const datasets = path.resolve(option(args, '--data', path.join(root, '..', 'shared', 'datasets')));
const skipCifar = args.includes('--skip-cifar10');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-image-'));
let registry;
process.on('exit', () => {
  registry?.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

/** CPU seconds (user + system) of this process's waited-for children, from /proc: load-independent, unlike wall time. */
function childCpu() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ = 100)
}

function mlp(args, env = {}) {
  const started = process.hrtime.bigint();
  const cpuBefore = childCpu();
  const r = spawnSync(process.execPath, [currentBin, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`mlp ${args.join(' ')}: ${r.stderr}`);
  return { stdout: r.stdout, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu: childCpu() - cpuBefore };
}

const models = [];
mlp(['-q', 'text', 'prepare', '--input', path.join(datasets, 'text', 'sms_spam.csv'), '--out', 'text-data']);
mlp(['-q', 'text', 'train', '--data', 'text-data', '--out', 'text-model']);
models.push({ name: 'text', dir: 'text-model' });
if (!skipCifar) {
  mlp(['-q', 'cifar10', 'prepare', '--source', path.join(datasets, 'cifar-10-binary.tar.gz'), '--out', 'cifar-data']);
  mlp(['-q', 'cifar10', 'train', '--data', 'cifar-data', '--out', 'cifar-model', '--epochs', '1', '--train-limit', '1000']);
  models.push({ name: 'cifar10', dir: 'cifar-model' });
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

let host;
let logFile;
const registryBin = ['/usr/bin/docker-registry', '/usr/bin/registry'].find((p) => fs.existsSync(p));
if (registryBin) {
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  logFile = path.join(work, 'registry.log');
  fs.writeFileSync(
    path.join(work, 'registry.yml'),
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(work, 'registry')}\nhttp:\n  addr: ${host}\n`,
  );
  const fd = fs.openSync(logFile, 'a');
  registry = spawn(registryBin, ['serve', path.join(work, 'registry.yml')], { stdio: ['ignore', fd, fd] });
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`http://${host}/v2/`).catch(() => undefined))?.ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const uploads = () => (fs.readFileSync(logFile, 'utf8').match(/"POST \/v2\/[^"]*\/blobs\/uploads\/ HTTP/g) ?? []).length;

const mib = (b) => (b / 1024 / 1024).toFixed(1);
const rows = [];
for (const model of models) {
  const cold = [];
  const warm = [];
  const coldCpu = [];
  const warmCpu = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const layout = path.join(work, `${model.name}-layout-${i}`);
    const env = { XDG_CACHE_HOME: path.join(work, `cache-${model.name}-${i}`) };
    const c = mlp(['image', 'build', model.dir, '--json', '-o', layout, '--tag', 'v1'], env);
    cold.push(c.seconds);
    coldCpu.push(c.cpu);
    result = JSON.parse(c.stdout);
    const w = mlp(['image', 'build', model.dir, '--json', '-o', layout, '--tag', 'v1'], env);
    warm.push(w.seconds);
    warmCpu.push(w.cpu);
  }
  const row = { model: model.name, cold: median(cold), warm: median(warm), coldCpu: median(coldCpu), warmCpu: median(warmCpu), size: result.size, layers: result.layers };
  if (host) {
    const layout = path.join(work, `${model.name}-layout-0`);
    const first = mlp(['image', 'push', `${host}/bench/${model.name}:v1`, '--layout', layout, '--json']);
    const before = uploads();
    const again = mlp(['image', 'push', `${host}/bench/${model.name}:v1`, '--layout', layout, '--json']);
    row.push = { seconds: first.seconds, cpu: first.cpu, sent: JSON.parse(first.stdout).blobsSent };
    row.again = { seconds: again.seconds, cpu: again.cpu, sent: JSON.parse(again.stdout).blobsSent, uploads: uploads() - before };
  }
  rows.push(row);
}

const lines = [
  `mlp image — ${machine()}, load average ${loadAverage()}, ${runs} run(s), medians; times are wall (CPU) seconds`,
  '',
  '| model | image (compressed) | layers (runtime / mlp / model) | cold build | rebuild | first push (blobs) | unchanged push (blobs, uploads started) |',
  '|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const layers = r.layers.map((l) => `${mib(l.size)}`).join(' / ');
  const t = (wall, cpu) => `${wall.toFixed(2)} (${cpu.toFixed(2)})`;
  const push = r.push ? `${t(r.push.seconds, r.push.cpu)}, ${r.push.sent}` : '—';
  const again = r.again ? `${t(r.again.seconds, r.again.cpu)}, ${r.again.sent}, ${r.again.uploads}` : '—';
  lines.push(`| ${r.model} | ${mib(r.size)} MiB | ${layers} MiB | ${t(r.cold, r.coldCpu)} | ${t(r.warm, r.warmCpu)} | ${push} | ${again} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
