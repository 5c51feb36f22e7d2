/**
 * `mlp deploy` on the workstation or CI runner, process mode: the model directory's files go to
 * the host content-addressed (a file the host already has is not sent again), then the host's
 * own mlp (`mlp deploy-host`, src/deploy/host.ts) makes the version, switches to it, supervises
 * `mlp serve` and waits for it to be healthy — or rolls back. Status, rollback and stop are
 * requests to the same host command.
 */
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { hashStandalone } from '../hash/hash-path.js';
import { objectKey } from '../remote/backend.js';
import type { SshBackend } from '../remote/ssh.js';
import { forEachLimit } from '../util/pool.js';
import { DEPLOY_PROTOCOL, type ActivateRequest, type ActivateResult, type HostReply, type HostStatus, type RollbackRequest } from './protocol.js';
import type { DeployTarget } from './target.js';

export interface DeployResult extends ActivateResult {
  target: string;
  host: string;
  /** Model files sent, and those the host already had. */
  sent: { files: number; bytes: number };
  present: number;
}

export interface DeployEvents {
  /** Before the upload: how many of the model's files (bytes) the host lacks. */
  sending?(files: number, bytes: number, total: number): void;
  /** Once the files are there: the host is starting the version and waiting for it. */
  starting?(): void;
}

export async function connect(target: DeployTarget, repoRoot: string): Promise<SshBackend> {
  const { SshBackend } = await import('../remote/ssh.js');
  return SshBackend.connect(target.ssh, target.location, repoRoot);
}

/** Deploys model directory `modelDir` to `target` as a supervised `mlp serve` process. */
export async function deployModel(target: DeployTarget, modelDir: string, repoRoot: string, events: DeployEvents = {}): Promise<DeployResult> {
  const abs = path.resolve(modelDir);
  const hashed = hashStandalone(abs);
  if (!hashed) throw new MlpError(`${modelDir} does not exist`, { hint: 'train the model first (`mlp repro`), or `mlp checkout` it from the cache', exitCode: ExitCode.usage });
  if (!hashed.manifest) throw new MlpError(`${modelDir} is a file, not a model directory`, { hint: 'give the directory `mlp text train` or `mlp cifar10 train` wrote', exitCode: ExitCode.usage });
  const manifest = hashed.manifest;
  const { modelSource } = await import('../serve/source.js');
  const { sha256: _sha, ...source } = modelSource(abs);

  const backend = await connect(target, repoRoot);
  try {
    // Content-addressed: only what the host lacks is sent (one check per file of the model).
    const unique = [...new Map(manifest.map((e) => [e.hash, e])).values()];
    const missing: typeof unique = [];
    await forEachLimit(unique, 16, async (entry) => {
      if (!(await backend.exists(objectKey(entry.hash)))) missing.push(entry);
    });
    const bytes = missing.reduce((n, e) => n + e.size, 0);
    events.sending?.(missing.length, bytes, unique.length);
    await forEachLimit(missing, 8, async (entry) => {
      await backend.put(objectKey(entry.hash), { file: path.join(abs, entry.path), size: entry.size }, () => {});
    });
    events.starting?.();
    const request: ActivateRequest = {
      protocol: DEPLOY_PROTOCOL,
      sha256: hashed.hash,
      manifest,
      keep: target.keep,
      health_timeout: target.healthTimeoutSeconds,
      http_host: target.httpHost,
      http_port: target.httpPort,
      workers: target.workers,
      ...(Object.keys(source).length > 0 ? { source: source as Record<string, string> } : {}),
    };
    const result = await runHost<ActivateResult>(backend, target, 'activate', request);
    return { ...result, target: target.name, host: backend.address, sent: { files: missing.length, bytes }, present: unique.length - missing.length };
  } finally {
    await backend.close();
  }
}

export type StatusResult = { target: string; host: string } & ({ mode: 'process'; status: HostStatus } | { mode: 'container'; containers: string });

export async function deployStatus(target: DeployTarget, repoRoot: string): Promise<StatusResult> {
  return withHost(target, repoRoot, async (backend) => {
    const where = { target: target.name, host: backend.address };
    const container = await import('./container.js');
    if (await container.isContainerTarget(target, backend)) return { ...where, mode: 'container', containers: await container.containerStatus(target, backend) };
    return { ...where, mode: 'process', status: await runHost<HostStatus>(backend, target, 'status', { protocol: DEPLOY_PROTOCOL }) };
  });
}

export type RollbackResult = { target: string; host: string } & ({ mode: 'process'; result: ActivateResult } | { mode: 'container'; container: string });

export async function deployRollback(target: DeployTarget, repoRoot: string): Promise<RollbackResult> {
  const request: RollbackRequest = { protocol: DEPLOY_PROTOCOL, health_timeout: target.healthTimeoutSeconds };
  return withHost(target, repoRoot, async (backend) => {
    const where = { target: target.name, host: backend.address };
    const container = await import('./container.js');
    if (await container.isContainerTarget(target, backend)) return { ...where, mode: 'container', ...(await container.rollbackContainer(target, backend)) };
    return { ...where, mode: 'process', result: await runHost<ActivateResult>(backend, target, 'rollback', request) };
  });
}

export async function deployStop(target: DeployTarget, repoRoot: string): Promise<{ stopped: boolean; target: string; host: string }> {
  return withHost(target, repoRoot, async (backend) => ({ ...(await runHost<{ stopped: boolean }>(backend, target, 'stop', { protocol: DEPLOY_PROTOCOL })), target: target.name, host: backend.address }));
}

async function withHost<T>(target: DeployTarget, repoRoot: string, action: (backend: SshBackend) => Promise<T>): Promise<T> {
  const backend = await connect(target, repoRoot);
  try {
    return await action(backend);
  } finally {
    await backend.close();
  }
}

/** POSIX shell quoting of one word. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs `mlp deploy-host <op> <dir>` on the host with `request` on its stdin; its one-line JSON reply becomes the result or an MlpError. */
async function runHost<T>(backend: SshBackend, target: DeployTarget, op: string, request: unknown): Promise<T> {
  // `target.mlp` is a command line from the configuration (it may be `node /opt/mlp/bin/mlp.js`): not quoted.
  const command = `${target.mlp} deploy-host ${op} ${shellQuote(target.location.path)}`;
  const run = await backend.exec(command, JSON.stringify(request));
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let reply: HostReply<T> | undefined;
  try {
    reply = JSON.parse(line) as HostReply<T>;
  } catch {
    reply = undefined;
  }
  const setting = target.name === target.url ? '--mlp <command>' : `deploy.${target.name}.mlp in .mlp/config.yaml (or --mlp <command>)`;
  if (!reply || typeof reply !== 'object') {
    const said = (run.stderr.trim() || run.stdout.trim()).split('\n').slice(-3).join(' | ');
    if (run.code === 127 || /not found|No such file/i.test(run.stderr)) {
      throw new MlpError(`mlp does not run on ${backend.address}: \`${target.mlp}\` was not found there (${said})`, {
        hint: `install mlp on the host (npm install -g mlp-pipeline), or set the command that runs it with ${setting}; hosts with docker or podman can take an image instead: --image`,
      });
    }
    throw new MlpError(`the mlp on ${backend.address} did not answer the deploy request (exit ${run.code}${said ? `: ${said}` : ''})`, {
      hint: `check that \`${target.mlp} --version\` there is the same mlp release as here (${setting} sets the command)`,
    });
  }
  if (reply.protocol !== DEPLOY_PROTOCOL) {
    throw new MlpError(`the mlp on ${backend.address} speaks deploy protocol ${String(reply.protocol)}, this one ${DEPLOY_PROTOCOL}`, { hint: 'install the same mlp release on both sides' });
  }
  if (!reply.ok) throw new MlpError(`${backend.address}: ${reply.error.message}`, { ...(reply.error.hint ? { hint: reply.error.hint } : {}), exitCode: reply.error.exit_code as ExitCode });
  return reply.result;
}
