/**
 * The tracking contract servers (tracking-contract-server.mjs: MLflow REST 2.0 and W&B, strict)
 * in a child process — a child, because end-to-end tests run mlp with spawnSync, which would
 * block a server in the test's own process — with the controls tests need: recorded requests,
 * injected failures, an outage. With MLP_TEST_MLFLOW_URI (MLflow) or MLP_TEST_WANDB_BASE_URL
 * and WANDB_API_KEY (W&B) set, `mlflowUri()`/`wandbBaseUrl()` point at that real server instead
 * and the tests that need the controls are skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { PROJECT_ROOT } from './cli.js';

export const REAL_MLFLOW = process.env.MLP_TEST_MLFLOW_URI;
export const REAL_WANDB = process.env.MLP_TEST_WANDB_BASE_URL;
export const CONTRACT_WANDB_KEY = 'test-key';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status?: number | 'dropped';
  auth: 'yes' | 'no';
}

export class TrackingServers {
  private waiting: ((line: string) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    lines: readline.Interface,
  ) {
    lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The MLflow server tests talk to: a real one when MLP_TEST_MLFLOW_URI is set. */
  mlflowUri(): string {
    return REAL_MLFLOW ?? this.url;
  }

  wandbBaseUrl(): string {
    return REAL_WANDB ?? this.url;
  }

  wandbKey(): string {
    return REAL_WANDB ? (process.env.WANDB_API_KEY ?? '') : CONTRACT_WANDB_KEY;
  }

  static async start(options: string[] = []): Promise<TrackingServers> {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'test/helpers/tracking-contract-server.mjs'), ...options], {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`tracking contract server exited with ${code}`)));
    });
    return new TrackingServers(child, Number(first.split(' ')[1]), lines);
  }

  async command(line: string): Promise<unknown> {
    const answer = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.child.stdin?.write(`${line}\n`);
    const reply = await answer;
    if (!reply.startsWith('ok')) throw new Error(`tracking contract server: ${reply}`);
    return JSON.parse(reply.slice(3)) as unknown;
  }

  async requests(): Promise<RecordedRequest[]> {
    return (await this.command('requests')) as RecordedRequest[];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    await exited;
  }
}

/** Reads MLflow back through its REST API (works against the contract server and a real one). */
export async function mlflowGet(uri: string, endpoint: string, query: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${uri}/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`, { headers });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

export async function mlflowPost(uri: string, endpoint: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${uri}/api/2.0/mlflow/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** The runs of an MLflow experiment, by name (empty when it does not exist). */
export async function mlflowRuns(uri: string, experiment: string): Promise<any[]> {
  const found = await mlflowGet(uri, 'experiments/get-by-name', { experiment_name: experiment });
  if (found.status !== 200) return [];
  const search = await mlflowPost(uri, 'runs/search', { experiment_ids: [found.body.experiment.experiment_id], max_results: 1000 });
  return search.body?.runs ?? [];
}

export const WANDB_RUN_QUERY = `query Run($project: String, $entity: String, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { name displayName state config summaryMetrics tags commit history files } }
}`;

export async function wandbRun(baseUrl: string, key: string, entity: string, project: string, name: string): Promise<any> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`api:${key}`).toString('base64')}` },
    body: JSON.stringify({ query: WANDB_RUN_QUERY, variables: { project, entity, name } }),
  });
  const body = (await response.json()) as { data?: { project?: { run?: unknown } } };
  return body.data?.project?.run;
}

/** Values of an MLflow run's key/value list as a map. */
export function asMap(list: Array<{ key: string; value: unknown }> | undefined): Record<string, any> {
  return Object.fromEntries((list ?? []).map((e) => [e.key, e.value]));
}
