/**
 * The host side of `mlp deploy` in process mode: what `mlp deploy-host` does in the deploy
 * directory on the target host. Layout:
 *
 *   files/sha256/<2>/<62>     the model files, content-addressed (an mlp remote's layout): a file
 *                             already there is never sent again
 *   versions/<id>/model/      a version's model directory (hard links to the files), id = the
 *                             first 12 hex digits of the model's sha256
 *   versions/<id>/version.json, manifest.json
 *   current -> versions/<id>  the version that should run; switched by one rename (atomic)
 *   settings.json             the address, port and workers of `mlp serve`
 *   run/supervisor.json       the supervisor's pid, the server's pid, restarts (supervisor.ts)
 *   logs/serve.log            the supervisor's and the server's output
 *   deploy.lock               one deploy, rollback or stop at a time
 *
 * A new version goes live only once `mlp serve` answers /ready and /health and reports the new
 * model's hash; otherwise `current` goes back to the previous version, which is started again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../errors.js';
import { hashFileSync, hashBytes } from '../hash/hash-file.js';
import { serializeManifest, type ManifestEntry } from '../hash/hash-path.js';
import { isValidManifest } from '../schema/manifest.js';
import { isSha256, type Sha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';
import { isSameProcess, processStartTime } from '../util/processes.js';
import { isTempName } from '../util/temp-files.js';
import { OBJECTS_DIR, type ActivateRequest, type ActivateResult, type HostStatus, type RollbackRequest, type ServeSettings, type VersionInfo } from './protocol.js';
import { readSettings, readSupervisorState, SERVE_LOG, SETTINGS_FILE, SUPERVISOR_STATE } from './supervisor.js';

const POLL_MS = 200;
const STOP_TIMEOUT_MS = 20_000;

export class HostDeployment {
  constructor(
    readonly root: string,
    /** The mlp entry point that runs here: the supervisor is started with it. */
    private readonly mlpScript: string,
  ) {}

  private at(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  async activate(request: ActivateRequest): Promise<ActivateResult> {
    checkRequest(request);
    const release = this.lock();
    try {
      const id = request.sha256.slice(0, 12);
      const settings: ServeSettings = { http_host: request.http_host, http_port: request.http_port, workers: request.workers };
      const before = this.currentId();
      const previous = before === undefined ? undefined : this.version(before);
      const sameSettings = JSON.stringify(readSettings(this.root)) === JSON.stringify(settings);
      if (before === id && sameSettings && this.supervisorRunning()) {
        const answer = await probe(this.url(settings));
        if (answer.ready && answer.sha256 === request.sha256) {
          const pid = readSupervisorState(this.root)?.serve_pid;
          return { outcome: 'unchanged', version: previous!, url: this.url(settings), ...(pid !== undefined ? { pid } : {}), waited_ms: 0, pruned: [] };
        }
      }
      const version = this.materialize(request, id);
      writeFileAtomic(this.at(SETTINGS_FILE), `${JSON.stringify(settings)}\n`);
      const started = Date.now();
      const wait = await this.switchTo(id, request.sha256, request.health_timeout);
      if (wait.ok) {
        const live = this.setStatus(id, 'ok');
        return { outcome: 'deployed', version: live, ...(previous && previous.id !== id ? { previous } : {}), url: this.url(settings), pid: wait.pid, waited_ms: Date.now() - started, pruned: this.prune(request.keep) };
      }
      const failed = this.setStatus(id, 'failed');
      const result = { version: failed, reason: wait.reason, log: wait.log, url: this.url(settings), waited_ms: Date.now() - started };
      if (previous && previous.id !== id && previous.status === 'ok') {
        const back = await this.switchTo(previous.id, previous.sha256, request.health_timeout);
        return { ...result, outcome: 'rolled-back', previous, restored: back.ok, ...(back.ok ? { pid: back.pid } : {}), pruned: this.prune(request.keep) };
      }
      // Nothing healthy to go back to: nothing runs (a version that was live before keeps `current`, for `mlp deploy status`).
      await this.stopSupervisor();
      if (before === undefined) fs.rmSync(this.at('current'), { force: true });
      return { ...result, outcome: 'failed', pruned: [] };
    } finally {
      release();
    }
  }

  /** Goes back to the version deployed before the live one (failed versions are skipped). */
  async rollback(request: RollbackRequest): Promise<ActivateResult> {
    const release = this.lock();
    try {
      const current = this.currentId();
      const versions = this.versions().sort((a, b) => b.deployed_at.localeCompare(a.deployed_at));
      const index = versions.findIndex((v) => v.id === current);
      if (current === undefined || index === -1) {
        throw new MlpError(`nothing is deployed in ${this.root}`, { hint: 'deploy a model first: mlp deploy <target> --model <dir>' });
      }
      const target = versions.slice(index + 1).find((v) => v.status === 'ok');
      if (!target) {
        throw new MlpError(`no earlier version to roll back to in ${this.root} (${versions.length === 1 ? 'only one version is kept' : 'the others failed their health checks'})`, {
          hint: 'deploy the model you want with `mlp deploy <target> --model <dir>`; --keep sets how many versions are kept',
        });
      }
      const live = versions[index]!;
      const settings = this.settings();
      const started = Date.now();
      const wait = await this.switchTo(target.id, target.sha256, request.health_timeout);
      if (wait.ok) return { outcome: 'deployed', version: target, previous: live, url: this.url(settings), pid: wait.pid, waited_ms: Date.now() - started, pruned: [] };
      const back = await this.switchTo(live.id, live.sha256, request.health_timeout);
      return { outcome: 'rolled-back', version: target, previous: live, reason: wait.reason, log: wait.log, restored: back.ok, url: this.url(settings), waited_ms: Date.now() - started, pruned: [] };
    } finally {
      release();
    }
  }

  /** Stops the supervisor and the server; `current` stays, so the next deploy or `start` knows what ran. */
  async stop(): Promise<{ stopped: boolean }> {
    const release = this.lock();
    try {
      return { stopped: await this.stopSupervisor() };
    } finally {
      release();
    }
  }

  async status(): Promise<HostStatus> {
    if (!fs.existsSync(this.root)) throw new MlpError(`nothing is deployed: ${this.root} does not exist on the host`, { hint: 'deploy a model first: mlp deploy <target> --model <dir>' });
    const current = this.currentId();
    const state = readSupervisorState(this.root);
    const running = state !== undefined && isRunning(state.pid, state.start_time);
    const url = this.url(this.settings());
    const status: HostStatus = {
      root: this.root,
      ...(current !== undefined ? { current } : {}),
      versions: this.versions()
        .sort((a, b) => b.deployed_at.localeCompare(a.deployed_at))
        .map((v) => ({ ...v, live: running && state?.version === v.id })),
      url,
    };
    if (state) {
      status.supervisor = {
        pid: state.pid,
        running,
        restarts: state.restarts,
        started_at: state.started_at,
        ...(running && state.serve_pid !== undefined && isRunning(state.serve_pid, state.serve_start_time) ? { serve_pid: state.serve_pid } : {}),
        ...(state.last_exit !== undefined ? { last_exit: state.last_exit } : {}),
        ...(state.version !== undefined ? { version: state.version } : {}),
      };
    }
    if (running) status.health = await probe(url);
    return status;
  }

  // ── versions ──

  private currentId(): string | undefined {
    try {
      return path.basename(fs.readlinkSync(this.at('current')));
    } catch {
      return undefined;
    }
  }

  private versions(): VersionInfo[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.at('versions'));
    } catch {
      return [];
    }
    return names.filter((n) => /^[0-9a-f]{12}$/.test(n)).flatMap((n) => {
      const v = this.version(n);
      return v ? [v] : [];
    });
  }

  private version(id: string): VersionInfo | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.at('versions', id, 'version.json'), 'utf8')) as VersionInfo;
    } catch {
      return undefined;
    }
  }

  private setStatus(id: string, status: VersionInfo['status']): VersionInfo {
    const version = { ...this.version(id)!, status };
    writeFileAtomic(this.at('versions', id, 'version.json'), `${JSON.stringify(version, null, 2)}\n`);
    return version;
  }

  /**
   * The version's model directory, made from the uploaded files: each one's bytes checked against
   * its name first (a file damaged on the host is removed and named, never served). A version
   * still on the host is reused (deploying it again makes it the newest).
   */
  private materialize(request: ActivateRequest, id: string): VersionInfo {
    const dir = this.at('versions', id);
    const existing = this.version(id);
    const size = request.manifest.reduce((n, e) => n + e.size, 0);
    const info: VersionInfo = {
      id,
      sha256: request.sha256,
      deployed_at: new Date().toISOString(),
      status: 'pending',
      files: request.manifest.length,
      bytes: size,
      ...(request.source ? { source: request.source } : {}),
    };
    if (existing && existing.sha256 === request.sha256 && fs.existsSync(path.join(dir, 'model'))) {
      writeFileAtomic(path.join(dir, 'version.json'), `${JSON.stringify(info, null, 2)}\n`);
      return info;
    }
    const tmp = this.at('versions', `.${id}.${process.pid}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    try {
      for (const entry of request.manifest) {
        const object = this.objectPath(entry.hash);
        let actual: string;
        try {
          actual = hashFileSync(object);
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw error;
          throw new MlpError(`${entry.path} of the model (${entry.hash.slice(0, 12)}) is missing from ${path.join(this.root, OBJECTS_DIR)} on the host`, { hint: 'run the same `mlp deploy` again: it sends what is missing' });
        }
        if (actual !== entry.hash) {
          fs.rmSync(object, { force: true });
          throw new MlpError(`${entry.path} of the model arrived damaged on the host (its bytes hash to ${actual.slice(0, 12)}, not ${entry.hash.slice(0, 12)}); removed it`, { hint: 'run the same `mlp deploy` again: it sends the file again' });
        }
        const dest = path.join(tmp, 'model', entry.path);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        try {
          fs.linkSync(object, dest);
        } catch {
          fs.copyFileSync(object, dest); // a file system without hard links
        }
      }
      fs.mkdirSync(path.join(tmp, 'model'), { recursive: true }); // an empty model still has its directory
      writeFileAtomic(path.join(tmp, 'manifest.json'), serializeManifest(request.manifest));
      writeFileAtomic(path.join(tmp, 'version.json'), `${JSON.stringify(info, null, 2)}\n`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } catch (error) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
    return info;
  }

  private objectPath(hash: string): string {
    return this.at(OBJECTS_DIR, hash.slice(0, 2), hash.slice(2));
  }

  /**
   * Keeps the live version and the newest others, `keep` in all (failed ones go first), then
   * removes the files no kept version uses.
   */
  private prune(keep: number): string[] {
    const current = this.currentId();
    const others = this.versions()
      .filter((v) => v.id !== current)
      .sort((a, b) => Number(a.status !== 'failed') - Number(b.status !== 'failed') || a.deployed_at.localeCompare(b.deployed_at));
    const removed: string[] = [];
    while (others.length > 0 && others.length + (current === undefined ? 0 : 1) > keep) {
      const v = others.shift()!;
      fs.rmSync(this.at('versions', v.id), { recursive: true, force: true });
      removed.push(v.id);
    }
    const used = new Set<string>();
    for (const v of this.versions()) {
      try {
        const manifest = JSON.parse(fs.readFileSync(this.at('versions', v.id, 'manifest.json'), 'utf8')) as ManifestEntry[];
        for (const e of manifest) used.add(e.hash);
      } catch {
        return removed; // a manifest that cannot be read: remove no file rather than one in use
      }
    }
    const objects = this.at(OBJECTS_DIR);
    for (const shard of fs.existsSync(objects) ? fs.readdirSync(objects) : []) {
      for (const name of fs.readdirSync(path.join(objects, shard))) {
        if (!isTempName(name) && !used.has(shard + name)) fs.rmSync(path.join(objects, shard, name), { force: true });
      }
    }
    return removed;
  }

  // ── the supervisor and the server ──

  private settings(): ServeSettings {
    return readSettings(this.root) ?? { http_host: '127.0.0.1', http_port: 8080, workers: 1 };
  }

  private url(settings: ServeSettings): string {
    const host = settings.http_host === '0.0.0.0' ? '127.0.0.1' : settings.http_host === '::' ? '::1' : settings.http_host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${settings.http_port}`;
  }

  private supervisorRunning(): boolean {
    const state = readSupervisorState(this.root);
    return state !== undefined && isRunning(state.pid, state.start_time);
  }

  /** Stops what runs, points `current` at `id`, starts the supervisor and waits until the server answers with model `sha256`. */
  private async switchTo(id: string, sha256: string, timeoutSeconds: number): Promise<{ ok: true; pid?: number } | { ok: false; reason: string; log: string }> {
    await this.stopSupervisor();
    const link = this.at(`current.${process.pid}.tmp`);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.join('versions', id), link);
    fs.renameSync(link, this.at('current')); // rename(2) replaces the link atomically
    const logFile = this.at(SERVE_LOG);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const logFrom = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const pid = this.startSupervisor(logFile);
    const timeoutMs = timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const url = this.url(this.settings());
    const failed = (reason: string): { ok: false; reason: string; log: string } => ({ ok: false, reason, log: tail(logFile, logFrom) });
    for (;;) {
      const state = readSupervisorState(this.root);
      if (!isRunning(pid, undefined)) return failed('the supervisor exited');
      if (state?.pid === pid && state.restarts > 0) return failed(`mlp serve exited (${state.last_exit ?? 'unknown'}) before it was ready`);
      if (state?.pid === pid) {
        const answer = await probe(url);
        if (answer.live && answer.ready && answer.sha256 === sha256) return { ok: true, ...(state.serve_pid !== undefined ? { pid: state.serve_pid } : {}) };
        if (answer.ready && answer.sha256 !== undefined && answer.sha256 !== sha256) return failed(`another server answers on ${url} (model ${answer.sha256.slice(0, 12)}): the port is taken`);
      }
      if (Date.now() > deadline) return failed(`mlp serve did not answer /ready and /health on ${url} within ${timeoutSeconds} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private startSupervisor(logFile: string): number {
    fs.mkdirSync(this.at('run'), { recursive: true });
    fs.rmSync(this.at(SUPERVISOR_STATE), { force: true });
    const log = fs.openSync(logFile, 'a');
    try {
      // Its own session (detached): it outlives the SSH session and the deploy command.
      const child = spawn(process.execPath, [this.mlpScript, 'deploy-host', 'supervise', this.root], { cwd: this.root, detached: true, stdio: ['ignore', log, log] });
      child.unref();
      if (child.pid === undefined) throw new MlpError(`could not start the supervisor on the host (${process.execPath} ${this.mlpScript})`, { hint: 'check that mlp runs on the host: `mlp --version` there' });
      return child.pid;
    } finally {
      fs.closeSync(log);
    }
  }

  /** Stops the supervisor (which stops the server first); one that does not stop is killed, and so is a server it left behind. */
  private async stopSupervisor(): Promise<boolean> {
    const state = readSupervisorState(this.root);
    if (!state) return false;
    let stopped = false;
    if (isRunning(state.pid, state.start_time)) {
      stopped = true;
      signal(state.pid, 'SIGTERM');
      if (!(await exited(state.pid, STOP_TIMEOUT_MS))) signal(state.pid, 'SIGKILL');
    }
    // A supervisor killed outright leaves its server running: stop it too.
    const after = readSupervisorState(this.root) ?? state;
    for (const [pid, start] of [
      [state.serve_pid, state.serve_start_time],
      [after.serve_pid, after.serve_start_time],
    ] as const) {
      if (pid !== undefined && isRunning(pid, start)) {
        stopped = true;
        signal(pid, 'SIGTERM');
        if (!(await exited(pid, STOP_TIMEOUT_MS))) signal(pid, 'SIGKILL');
      }
    }
    return stopped;
  }

  // ── the lock ──

  private lock(): () => void {
    fs.mkdirSync(this.root, { recursive: true });
    const file = this.at('deploy.lock');
    const me = JSON.stringify({ pid: process.pid, start_time: processStartTime(process.pid) });
    for (let attempt = 0; ; attempt++) {
      try {
        fs.writeFileSync(file, me, { flag: 'wx' });
        return () => fs.rmSync(file, { force: true });
      } catch (error) {
        if (errorCode(error) !== 'EEXIST' || attempt > 2) throw error;
      }
      let holder: { pid?: number; start_time?: string } = {};
      try {
        holder = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof holder;
      } catch {
        // being written: read again
      }
      if (typeof holder.pid === 'number' && isRunning(holder.pid, holder.start_time)) {
        throw new MlpError(`another deploy, rollback or stop is under way in ${this.root} (pid ${holder.pid} on the host)`, { hint: 'wait for it to finish, then run the command again', exitCode: ExitCode.locked });
      }
      fs.rmSync(file, { force: true }); // its holder is gone
    }
  }
}

function checkRequest(request: ActivateRequest): void {
  const bad = (what: string): MlpError => new MlpError(`the deploy request is invalid: ${what}`, { hint: 'use the same mlp release on both sides' });
  if (!isSha256(request.sha256)) throw bad('sha256');
  if (!isValidManifest(request.manifest)) throw bad('manifest');
  if (hashBytes(serializeManifest(request.manifest)) !== (request.sha256 as Sha256)) throw bad('the manifest does not match the model hash');
  if (!Number.isInteger(request.http_port) || request.http_port < 1 || request.http_port > 65535) throw bad('http_port');
  if (!Number.isInteger(request.keep) || request.keep < 1) throw bad('keep');
}

/** Whether `pid` runs and is the process recorded (start time), zombies counted as gone. */
function isRunning(pid: number, startTime: string | undefined): boolean {
  if (!isSameProcess(pid, startTime)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: liveness is all that is known
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone meanwhile
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid, undefined)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The last lines of what `file` got from byte `from` on. */
function tail(file: string, from: number): string {
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8');
    return text.trimEnd().split('\n').slice(-20).join('\n').slice(-4000);
  } catch {
    return '';
  }
}

/** GET /health, /ready and /version of the server at `url` (each with a short timeout; a fresh connection each). */
export async function probe(url: string): Promise<{ live: boolean; ready: boolean; sha256?: string; error?: string }> {
  const get = (route: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.get(`${url}${route}`, { agent: false, timeout: 2000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  try {
    const health = await get('/health');
    const ready = await get('/ready');
    let sha256: string | undefined;
    if (ready.status === 200) {
      try {
        sha256 = (JSON.parse((await get('/version')).body) as { model?: { sha256?: string } }).model?.sha256;
      } catch {
        sha256 = undefined;
      }
    }
    return { live: health.status === 200, ready: ready.status === 200, ...(sha256 !== undefined ? { sha256 } : {}) };
  } catch (error) {
    return { live: false, ready: false, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}
