#!/usr/bin/env node
// `mlp serve` against the stack it replaces — the same TF-IDF + logistic regression served by
// FastAPI + uvicorn + scikit-learn — under the same load from autocannon, side by side in one run;
// then the CIFAR-10 CNN (images per second, with the server batching concurrent requests).
//
//   node bench/serve.mjs [--only text,cifar10] [--duration 10] [--connections 1,16,64]
//                        [--data ../shared/datasets/text/sms_spam.csv]
//                        [--cifar10 ../shared/datasets/cifar-10-binary.tar.gz] [--cifar10-workers 1,2]
//
// Text: both models are trained on the same split (`mlp text prepare`). The Python side needs
// python3 with fastapi, uvicorn and scikit-learn (Debian: python3-fastapi python3-uvicorn
// python3-sklearn); without them only mlp is measured. Prints requests/s and p50/p99 latency per
// server and concurrency, with the machine's load; figures go in bench/README.md.
//
// CIFAR-10: the default network of params.yaml (throughput depends on the architecture, not on
// how well it is trained, so it is trained for one epoch on 2,000 images), served with
// --workers 1 and 2; one test image per request as a PNG body, and 16 per request as base64 PNGs
// in JSON. mlp only: there is no TensorFlow in Debian for a Python baseline.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import autocannon from 'autocannon';
import { PNG } from 'pngjs';
import { parse } from 'yaml';
import { currentBin, loadAverage, machine, option, root } from './lib.mjs';

const args = process.argv.slice(2);
const duration = Number(option(args, '--duration', '10'));
const connections = option(args, '--connections', '1,16,64').split(',').map(Number);
const data = path.resolve(option(args, '--data', path.join(root, '..', 'shared', 'datasets', 'text', 'sms_spam.csv')));
const only = option(args, '--only', 'text,cifar10').split(',');
const cifarArchive = path.resolve(option(args, '--cifar10', path.join(root, '..', 'shared', 'datasets', 'cifar-10-binary.tar.gz')));
const cifarWorkers = option(args, '--cifar10-workers', '1,2').split(',').map(Number);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-serve-'));
const children = [];
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const mlp = (...a) => {
  const r = spawnSync(process.execPath, [currentBin, '-q', ...a], { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mlp ${a.join(' ')}: ${r.stderr}`);
};
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitReady(url, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

async function start(name, cmd, cmdArgs, readyPath, port) {
  const child = spawn(cmd, cmdArgs, { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  await waitReady(`http://127.0.0.1:${port}${readyPath}`, child);
  return { name, port, child };
}

async function stopServer(server) {
  server.child.kill('SIGKILL');
  await new Promise((r) => (server.child.exitCode !== null || server.child.signalCode !== null ? r() : server.child.once('close', r)));
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
}

const load = (url, c, body, contentType) =>
  autocannon({ url, method: 'POST', headers: { 'content-type': contentType }, body, connections: c, duration });

/** The text model: mlp serve (--workers 1 and 0) and FastAPI, one 120-character message a request. */
async function benchText() {
  mlp('text', 'prepare', '--input', data, '--out', 'data');
  mlp('text', 'train', '--data', 'data', '--out', 'model');
  const servers = [];
  for (const workers of [1, 0]) {
    const port = await freePort();
    servers.push(await start(`mlp serve --workers ${workers}`, process.execPath, [currentBin, '-q', 'serve', 'model', '--port', String(port), '--workers', String(workers), '--no-telemetry', '--no-watch'], '/ready', port));
  }

  // The first python3 that has the three (a pyenv shim may hide Debian's).
  const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import fastapi, uvicorn, sklearn']).status === 0);
  if (python) {
    fs.writeFileSync(
      path.join(work, 'app.py'),
      `import csv
from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

with open("data/train.csv", newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
vectorizer = TfidfVectorizer()
model = LogisticRegression(max_iter=1000).fit(vectorizer.fit_transform([r["text"] for r in rows]), [r["label"] for r in rows])
app = FastAPI()

class Item(BaseModel):
    text: str

@app.get("/health")
def health():
    return {"status": "ok"}

@app.post("/predict")
def predict(item: Item):
    p = model.predict_proba(vectorizer.transform([item.text]))[0]
    k = int(p.argmax())
    return {"label": str(model.classes_[k]), "confidence": float(p[k])}
`,
    );
    const port = await freePort();
    servers.push(await start('FastAPI + uvicorn (1 worker)', python, ['-m', 'uvicorn', 'app:app', '--port', String(port), '--log-level', 'warning'], '/health', port));
  } else {
    process.stderr.write('python3 with fastapi, uvicorn and scikit-learn not found: measuring mlp only\n');
  }

  const body = JSON.stringify({ text: 'Congratulations! You have won a free ticket to the Bahamas. Call now to claim your prize, or text STOP to opt out.' });
  const rows = [];
  for (const c of connections) {
    for (const server of servers) {
      const result = await load(`http://127.0.0.1:${server.port}/predict`, c, body, 'application/json');
      rows.push([server.name, c, Math.round(result.requests.average), result.latency.p50, result.latency.p99, result.non2xx + result.errors]);
    }
  }
  for (const server of servers) await stopServer(server);
  return table(['server', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows);
}

/** The CIFAR-10 CNN: images per second, one PNG a request and 16 a request. */
async function benchCifar10() {
  const dir = path.join(work, 'cifar10');
  fs.mkdirSync(dir);
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(cifarArchive)).digest('hex');
  const defaults = parse(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8')).cifar10;
  const params = { ...defaults, source: cifarArchive, sha256, md5: '', train: { ...defaults.train, epochs: 1, train_limit: 2000, val_limit: 200 } };
  fs.writeFileSync(path.join(dir, 'params.yaml'), JSON.stringify({ cifar10: params }));
  const run = (...a) => {
    const r = spawnSync(process.execPath, [currentBin, '-q', ...a], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mlp ${a.join(' ')}: ${r.stderr}`);
  };
  run('cifar10', 'prepare', '--params', 'params.yaml#cifar10', '--out', 'data');
  run('cifar10', 'train', '--data', 'data', '--out', 'model', '--params', 'params.yaml#cifar10');

  // Test images as PNG files, as a client would send them.
  const { readNpz } = await import(path.join(root, 'dist', 'stages', 'cifar10', 'npz.js'));
  const { x } = await readNpz(path.join(dir, 'data', 'test.npz'));
  const pngOf = (i) => {
    const png = new PNG({ width: 32, height: 32 });
    for (let p = 0; p < 1024; p++) png.data.set([x.data[i * 3072 + p * 3], x.data[i * 3072 + p * 3 + 1], x.data[i * 3072 + p * 3 + 2], 255], p * 4);
    return PNG.sync.write(png);
  };
  const one = pngOf(0);
  const batch = JSON.stringify({ images: Array.from({ length: 16 }, (_, i) => pngOf(i).toString('base64')) });
  const bodies = [
    ['1 PNG (image/png)', 1, one, 'image/png'],
    ['16 base64 PNGs (JSON)', 16, batch, 'application/json'],
  ];

  const rows = [];
  for (const workers of cifarWorkers) {
    const port = await freePort();
    const server = await start(`mlp serve --workers ${workers}`, process.execPath, [currentBin, '-q', 'serve', path.join(dir, 'model'), '--port', String(port), '--workers', String(workers), '--no-telemetry', '--no-watch'], '/ready', port);
    for (const [what, images, body, type] of bodies) {
      for (const c of connections) {
        const result = await load(`http://127.0.0.1:${port}/predict`, c, body, type);
        rows.push([server.name, what, c, Math.round(result.requests.average), Math.round(result.requests.average * images), result.latency.p50, result.latency.p99, result.non2xx + result.errors]);
      }
    }
    await stopServer(server);
  }
  return table(['server', 'request', 'connections', 'req/s', 'images/s', 'p50 ms', 'p99 ms', 'errors'], rows);
}

const loadBefore = loadAverage();
const tables = [];
if (only.includes('text')) tables.push(await benchText());
if (only.includes('cifar10')) tables.push(await benchCifar10());
process.stdout.write(`${machine()}; load before ${loadBefore}, after ${loadAverage()}; ${duration} s per cell\n\n${tables.join('\n')}`);
process.exit(0);
