/**
 * `mlp deploy --image`, container mode: on a host with docker or podman, the image (a registry
 * reference, pulled there; or an archive from `mlp image save`, sent content-addressed and
 * loaded) runs as container `mlp-<target>` with `--restart unless-stopped` (the runtime is the
 * supervisor), port 80 of the container published on the target's http_host:http_port. It goes
 * live only once the runtime reports the image's healthcheck (`/health`) healthy; otherwise it is
 * removed and the previous container (kept as `mlp-<target>-previous`) is started again.
 *
 * Everything here is shell commands over SSH: a container host needs no mlp of its own.
 * Not covered by the tests: no container runtime runs where they do (see the README).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { hashFileSync } from '../hash/hash-file.js';
import type { SshBackend } from '../remote/ssh.js';
import { connect, shellQuote } from './deploy.js';
import type { DeployTarget } from './target.js';

export interface ContainerDeployResult {
  target: string;
  runtime: string;
  image: string;
  container: string;
  waited_s: number;
  previous?: string;
}

export const MODE_FILE = 'mode';

export function containerName(target: DeployTarget): string {
  return `mlp-${target.name.includes('://') ? target.location.path.split('/').filter(Boolean).pop() ?? 'model' : target.name}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

async function sh(backend: SshBackend, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return backend.exec(command);
}

async function runtimeOf(backend: SshBackend): Promise<string> {
  const found = await sh(backend, 'command -v docker || command -v podman');
  const runtime = found.stdout.trim().split('\n')[0];
  if (found.code !== 0 || !runtime) {
    throw new MlpError(`${backend.address} has neither docker nor podman`, { hint: 'deploy the model directory instead (--model <dir>: runs `mlp serve` under a supervisor), or install a container runtime there' });
  }
  return runtime;
}

export async function deployImage(target: DeployTarget, image: string, repoRoot: string, events: { sending?(bytes: number): void } = {}): Promise<ContainerDeployResult> {
  const backend = await connect(target, repoRoot);
  try {
    const rt = shellQuote(await runtimeOf(backend));
    const root = target.location.path;
    let ref = image;
    const archive = path.resolve(repoRoot, image);
    if (fs.existsSync(archive) && fs.statSync(archive).isFile()) {
      // An archive: sent once (content-addressed), then loaded.
      const key = `images/${hashFileSync(archive)}.tar`;
      if (!(await backend.exists(key))) {
        const size = fs.statSync(archive).size;
        events.sending?.(size);
        await backend.put(key, { file: archive, size }, () => {});
      }
      const loaded = await sh(backend, `${rt} load -i ${shellQuote(`${root}/${key}`)}`);
      const name = /Loaded image(?:\(s\))?(?: ID)?: (\S+)/.exec(loaded.stdout)?.[1];
      if (loaded.code !== 0 || !name) throw new MlpError(`${rt} load of ${image} failed on ${backend.address}: ${(loaded.stderr || loaded.stdout).trim()}`, { hint: 'check that the archive is one `mlp image save` (or `docker save`) wrote' });
      ref = name;
    } else {
      const pulled = await sh(backend, `${rt} pull ${shellQuote(ref)}`);
      if (pulled.code !== 0) throw new MlpError(`${rt} pull ${ref} failed on ${backend.address}: ${pulled.stderr.trim()}`, { hint: 'check the reference and that the host may read the registry (`docker login` there)' });
    }
    const name = containerName(target);
    const previous = `${name}-previous`;
    const had = (await sh(backend, `${rt} inspect ${shellQuote(name)} >/dev/null 2>&1`)).code === 0;
    await sh(backend, `mkdir -p ${shellQuote(root)} && echo container > ${shellQuote(`${root}/${MODE_FILE}`)}`);
    if (had) await sh(backend, `${rt} rm -f ${shellQuote(previous)} >/dev/null 2>&1; ${rt} stop ${shellQuote(name)} >/dev/null && ${rt} rename ${shellQuote(name)} ${shellQuote(previous)}`);
    const publish = `${target.httpHost}:${target.httpPort}:80`;
    const run = await sh(backend, `${rt} run -d --name ${shellQuote(name)} --restart unless-stopped --label mlp.deploy=${shellQuote(target.name)} -p ${shellQuote(publish)} ${shellQuote(ref)}`);
    const waited = run.code === 0 ? await waitHealthy(backend, rt, name, target.healthTimeoutSeconds) : { ok: false as const, reason: run.stderr.trim(), seconds: 0 };
    if (waited.ok) return { target: target.name, runtime: path.basename(rt), image: ref, container: name, waited_s: waited.seconds, ...(had ? { previous } : {}) };
    const logs = (await sh(backend, `${rt} logs --tail 20 ${shellQuote(name)} 2>&1`)).stdout.trim();
    await sh(backend, `${rt} rm -f ${shellQuote(name)} >/dev/null 2>&1`);
    let after = 'nothing runs now (there was no previous container)';
    if (had) {
      const back = await sh(backend, `${rt} rename ${shellQuote(previous)} ${shellQuote(name)} && ${rt} start ${shellQuote(name)}`);
      after = back.code === 0 ? `rolled back: the previous container runs again as ${name}` : `the previous container did not start again: ${back.stderr.trim()}`;
    }
    throw new MlpError(`${ref} did not become healthy on ${backend.address}: ${waited.reason}; ${after}${logs ? `\n${logs.split('\n').map((l) => `  | ${l}`).join('\n')}` : ''}`, {
      hint: `\`${path.basename(rt)} logs ${name}\` on the host shows more`,
      exitCode: ExitCode.failure,
    });
  } finally {
    await backend.close();
  }
}

async function waitHealthy(backend: SshBackend, rt: string, name: string, timeoutSeconds: number): Promise<{ ok: true; seconds: number } | { ok: false; reason: string; seconds: number }> {
  const started = Date.now();
  for (;;) {
    const seconds = Math.round((Date.now() - started) / 1000);
    const state = await sh(backend, `${rt} inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.RestartCount}}' ${shellQuote(name)}`);
    const [status, health, restarts] = state.stdout.trim().split(' ');
    if (status === 'running' && health === 'healthy') return { ok: true, seconds };
    if (health === 'unhealthy') return { ok: false, reason: 'its healthcheck (/health) failed', seconds };
    if (Number(restarts) > 0 || status === 'exited' || status === 'dead') return { ok: false, reason: `the container exited (${status})`, seconds };
    if (health === 'none' && status === 'running' && seconds >= 5) return { ok: true, seconds }; // an image without a healthcheck: running is all it says
    if (seconds > timeoutSeconds) return { ok: false, reason: `not healthy within ${timeoutSeconds} s`, seconds };
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** `mlp deploy rollback` on a container host: the previous container and the live one change places. */
export async function rollbackContainer(target: DeployTarget, backend: SshBackend): Promise<{ container: string }> {
  const rt = shellQuote(await runtimeOf(backend));
  const name = shellQuote(containerName(target));
  const previous = shellQuote(`${containerName(target)}-previous`);
  const swap = await sh(backend, `${rt} inspect ${previous} >/dev/null 2>&1 || exit 3; ${rt} stop ${name} && ${rt} rename ${name} ${name}-swap && ${rt} rename ${previous} ${name} && ${rt} rename ${name}-swap ${previous} && ${rt} start ${name}`);
  if (swap.code === 3) throw new MlpError(`no previous container of ${target.name} to roll back to`, { hint: 'deploy the image you want with `mlp deploy <target> --image <ref>`' });
  if (swap.code !== 0) throw new MlpError(`the rollback failed on ${backend.address}: ${swap.stderr.trim()}`, { hint: 'check the containers there (`docker ps -a`)' });
  return { container: containerName(target) };
}

/** `mlp deploy status` on a container host: the runtime's view of the live and previous containers. */
export async function containerStatus(target: DeployTarget, backend: SshBackend): Promise<string> {
  const rt = shellQuote(await runtimeOf(backend));
  const name = containerName(target);
  const out = await sh(backend, `${rt} ps -a --filter name=^${name} --format '{{.Names}}  {{.Image}}  {{.Status}}'`);
  return out.stdout;
}

/** Whether the deploy directory on the host holds a container deployment (written by deployImage). */
export async function isContainerTarget(target: DeployTarget, backend: SshBackend): Promise<boolean> {
  const mode = await sh(backend, `cat ${shellQuote(`${target.location.path}/${MODE_FILE}`)} 2>/dev/null`);
  return mode.stdout.trim() === 'container';
}
