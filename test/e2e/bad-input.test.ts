/**
 * Bad input gets a clear error — the file (and line), what to do, one documented exit code —
 * never a hang, a raw errno or a wrong "success". Each test reproduces one report of issue 9 §5.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MLP_BIN, commitFiles, count, makeRepo, read, runMlp, tempDir, writeFiles, type RunResult } from '../helpers/cli.js';

const made: string[] = [];
const mounts: string[] = [];

/** A repository that afterEach removes. */
function repo(files: Record<string, string> = {}, untracked: Record<string, string> = {}): string {
  const dir = makeRepo(files, untracked);
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const mount of mounts.splice(0)) spawnSync('umount', ['-l', mount]);
  for (const dir of made.splice(0)) {
    spawnSync('chmod', ['-R', 'u+rwX', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** runMlp with a deadline: a hang becomes a failed test instead of a stuck suite. */
function runWithin(cwd: string, args: string[], ms = 20000, env: NodeJS.ProcessEnv = {}): RunResult {
  const result = spawnSync(process.execPath, [MLP_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: ms,
    killSignal: 'SIGKILL',
  });
  if (result.error || result.signal) throw new Error(`mlp ${args.join(' ')} did not finish within ${ms} ms (hung)`);
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/**
 * Runs mlp as a user whom file permissions apply to. Root ignores the permission bits, so as root
 * the repository is handed to `nobody` and mlp runs as that user.
 */
function runUnprivileged(dir: string, args: string[]): RunResult {
  if (!isRoot) return runWithin(dir, args);
  spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
  // The test run's private temp folder (0700) must be traversable for that user to reach `dir`;
  // nothing above the temp folder is touched.
  for (let up = path.dirname(dir); up.startsWith(os.tmpdir()); up = path.dirname(up)) {
    const mode = fs.statSync(up).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(up, mode | 0o001);
  }
  const result = spawnSync(process.execPath, [MLP_BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: NOBODY,
    gid: NOBODY,
    timeout: 20000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** No raw errno codes or stack traces in what a user reads. */
function expectNoRawErrno(result: RunResult): void {
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/\b(EACCES|ENOSPC|EISDIR|ENOTDIR|EPERM|ENOENT|EROFS)\b|\n\s+at /);
}

/** Why a small tmpfs (a disk that fills up) cannot be mounted here, or undefined when it can. */
function whyNoTmpfs(): string | undefined {
  if (!isRoot || os.platform() !== 'linux') return 'mounting a tmpfs needs root on Linux';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    if (mounted.status !== 0) return `mount -t tmpfs failed: ${String(mounted.stderr).trim() || mounted.error?.message}`;
    spawnSync('umount', [probe]);
    return undefined;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

describe('special files are refused, never opened', () => {
  test('mlp add of a FIFO names it instead of hanging', () => {
    const dir = repo();
    mkfifo(path.join(dir, 'pipe'));
    const result = runWithin(dir, ['add', 'pipe']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: pipe is a FIFO (named pipe): mlp tracks only regular files and directories');
    expect(result.stderr).toContain('hint:');
    expect(fs.existsSync(path.join(dir, 'pipe.mlp'))).toBe(false);
  });

  test('a FIFO inside an added directory is an error naming it', () => {
    const dir = repo({}, { 'data/a.txt': 'a' });
    mkfifo(path.join(dir, 'data/pipe'));
    const result = runWithin(dir, ['add', 'data']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: data/pipe is a FIFO (named pipe)');
    expect(fs.existsSync(path.join(dir, 'data.mlp'))).toBe(false);
  });

  test('a stage output that is a FIFO fails the stage with its name instead of hanging', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: mkfifo out\n    outs: [out]\n' });
    const result = runWithin(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("stage 's' failed: out is a FIFO (named pipe)");
  });
});

describe('no pipeline.yaml', () => {
  test('repro says pipeline.yaml does not exist (exit 3), not "No stages to run."', () => {
    const dir = repo();
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error: pipeline.yaml does not exist');
    expect(result.stderr).toContain('hint:');
    expect(result.stdout).not.toContain('No stages to run');
  });

  test('status says there is no pipeline; with targets (and dag) it is an error', () => {
    const dir = repo();
    const empty = runMlp(dir, ['status']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('No pipeline.yaml, and no data tracked with `mlp add` yet.\n');
    const targeted = runMlp(dir, ['status', 'train']);
    expect(targeted.code).toBe(3);
    expect(targeted.stderr).toContain('error: pipeline.yaml does not exist');
    expect(runMlp(dir, ['dag']).code).toBe(3);
  });

  test('status keeps working for data tracked with mlp add only', () => {
    const dir = repo({}, { 'd.txt': 'data' });
    expect(runMlp(dir, ['add', 'd.txt']).code).toBe(0);
    expect(runMlp(dir, ['status']).stdout).toBe('Tracked data is up to date (no pipeline.yaml).\n');
    fs.writeFileSync(path.join(dir, 'd.txt'), 'changed');
    const changed = runMlp(dir, ['status']);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toBe('d.txt.mlp: d.txt modified\n');
    expect(runMlp(dir, ['commit']).code).toBe(0);
  });
});

describe('pipeline.yaml mistakes are located errors (exit 3) found before anything runs', () => {
  test('pipeline.yaml being a directory', () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, 'pipeline.yaml'));
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error: pipeline.yaml is a directory, not a file');
    expectNoRawErrno(result);
  });

  test('wdir naming a file', () => {
    const dir = repo({ 'f.txt': 'x', 'pipeline.yaml': 'stages:\n  s:\n    wdir: f.txt\n    cmd: echo run >> ../runs.log\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/error: pipeline\.yaml:\d+:\d+: stage 's': wdir 'f\.txt' is not a directory/);
    expectNoRawErrno(result);
    expect(count(dir)).toBe(0);
  });

  test('an unclosed ${ is a template error, never passed to the shell', () => {
    const dir = repo({
      'params.yaml': 'lr: 0.1\n',
      'pipeline.yaml': 'stages:\n  s:\n    cmd: echo ${lr > runs.log\n',
    });
    for (const command of ['repro', 'status']) {
      const result = runMlp(dir, [command]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/error: pipeline\.yaml:2:3: stage 's': unclosed '\$\{' in 'echo \$\{lr > runs\.log'/);
    }
    expect(count(dir)).toBe(0);
  });

  test('a broken JSON params file says invalid JSON, with line and column', () => {
    const dir = repo({
      'config.json': '{\n  "lr": 0.1,\n  "epochs": \n}\n',
      'pipeline.yaml': 'stages:\n  s:\n    cmd: echo run >> runs.log\n    params: [{config.json: [lr]}]\n',
    });
    const result = runMlp(dir, ['status']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/error: config\.json:4:1: invalid JSON: /);
    expect(result.stderr).not.toContain('YAML');
  });

  test('a missing param exits 3 in repro as in status, and nothing runs', () => {
    const dir = repo({
      'params.yaml': 'lr: 0.1\n',
      'pipeline.yaml': 'stages:\n  a:\n    cmd: echo a >> runs.log\n  b:\n    cmd: echo b >> runs.log\n    params: [epochs]\n',
    });
    const status = runMlp(dir, ['status']);
    expect(status.code).toBe(3);
    const repro = runMlp(dir, ['repro']);
    expect(repro.code).toBe(3);
    expect(repro.stderr).toContain("stage 'b': param 'epochs' is not in params.yaml");
    expect(count(dir)).toBe(0);
    expect(runMlp(dir, ['repro', '--dry']).code).toBe(3);
  });

  test('an unknown cache.type fails at command start, before any stage runs', () => {
    const dir = repo({
      '.mlp/config.yaml': 'cache:\n  type: [teleport]\n',
      'pipeline.yaml': 'stages:\n  s:\n    cmd: echo run >> runs.log && echo x > out.txt\n    outs: [out.txt]\n',
    });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error: .mlp/config.yaml:2:10: cache.type[0]: must be one of reflink, hardlink, symlink, copy, got "teleport"');
    expect(count(dir)).toBe(0);
    expect(runMlp(dir, ['status']).code).toBe(3);
  });
});

describe('outputs', () => {
  test('a dangling-symlink output is named as such', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: ln -s nowhere.txt out.txt\n    outs: [out.txt]\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("stage 's' failed: its output out.txt is a dangling symlink (to nowhere.txt)");
    expect(result.stderr).not.toContain('did not create its output');
  });

  test('mlp add of a dangling symlink says so', () => {
    const dir = repo();
    fs.symlinkSync('nowhere', path.join(dir, 'link'));
    const result = runMlp(dir, ['add', 'link']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: link is a dangling symlink (to nowhere)');
  });
});

describe('permission and disk errors name the path and say what to do (exit 1)', () => {
  test('mlp add of an unreadable file', () => {
    const dir = repo({}, { 'secret.bin': 'x' });
    fs.chmodSync(path.join(dir, 'secret.bin'), 0o000);
    const result = runUnprivileged(dir, ['add', 'secret.bin']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: permission denied: cannot (open|read) secret\.bin/);
    expect(result.stderr).toContain('hint:');
    expectNoRawErrno(result);
  });

  test('mlp checkout into a read-only directory', () => {
    const dir = repo({}, { 'data/f.txt': 'content' });
    expect(runMlp(dir, ['add', 'data/f.txt']).code).toBe(0);
    fs.rmSync(path.join(dir, 'data/f.txt'));
    fs.chmodSync(path.join(dir, 'data'), 0o555);
    const result = runUnprivileged(dir, ['checkout']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: permission denied: .*data\/f\.txt/);
    expect(result.stderr).toContain('hint:');
    expectNoRawErrno(result);
  });

  test('saving the run-cache on a read-only cache is a warning: the stage succeeded and the lock records it', () => {
    // A dep: a stage without deps never uses the run-cache (as in DVC).
    const dir = repo({ 'in.txt': 'x\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo run >> runs.log && echo same > out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.rmSync(path.join(dir, '.mlp/cache/runs'), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, '.mlp/cache/runs'));
    fs.chmodSync(path.join(dir, '.mlp/cache/runs'), 0o555);
    const result = runUnprivileged(dir, ['repro', '-f']);
    expect(result.stderr).toMatch(/warning: stage 's': could not save its run-cache entry \(permission denied: .*\.mlp\/cache\/runs/);
    expect(result.stderr).not.toContain('failed');
    expect(result.code).toBe(0);
    expect(count(dir)).toBe(2);
    expect(read(dir, 'pipeline.lock')).toContain('out.txt');
  });

  const cannotMount = whyNoTmpfs();
  if (cannotMount) console.warn(`skipping the full-disk test: ${cannotMount}`);
  (cannotMount ? test.skip : test)('a full disk during add and repro (a small tmpfs; needs root to mount)', () => {
    const mount = tempDir('mlp-full-');
    made.push(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount]);
    expect(mounted.stderr.toString()).toBe('');
    mounts.push(mount);
    execFileSync('git', ['init', '-q', mount]);
    expect(runMlp(mount, ['init']).code).toBe(0);
    // 2 MiB of data on a 3 MiB disk: the copy into the cache does not fit.
    fs.writeFileSync(path.join(mount, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    const added = runMlp(mount, ['add', 'big.bin']);
    expect(added.code).toBe(1);
    expect(added.stderr).toMatch(/error: no space left on the device holding .*\.mlp\/cache/);
    expect(added.stderr).toContain('hint: free some space');
    expectNoRawErrno(added);
    fs.rmSync(path.join(mount, 'big.bin'));

    writeFiles(mount, {
      'pipeline.yaml': 'stages:\n  s:\n    cmd: head -c 2000000 /dev/zero > out.bin\n    outs: [out.bin]\n',
    });
    const repro = runMlp(mount, ['repro']);
    expect(repro.code).toBe(4); // the stage failed (a known problem, not an internal error)
    expect(repro.stderr).toMatch(/error: stage 's' failed: no space left on the device holding .*\.mlp\/cache/);
    expect(repro.stderr).toContain('hint: free some space');
    expectNoRawErrno(repro);
    expect(fs.existsSync(path.join(mount, 'pipeline.lock'))).toBe(false);
  });
});

describe('secrets', () => {
  test('config.local.yaml and the parse cache are private (0600) and the parse cache holds no secrets', () => {
    const dir = repo();
    expect(runMlp(dir, ['remote', 'add', '--local', 'cloud', 's3://bucket/prefix']).code).toBe(0);
    const local = path.join(dir, '.mlp/config.local.yaml');
    expect(fs.statSync(local).mode & 0o777).toBe(0o600);
    fs.chmodSync(local, 0o644);
    expect(runMlp(dir, ['remote', 'modify', '--local', 'cloud', 'secret_access_key', 'TOPSECRET']).code).toBe(0);
    expect(fs.statSync(local).mode & 0o777).toBe(0o600);
    commitFiles(dir, { 'pipeline.yaml': 'stages:\n  s: {cmd: echo hi}\n' });
    expect(runMlp(dir, ['remote', 'list']).code).toBe(0);
    expect(runMlp(dir, ['status']).code).toBe(0);
    const parsed = path.join(dir, '.mlp/tmp/parsed.json');
    expect(fs.existsSync(parsed)).toBe(true);
    expect(fs.statSync(parsed).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(parsed, 'utf8')).not.toContain('TOPSECRET');
  });
});
