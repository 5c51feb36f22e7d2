// Helpers shared by bench/state.mjs and bench/stages.mjs: timing the built CLI, medians, the
// machine's load, and building an older commit of mlp next to this one for a before/after run.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const currentBin = path.join(root, 'bin', 'mlp.js');

export function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1];
}

export function sh(cwd, cmd, cmdArgs, env) {
  return execFileSync(cmd, cmdArgs, { cwd, env: env ? { ...process.env, ...env } : undefined, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
}

/**
 * CPU seconds (user + system) used so far by this process's finished children and their
 * descendants (Linux: cutime + cstime of /proc/self/stat); undefined elsewhere. On a shared,
 * loaded machine it moves far less than wall-clock time.
 */
function childrenCpu() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * Runs `node <bin> ...args` in `cwd` (with `env` added to the environment): wall-clock seconds, and the CPU seconds it and the stage
 * commands it ran used. Throws on a non-zero exit.
 */
export function timeMlp(bin, cwd, args, env) {
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, env: env ? { ...process.env, ...env } : undefined, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = childrenCpu();
  if (result.status !== 0) throw new Error(`mlp ${args.join(' ')} failed in ${cwd} (exit ${result.status}): ${result.stderr}`);
  return { seconds, cpu: cpuBefore === undefined ? undefined : cpuAfter - cpuBefore, stdout: result.stdout };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

export const seconds = (x) => (x === undefined ? '—' : x.toFixed(x < 1 ? 3 : 2));

export function machine() {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/**
 * Builds git revision `rev` of this repository into a temporary worktree (sharing this checkout's
 * node_modules) and returns its CLI, so a benchmark can time the old and the new code in one run.
 */
export function buildRevision(rev) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-rev-'));
  fs.rmdirSync(dir);
  sh(root, 'git', ['worktree', 'add', '--detach', '--quiet', dir, rev]);
  try {
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'));
    console.error(`building ${rev} (${sh(root, 'git', ['rev-parse', '--short', rev]).trim()}) in ${dir} …`);
    sh(dir, process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  } catch (error) {
    removeRevision(dir);
    throw error;
  }
  return { bin: path.join(dir, 'bin', 'mlp.js'), dir };
}

export function removeRevision(dir) {
  try {
    sh(root, 'git', ['worktree', 'remove', '--force', dir]);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    sh(root, 'git', ['worktree', 'prune']);
  }
}

/** A fresh git repository in `dir` holding `files`, with `mlp init` done and everything committed. */
export function makeRepo(bin, dir, files) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  sh(dir, 'git', ['init', '-q']);
  timeMlp(bin, dir, ['init']);
  sh(dir, 'git', ['add', '-A']);
  sh(dir, 'git', ['-c', 'user.email=b@b', '-c', 'user.name=b', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'workload']);
  return dir;
}
