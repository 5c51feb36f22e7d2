/**
 * A real Prometheus (Debian's `prometheus` package, installed by .ci/run) on 127.0.0.1 for tests:
 * it scrapes the given targets every second and is read back through its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Whether `prometheus` (and `promtool`) can run here; on CI their absence is an error. */
export function havePrometheus(): boolean {
  const found = spawnSync('prometheus', ['--version']).error === undefined;
  if (!found && process.env.CI) throw new Error('prometheus is not installed: .ci/run installs it');
  return found;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  url: string;
  /** An instant query; throws on a query Prometheus rejects (with its error). */
  query(expr: string): Promise<Sample[]>;
  /** Polls `expr` until `accept` holds for its result (the first scrape of a target takes ~5 s). */
  poll(expr: string, accept: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  stop(): Promise<void>;
}

class NotReady extends Error {}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts Prometheus with its config and data in `dir`, scraping `targets` (host:port) as job `job`. */
export async function startPrometheus(dir: string, targets: string[], options: { job?: string; ruleFiles?: string[] } = {}): Promise<Prometheus> {
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles?.length ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    `  - job_name: ${options.job ?? 'mlp-serve'}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
  ].join('\n');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freePort();
  const child: ChildProcess = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const query = async (expr: string): Promise<Sample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (res.status === 503) throw new NotReady(); // still starting (replaying its write-ahead log)
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
    if (body.status !== 'success') throw new Error(`Prometheus rejected ${expr}: ${body.error}`);
    return body.data?.resultType === 'vector' ? body.data.result : [];
  };
  const prometheus: Prometheus = {
    url,
    query,
    async poll(expr, accept, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let samples: Sample[] = [];
        try {
          samples = await query(expr);
        } catch (error) {
          if (!(error instanceof NotReady) && !/fetch failed|ECONNREFUSED/.test(String((error as Error).message) + String((error as Error).cause))) throw error;
        }
        if (accept(samples)) return samples;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${expr}: last ${JSON.stringify(samples)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await closed;
    },
  };
  return prometheus;
}
