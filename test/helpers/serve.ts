/** `mlp serve` in tests: a small text model, and the server started on a free port and stopped. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { runMlp, startMlp, tempDir, waitFor, writeFiles, type RunResult } from './cli.js';

/** A small, separable corpus: enough for a model whose answers are predictable (`extra`: CSV rows appended). */
export function corpus(extra = ''): string {
  const spam = ['win a free prize now', 'free cash claim now', 'claim your free prize', 'urgent win cash now', 'free entry win prize'];
  const ham = ['see you at lunch', 'call mom tonight', 'meeting moved to noon', 'lunch at noon today', 'see you tonight mom'];
  const rows = ['text,label'];
  for (let i = 0; i < 6; i++) {
    for (const s of spam) rows.push(`${s} ${i},spam`);
    for (const h of ham) rows.push(`${h} ${i},ham`);
  }
  return `${rows.join('\n')}\n${extra}`;
}

/** Trains the text model on `corpus()` into `dir/out`. */
export function trainModel(dir: string, out = 'model'): void {
  writeFiles(dir, { 'docs.csv': corpus() });
  expect(runMlp(dir, ['-q', 'text', 'prepare', '--input', 'docs.csv', '--out', 'data']).code).toBe(0);
  const train = runMlp(dir, ['-q', 'text', 'train', '--data', 'data', '--out', out]);
  expect(train.stderr).toBe('');
}

export interface Server {
  url: string;
  child: ChildProcess;
  done: Promise<RunResult>;
  output(): string;
}

/** Starts `mlp serve <args> --port 0` and waits until it serves; `started` collects it for cleanup. */
export async function startServe(cwd: string, args: string[], started: Server[]): Promise<Server> {
  const { child, done } = startMlp(cwd, ['serve', ...args, '--port', '0']);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  void done.then(() => (exited = true));
  const server = { url: '', child, done, output: () => out };
  started.push(server);
  await waitFor(() => /^Serving /m.test(out) || exited, 60_000);
  if (exited) throw new Error(`mlp serve exited: ${out}`);
  server.url = /Listening on (\S+)/.exec(out)![1]!;
  return server;
}

/** Kills what is still running of `started` (after a failed test) and waits for it. */
export async function stopAll(started: Server[]): Promise<void> {
  for (const s of started.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.done;
  }
}

export async function post(url: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/**
 * For a test file of servers: the servers its tests start (`servers`, for `startServe`) and the
 * directories they make (`workdir()`, or any pushed on `dirs`), stopped and removed after each test.
 */
export function serverFixtures(): { servers: Server[]; dirs: string[]; workdir(): string } {
  const servers: Server[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await stopAll(servers);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    servers,
    dirs,
    workdir: () => {
      const dir = tempDir();
      dirs.push(dir);
      return dir;
    },
  };
}
