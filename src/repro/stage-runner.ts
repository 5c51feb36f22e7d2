/**
 * Runs one stage's commands through the shell, in the stage's wdir, each command in its own
 * process group so that an interrupt can stop the command and everything it started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionOutcome, OutputSink } from '../executors/executor.js';
import type { Stage } from '../pipeline/types.js';

/**
 * Told about every process group a stage command runs in, while it runs, with the environment
 * that marks it as this run's (the repository lock implements it: after a crash, the next mlp
 * stops the groups it lists).
 */
export interface ProcessGroupTracker {
  readonly env: Readonly<Record<string, string>>;
  started(pgid: number): void;
  stopped(pgid: number): void;
}

export interface RunStageOptions {
  /** Directory with the `mlp` shim, put first on PATH (see `prepareShim`). */
  shimDir: string;
  output: OutputSink;
  /** Aborting stops the running command's whole process group. */
  signal: AbortSignal;
  /** Called with each command's pid, which is also its process-group id, right after it starts. */
  onSpawn?: (pid: number) => void;
  /** Records each command's process group while it runs (see ProcessGroupTracker). */
  groups?: ProcessGroupTracker;
  /** Extra environment (tracking's live-metrics file), on top of the stage's own. */
  env?: Readonly<Record<string, string>>;
}

const KILL_GRACE_MS = 3000;

/**
 * A directory with an `mlp` executable that runs this very mlp, put first on PATH, so stage
 * commands can call `mlp text train …` whether or not mlp is installed globally.
 */
export function prepareShim(tmpDir: string): string {
  const binDir = path.join(tmpDir, 'bin');
  const launcher = fs.realpathSync(process.argv[1] ?? '');
  const script = `#!/bin/sh\nexec "${process.execPath}" "${launcher}" "$@"\n`;
  const shim = path.join(binDir, 'mlp');
  let current: string | undefined;
  try {
    current = fs.readFileSync(shim, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== script) {
    fs.mkdirSync(binDir, { recursive: true });
    fs.writeFileSync(shim, script, { mode: 0o755 });
  }
  return binDir;
}

export function stageEnv(root: string, stage: Stage, shimDir: string): NodeJS.ProcessEnv {
  const pathParts = [shimDir, path.join(root, 'node_modules', '.bin'), process.env.PATH ?? ''];
  return {
    ...process.env,
    ...stage.env,
    MLP_STAGE: stage.name,
    MLP_ROOT: root,
    // DVC's names for the same, so that scripts written for `dvc repro` run unchanged.
    DVC_STAGE: stage.name,
    DVC_ROOT: root,
    PATH: pathParts.filter(Boolean).join(path.delimiter),
  };
}

export async function runStage(root: string, stage: Stage, options: RunStageOptions): Promise<ExecutionOutcome> {
  const { signal } = options;
  const cwd = path.join(root, stage.wdir);
  const env = { ...stageEnv(root, stage, options.shimDir), ...options.env, ...options.groups?.env };
  for (const cmd of stage.cmd) {
    if (signal.aborted) return { ok: false, kind: 'interrupted', cmd };
    let result: { exitCode: number | null; signal: NodeJS.Signals | null };
    try {
      result = await runCommand(cmd, cwd, env, stage.name, options);
    } catch (error) {
      return { ok: false, kind: 'spawn-failed', cmd, error: error as Error };
    }
    if (signal.aborted) return { ok: false, kind: 'interrupted', cmd };
    if (result.exitCode !== 0 || result.signal !== null) return { ok: false, kind: 'exit-non-zero', cmd, exitCode: result.exitCode, signal: result.signal };
  }
  return { ok: true };
}

/** Shells that take `-e` and `-c` as POSIX sh does; any other `$SHELL` (fish, csh) is not used. */
const POSIX_SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash']);

/**
 * How a command runs: through the user's `$SHELL` when it is a POSIX-family shell (DVC runs
 * `$SHELL -c`, with bash's and zsh's startup files skipped as DVC does), else `/bin/sh`. A
 * multi-line command gets `-e`: it stops at the first failing line, where `sh -c` would run on
 * and report only the last line's status (DVC does that; a failed middle line recorded as a
 * success is the worse outcome, so mlp stops).
 */
export function shellCommand(cmd: string, env: NodeJS.ProcessEnv): { file: string; args: string[] } {
  const shell = env.SHELL;
  const name = shell ? path.basename(shell).toLowerCase() : '';
  const file = shell && path.isAbsolute(shell) && POSIX_SHELLS.has(name) && isExecutable(shell) ? shell : '/bin/sh';
  const startup: Record<string, string[]> = { bash: ['--noprofile', '--norc'], zsh: ['--no-rcs'] };
  const multiLine = cmd.trim().includes('\n');
  return { file, args: [...(file === shell ? (startup[name] ?? []) : []), ...(multiLine ? ['-e'] : []), '-c', cmd] };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function runCommand(
  cmd: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  stageName: string,
  { output, signal, onSpawn, groups }: RunStageOptions,
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const shell = shellCommand(cmd, env);
    const child = spawn(shell.file, shell.args, {
      cwd,
      env,
      detached: true,
      stdio: output.mode === 'inherit' ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid; // detached: the shell leads a new process group
    if (pgid !== undefined) {
      onSpawn?.(pgid);
      groups?.started(pgid);
    }
    const flushers: Array<() => void> = [];
    if (output.mode === 'prefix') {
      for (const stream of ['stdout', 'stderr'] as const) {
        let pending = '';
        child[stream]?.setEncoding('utf8');
        child[stream]?.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) output.line(stageName, stream, line);
        });
        flushers.push(() => {
          if (pending !== '') output.line(stageName, stream, pending);
          pending = '';
        });
      }
    }
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    signal.addEventListener('abort', kill, { once: true });
    child.on('error', (error) => {
      signal.removeEventListener('abort', kill);
      if (pgid !== undefined) groups?.stopped(pgid);
      reject(error);
    });
    child.on('close', (exitCode, sig) => {
      signal.removeEventListener('abort', kill);
      if (killTimer) clearTimeout(killTimer);
      for (const flush of flushers) flush();
      // The shell may be gone while commands it started still run in its group.
      if (signal.aborted) killGroup(child.pid, 'SIGKILL');
      if (pgid !== undefined) groups?.stopped(pgid);
      resolve({ exitCode, signal: sig });
    });
  });
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}
