/**
 * The supervisor of a deployed model in process mode: `mlp deploy-host supervise <dir>`, started
 * detached (its own session, output to logs/serve.log) so that it outlives the SSH session that
 * started it. It runs `mlp serve` on the version `current` points to and starts it again when it
 * exits, with a growing delay (1 s, 2 s, 4 s … 30 s; back to 1 s once it has run a minute).
 *
 * Why a small wrapper of our own and not `nohup` + a pid file: nohup starts a process once and
 * never again, so a crash would leave the host serving nothing; systemd units or supervisord need
 * root or software the host may not have. The wrapper needs only the mlp that serves, records
 * its state (pids, restarts, last exit) in run/supervisor.json for `mlp deploy status` and for
 * the deploy that waits on it, and on SIGTERM stops the server the way an orchestrator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processStartTime } from '../util/processes.js';
import { writeFileAtomic } from '../util/fs.js';
import type { ServeSettings } from './protocol.js';

export const SUPERVISOR_STATE = 'run/supervisor.json';
export const SETTINGS_FILE = 'settings.json';
export const SERVE_LOG = 'logs/serve.log';

export interface SupervisorState {
  pid: number;
  start_time?: string;
  serve_pid?: number;
  serve_start_time?: string;
  /** The version being served (the directory name under versions/). */
  version?: string;
  /** Times `mlp serve` exited without being asked to. */
  restarts: number;
  last_exit?: string;
  started_at: string;
  stopping?: boolean;
}

export function readSupervisorState(root: string): SupervisorState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, SUPERVISOR_STATE), 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}

export function readSettings(root: string): ServeSettings | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, SETTINGS_FILE), 'utf8')) as ServeSettings;
  } catch {
    return undefined;
  }
}

const MAX_DELAY_MS = 30_000;
const STABLE_MS = 60_000;
const KILL_AFTER_MS = 10_000;

/** Runs until SIGTERM/SIGINT; `mlpScript` is the mlp entry point this process was started with; `log` goes to the serve log. */
export async function supervise(root: string, mlpScript: string, log: (line: string) => void): Promise<void> {
  const settings = readSettings(root);
  if (!settings) throw new Error(`${path.join(root, SETTINGS_FILE)} is missing: start the supervisor with \`mlp deploy\``);
  const state: SupervisorState = { pid: process.pid, restarts: 0, started_at: new Date().toISOString() };
  const startTime = processStartTime(process.pid);
  if (startTime !== undefined) state.start_time = startTime;
  const save = (): void => writeFileAtomic(path.join(root, SUPERVISOR_STATE), `${JSON.stringify(state)}\n`);

  let child: ChildProcess | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      state.stopping = true;
      save();
      wake?.();
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const running = child;
      const killer = setTimeout(() => running.kill('SIGKILL'), KILL_AFTER_MS);
      running.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      running.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  process.on('SIGHUP', () => {}); // the SSH session that started it ending is no reason to stop

  let delay = 1000;
  while (!stopping) {
    const versionDir = fs.realpathSync(path.join(root, 'current'));
    state.version = path.basename(versionDir);
    const started = Date.now();
    child = spawn(
      process.execPath,
      [mlpScript, '-q', 'serve', path.join(versionDir, 'model'), '--host', settings.http_host, '--port', String(settings.http_port), '--workers', String(settings.workers), '--no-watch', '--shutdown-delay', '0', '--telemetry', path.join(root, 'telemetry', 'inferences.jsonl')],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (child.pid !== undefined) {
      state.serve_pid = child.pid;
      const serveStart = processStartTime(child.pid);
      if (serveStart !== undefined) state.serve_start_time = serveStart;
    }
    save();
    const exit = await new Promise<string>((resolve) => {
      child!.once('error', (error) => resolve(`could not start: ${error.message}`));
      child!.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    });
    if (stopping) break;
    state.restarts++;
    state.last_exit = exit;
    delete state.serve_pid;
    delete state.serve_start_time;
    save();
    log(`mlp deploy supervisor: mlp serve ended (${exit}); starting it again in ${delay / 1000} s`);
    if (Date.now() - started > STABLE_MS) delay = 1000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
  await stopped;
  delete state.serve_pid;
  delete state.serve_start_time;
  save();
}
