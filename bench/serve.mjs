#!/usr/bin/env node
// `mlp serve` against the stack it replaces — the same TF-IDF + logistic regression served by
// FastAPI + uvicorn + scikit-learn — under the same load from autocannon, side by side in one run.
//
//   node bench/serve.mjs [--duration 10] [--connections 1,16,64] [--data ../shared/datasets/text/sms_spam.csv]
//
// Both models are trained on the same split (`mlp text prepare`). The Python side needs python3
// with fastapi, uvicorn and scikit-learn (Debian: python3-fastapi python3-uvicorn python3-sklearn);
// without them only mlp is measured. Prints requests/s and p50/p99 latency per server and
// concurrency, with the machine's load; figures go in bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { currentBin, loadAverage, machine, option, root } from './lib.mjs';

const args = process.argv.slice(2);
const duration = Number(option(args, '--duration', '10'));
const connections = option(args, '--connections', '1,16,64').split(',').map(Number);
const data = path.resolve(option(args, '--data', path.join(root, '..', 'shared', 'datasets', 'text', 'sms_spam.csv')));

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
mlp('text', 'prepare', '--input', data, '--out', 'data');
mlp('text', 'train', '--data', 'data', '--out', 'model');

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
const loadBefore = loadAverage();
for (const c of connections) {
  for (const server of servers) {
    const result = await autocannon({
      url: `http://127.0.0.1:${server.port}/predict`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: c,
      duration,
    });
    rows.push([server.name, c, Math.round(result.requests.average), result.latency.p50, result.latency.p99, result.non2xx + result.errors]);
  }
}
const header = ['server', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
process.stdout.write(`${machine()}; load before ${loadBefore}, after ${loadAverage()}; ${duration} s per cell\n\n`);
process.stdout.write(`${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
process.exit(0);
