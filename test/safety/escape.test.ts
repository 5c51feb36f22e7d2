/**
 * Crafted inputs that try to make mlp read or write outside the repository (and outside a
 * remote's root): hostile pointer files, lockfiles, directory manifests, run-cache entries,
 * config files, remote listings, and symlinks in output paths. Each trial runs the built CLI in
 * a repository inside a fresh base directory that also holds a canary directory; afterwards
 * everything in the base directory outside the repository (and the remote's root) must be
 * byte-for-byte unchanged, and the command must fail with the documented exit code and a message
 * that names the file (with line:column where the input was YAML).
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { git, read, runMlp, tempDir, writeFiles, type RunResult } from '../helpers/cli.js';
import { snapshotTree, type TreeSnapshot } from '../helpers/tree-snapshot.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** From an object path, this climbs to the base directory and names base/canary/victim.txt. */
const TRAVERSAL_HASH = '../../../../../canary/victim.txt';

interface Trial {
  base: string;
  repo: string;
  canary: string;
  /** Extra paths (a remote's root) that the trial may change. */
  allowed: string[];
  before: TreeSnapshot;
}

const trials: Trial[] = [];

/**
 * Fixture repositories, each built once per file with the CLI and copied (`cp -a`) for every
 * trial that starts from it: making a repository (git init, `mlp init`, `mlp add`, `mlp repro`)
 * costs several process starts, the copy one.
 */
type Fixture = 'empty' | 'data' | 'pipeline' | 'twoRuns';
const fixtures = new Map<Fixture, string>();
/** twoRuns: the run-cache entry recorded for in.txt = A, relative to the repository. */
let twoRunsEntry = '';

/** A base directory with the canary and an initialised, committed repository, from scratch. */
function buildBase(): Trial {
  const base = tempDir('mlp-escape-');
  const repo = path.join(base, 'repo');
  const canary = path.join(base, 'canary');
  writeFiles(canary, {
    'victim.txt': 'precious\n',
    'out.txt': 'not yours\n',
    'victim/a.txt': 'keep a\n',
    'victim/z.txt': 'keep z\n',
    'sub/deep/file.bin': 'deep\n',
    'secrets.yaml': 'token: s3cr3t\n',
  });
  fs.chmodSync(path.join(canary, 'sub/deep/file.bin'), 0o600);
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 'test@example.com');
  git(repo, 'config', 'user.name', 'Test');
  git(repo, 'config', 'commit.gpgsign', 'false');
  expect(runMlp(repo, ['init']).code).toBe(0);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'initial');
  const trial: Trial = { base, repo, canary, allowed: [], before: {} };
  trials.push(trial);
  return trial;
}

function fixture(kind: Fixture): string {
  const known = fixtures.get(kind);
  if (known) return known;
  const t = buildBase();
  if (kind === 'data') addData(t);
  if (kind === 'pipeline') ranPipeline(t);
  if (kind === 'twoRuns') twoRunsEntry = path.relative(t.repo, twoRuns(t));
  fixtures.set(kind, t.base);
  return t.base;
}

/** A fresh trial: a copy of fixture `from`, with `files` written and committed. */
function newTrial(files: Record<string, string> = {}, from: Fixture = 'empty'): Trial {
  const source = fixture(from);
  const base = tempDir('mlp-escape-');
  execFileSync('cp', ['-a', `${source}/.`, base]);
  const trial: Trial = { base, repo: path.join(base, 'repo'), canary: path.join(base, 'canary'), allowed: [], before: {} };
  trials.push(trial);
  if (Object.keys(files).length > 0) {
    writeFiles(trial.repo, files);
    git(trial.repo, 'add', '-A');
    git(trial.repo, 'commit', '-qm', 'files');
  }
  return trial;
}

/** Takes the "before" picture: call once the repository is set up, right before the attack. */
function arm(trial: Trial): void {
  trial.before = snapshotTree(trial.base, [trial.repo, ...trial.allowed]);
}

function expectNothingOutsideChanged(trial: Trial): void {
  expect(snapshotTree(trial.base, [trial.repo, ...trial.allowed])).toEqual(trial.before);
}

function expectRefused(result: RunResult, code: number, ...fragments: (string | RegExp)[]): void {
  if (result.code !== code) throw new Error(`expected exit ${code}, got ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  for (const f of fragments) {
    if (typeof f === 'string') expect(result.stderr).toContain(f);
    else expect(result.stderr).toMatch(f);
  }
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

/** `mlp add data` with two files, committed; returns the pointer text. */
function addData(trial: Trial): string {
  writeFiles(trial.repo, { 'data/a.txt': 'A', 'data/b.txt': 'B' });
  expect(runMlp(trial.repo, ['add', 'data']).code).toBe(0);
  git(trial.repo, 'add', '-A');
  git(trial.repo, 'commit', '-qm', 'data');
  return read(trial.repo, 'data.mlp');
}

function rewrite(trial: Trial, file: string, from: string | RegExp, to: string): void {
  const abs = path.join(trial.repo, file);
  const text = fs.readFileSync(abs, 'utf8');
  const next = text.replace(from, to);
  expect(next).not.toBe(text);
  fs.writeFileSync(abs, next);
}

/** A pipeline with one cached output `a.txt`, run once. */
function ranPipeline(trial: Trial): void {
  writeFiles(trial.repo, { 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n' });
  expect(runMlp(trial.repo, ['repro']).code).toBe(0);
}

/** Stores `text` in the repository's cache as an object and returns its hash. */
function plantObject(trial: Trial, text: string): string {
  const hash = sha256(text);
  const file = path.join(trial.repo, '.mlp/cache/files/sha256', hash.slice(0, 2), hash.slice(2));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o444 });
  return hash;
}

/** A directory manifest with `entries` in the cache, and `d.mlp` pointing at it. */
function plantManifest(trial: Trial, entries: { path: string; hash: string; size: number }[]): void {
  const manifest = `${JSON.stringify(entries)}\n`;
  const hash = plantObject(trial, manifest);
  writeFiles(trial.repo, { 'd.mlp': `outs:\n- path: d\n  sha256: ${hash}\n  size: 6\n  nfiles: ${entries.length}\n` });
}

/** Runs `s` with in.txt = A, then B; returns the run-cache file recorded for A. */
function twoRuns(t: Trial): string {
  writeFiles(t.repo, {
    'pipeline.yaml': 'stages:\n  s:\n    cmd: cp in.txt out.txt && echo run >> runs.log\n    deps: [in.txt]\n    outs: [out.txt]\n',
    'in.txt': 'A',
  });
  expect(runMlp(t.repo, ['repro']).code).toBe(0);
  const runs = path.join(t.repo, '.mlp/cache/runs');
  const [shard] = fs.readdirSync(runs);
  const [rest] = fs.readdirSync(path.join(runs, shard as string));
  const entry = path.join(runs, shard as string, rest as string);
  writeFiles(t.repo, { 'in.txt': 'B' });
  expect(runMlp(t.repo, ['repro']).code).toBe(0);
  writeFiles(t.repo, { 'in.txt': 'A' });
  return entry;
}

afterAll(() => {
  for (const t of trials) {
    // Objects are read-only; a directory made read-only by a trial must not stop the cleanup.
    spawnSync('chmod', ['-R', 'u+w', t.base]);
    fs.rmSync(t.base, { recursive: true, force: true });
  }
});

describe('pointer files', () => {
  test.each([
    ['a parent path', (t: Trial) => '../canary/victim'],
    ['an absolute path', (t: Trial) => path.join(t.canary, 'victim')],
    ['a path that climbs out through a subdirectory', (t: Trial) => 'a/../../canary/victim'],
  ])('%s in `path` is refused before checkout touches anything', (_name, crafted) => {
    const t = newTrial({}, 'data');
    rewrite(t, 'data.mlp', 'path: data', `path: ${crafted(t)}`);
    arm(t);
    const result = runMlp(t.repo, ['checkout']);
    expectRefused(result, 3, /data\.mlp:\d+:\d+: /, 'path');
    expectNothingOutsideChanged(t);
  });

  test('a hash that is a path is refused (checkout would otherwise delete the file it names)', () => {
    const t = newTrial({}, 'data');
    rewrite(t, 'data.mlp', /sha256: [0-9a-f]{64}/, `sha256: "${TRAVERSAL_HASH}"`);
    fs.rmSync(path.join(t.repo, 'data'), { recursive: true });
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, /data\.mlp:\d+:\d+: /, '64 lowercase hex');
    expectNothingOutsideChanged(t);
  });

  test('an uppercase hash is refused', () => {
    const t = newTrial({}, 'data');
    const pointer = read(t.repo, 'data.mlp');
    const hash = /sha256: ([0-9a-f]{64})/.exec(pointer)?.[1] as string;
    rewrite(t, 'data.mlp', hash, hash.toUpperCase());
    arm(t);
    expectRefused(runMlp(t.repo, ['status']), 3, /data\.mlp:\d+:\d+: /, '64 lowercase hex');
    expectNothingOutsideChanged(t);
  });

  test('a symlinked directory in the tracked path is refused at checkout', () => {
    const t = newTrial({}, 'data');
    fs.symlinkSync('../canary', path.join(t.repo, 'ext'));
    rewrite(t, 'data.mlp', 'path: data', 'path: ext/victim');
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, 'ext/victim', 'symlink');
    expectNothingOutsideChanged(t);
  });

  test('the post-checkout hook of a plain `git checkout` does not follow a crafted pointer out of the repository', () => {
    const t = newTrial({}, 'data');
    git(t.repo, 'checkout', '-qb', 'evil');
    rewrite(t, 'data.mlp', 'path: data', 'path: ../canary/victim');
    git(t.repo, 'commit', '-qam', 'evil pointer');
    git(t.repo, 'checkout', '-q', 'main');
    // Installed now, so that only the checkout under test runs the hook (each run starts mlp).
    expect(runMlp(t.repo, ['install']).code).toBe(0);
    arm(t);
    const result = spawnSync('git', ['checkout', 'evil'], { cwd: t.repo, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    expect(result.status).toBe(0); // the hook warns, git checkout itself succeeds
    expect(result.stderr).toMatch(/data\.mlp:\d+:\d+: /);
    expectNothingOutsideChanged(t);
  });
});

describe('pipeline.lock', () => {
  test('a hash that is a path is refused (checkout would otherwise delete the file it names)', () => {
    const t = newTrial({}, 'pipeline');
    rewrite(t, 'pipeline.lock', /sha256: [0-9a-f]{64}/, `sha256: "${TRAVERSAL_HASH}"`);
    fs.rmSync(path.join(t.repo, 'a.txt'));
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, /pipeline\.lock:\d+:\d+: /, '64 lowercase hex');
    expectNothingOutsideChanged(t);
  });

  test('a short hash is refused', () => {
    const t = newTrial({}, 'pipeline');
    rewrite(t, 'pipeline.lock', /sha256: ([0-9a-f]{12})[0-9a-f]{52}/, 'sha256: $1');
    arm(t);
    expectRefused(runMlp(t.repo, ['status']), 3, /pipeline\.lock:\d+:\d+: /, '64 lowercase hex');
    expectNothingOutsideChanged(t);
  });

  test('an output path outside the repository is refused', () => {
    const t = newTrial({}, 'pipeline');
    rewrite(t, 'pipeline.lock', 'path: a.txt', 'path: ../canary/out.txt');
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, /pipeline\.lock:\d+:\d+: /, '../canary/out.txt');
    expectNothingOutsideChanged(t);
  });

  test('`mlp push` of a crafted hash neither reads a file outside the repository nor writes outside the remote root', () => {
    const t = newTrial({}, 'pipeline');
    const remote = path.join(t.base, 'r1/r2/r3/r4/remote');
    fs.mkdirSync(remote, { recursive: true });
    t.allowed.push(remote);
    expect(runMlp(t.repo, ['remote', 'add', '-d', 'r', remote]).code).toBe(0);
    rewrite(t, 'pipeline.lock', /sha256: [0-9a-f]{64}/, `sha256: "${TRAVERSAL_HASH}"`);
    arm(t);
    expectRefused(runMlp(t.repo, ['push']), 3, /pipeline\.lock:\d+:\d+: /);
    expectNothingOutsideChanged(t);
    expect(snapshotTree(remote)).toEqual({ '': expect.stringMatching(/^dir /) });
  });
});

describe('directory manifests', () => {
  test.each([
    ['an entry that climbs out', '../../canary/ESCAPE.sh'],
    ['an absolute entry', '/tmp/ESCAPE.sh'],
    ['an entry that climbs out through a subdirectory', 'a/../../../canary/ESCAPE.sh'],
    ['an entry that is not normalised', 'a//ESCAPE.sh'],
  ])('%s is refused before checkout writes anything', (_name, entryPath) => {
    const t = newTrial();
    const payload = plantObject(t, '#!/bin/sh\necho pwned\n');
    plantManifest(t, [{ path: entryPath, hash: payload, size: 22 }]);
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, '.mlp/cache/files/sha256/', 'entry 1');
    expectNothingOutsideChanged(t);
    expect(fs.existsSync(path.join(t.repo, 'd'))).toBe(false);
  });

  test('duplicate entries are refused', () => {
    const t = newTrial();
    const payload = plantObject(t, 'x');
    plantManifest(t, [
      { path: 'f', hash: payload, size: 1 },
      { path: 'f', hash: payload, size: 1 },
    ]);
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, 'entry 2', 'more than once');
    expectNothingOutsideChanged(t);
  });

  test('an entry whose hash is a path is refused', () => {
    const t = newTrial();
    plantManifest(t, [{ path: 'f', hash: TRAVERSAL_HASH, size: 1 }]);
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, 'entry 1', '64 lowercase hex');
    expectNothingOutsideChanged(t);
  });
});

describe('run-cache entries', () => {
  test('an entry whose hash is a path is refused (restoring it would delete the file it names)', () => {
    const t = newTrial({}, 'twoRuns');
    const entry = path.join(t.repo, twoRunsEntry);
    fs.writeFileSync(entry, JSON.stringify({ outs: [{ path: 'out.txt', hash: TRAVERSAL_HASH, size: 9 }] }));
    arm(t);
    const result = runMlp(t.repo, ['repro']);
    expectRefused(result, 4, '.mlp/cache/runs/', '64 lowercase hex');
    expectNothingOutsideChanged(t);
  });

  test('an entry that names a path outside the repository is refused', () => {
    const t = newTrial({}, 'twoRuns');
    const entry = path.join(t.repo, twoRunsEntry);
    fs.writeFileSync(entry, JSON.stringify({ outs: [{ path: '../canary/out.txt', hash: sha256('A'), size: 1 }] }));
    arm(t);
    expectRefused(runMlp(t.repo, ['repro']), 4, '.mlp/cache/runs/', '../canary/out.txt');
    expectNothingOutsideChanged(t);
  });

  test('an entry that names a path the stage does not output is refused (it would overwrite pipeline.yaml)', () => {
    const t = newTrial({}, 'twoRuns');
    const entry = path.join(t.repo, twoRunsEntry);
    const pipeline = read(t.repo, 'pipeline.yaml');
    fs.writeFileSync(entry, JSON.stringify({ outs: [{ path: 'pipeline.yaml', hash: sha256('A'), size: 1 }] }));
    arm(t);
    expectRefused(runMlp(t.repo, ['repro']), 4, '.mlp/cache/runs/', 'pipeline.yaml');
    expect(read(t.repo, 'pipeline.yaml')).toBe(pipeline);
    expectNothingOutsideChanged(t);
  });
});

describe('.mlp/config.yaml and config.local.yaml', () => {
  const stage = { 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo ran >> runs.log && echo x > out.txt\n    outs: [out.txt]\n' };

  test.each([
    ['an unknown key', 'config.yaml', 'core:\n  jbos: 3\n', /config\.yaml:2:3: unknown key 'jbos' in core/, 'known keys: jobs, remote'],
    ['a number given as a string', 'config.yaml', "core:\n  jobs: '1'\n", /config\.yaml:2:9: core\.jobs: /, 'jobs'],
    ['an unknown remote option', 'config.yaml', 'remotes:\n  r:\n    url: /tmp/x\n    jbos: 3\n', /config\.yaml:4:5: unknown key 'jbos' in remotes\.r\n/, 'hint: known keys for a local remote: url, jobs\n'],
    ['an unknown cache type', 'config.yaml', 'cache:\n  type: [teleport]\n', /config\.yaml:2:10: cache\.type/, 'reflink, hardlink, symlink, copy'],
    ['an unknown key in config.local.yaml', 'config.local.yaml', 'cahce:\n  type: copy\n', /config\.local\.yaml:1:1: unknown key 'cahce'/, 'known keys: cache, core, remotes'],
  ])('%s is reported with file:line:column before any stage runs', (_name, file, text, where, hint) => {
    const t = newTrial(stage);
    fs.writeFileSync(path.join(t.repo, '.mlp', file), text);
    arm(t);
    const result = runMlp(t.repo, ['repro']);
    expectRefused(result, 3, where, hint);
    expect(fs.existsSync(path.join(t.repo, 'runs.log'))).toBe(false);
    expectNothingOutsideChanged(t);
  });
});

describe('symlinks in output paths', () => {
  const pipeline = { 'pipeline.yaml': 'stages:\n  s:\n    cmd: mkdir -p ext && echo new > ext/out.txt\n    outs: [ext/out.txt]\n' };

  test('repro refuses an output under a symlink to outside: no delete, no write, no .gitignore there', () => {
    const t = newTrial(pipeline);
    fs.symlinkSync('../canary', path.join(t.repo, 'ext'));
    arm(t);
    expectRefused(runMlp(t.repo, ['repro']), 3, 'ext/out.txt', 'symlink');
    expectNothingOutsideChanged(t);
  });

  test('checkout refuses to restore through a symlink to outside', () => {
    const t = newTrial(pipeline);
    expect(runMlp(t.repo, ['repro']).code).toBe(0);
    fs.rmSync(path.join(t.repo, 'ext'), { recursive: true });
    fs.symlinkSync('../canary', path.join(t.repo, 'ext'));
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, 'ext/out.txt', 'symlink');
    expectNothingOutsideChanged(t);
  });

  test('commit refuses to record (and git-ignore) an output reached through a symlink to outside', () => {
    const t = newTrial(pipeline);
    expect(runMlp(t.repo, ['repro']).code).toBe(0);
    fs.rmSync(path.join(t.repo, 'ext'), { recursive: true });
    fs.symlinkSync('../canary', path.join(t.repo, 'ext'));
    arm(t);
    expectRefused(runMlp(t.repo, ['commit']), 3, 'ext/out.txt', 'symlink');
    expectNothingOutsideChanged(t);
  });

  test('checkout does not write through an output that is a dangling symlink to outside', () => {
    const t = newTrial({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo new > out.txt\n    outs: [out.txt]\n' });
    expect(runMlp(t.repo, ['repro']).code).toBe(0);
    fs.rmSync(path.join(t.repo, 'out.txt'));
    fs.symlinkSync('../canary/created-by-mlp.txt', path.join(t.repo, 'out.txt'));
    arm(t);
    expectRefused(runMlp(t.repo, ['checkout']), 3, 'out.txt', 'symlink');
    expectNothingOutsideChanged(t);
  });

  test('a symlink inside the repository that points inside it is fine', () => {
    const t = newTrial({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo new > ext/out.txt\n    outs: [ext/out.txt]\n' });
    fs.mkdirSync(path.join(t.repo, 'real'));
    fs.symlinkSync('real', path.join(t.repo, 'ext'));
    arm(t);
    const result = runMlp(t.repo, ['repro']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(read(t.repo, 'real/out.txt')).toBe('new\n');
    expectNothingOutsideChanged(t);
  });
});

describe('remote listings and remote run-cache entries', () => {
  function withRemote(t: Trial, files: Record<string, string>): string {
    const remote = path.join(t.base, 'remote');
    writeFiles(remote, files);
    t.allowed.push(remote);
    expect(runMlp(t.repo, ['remote', 'add', '-d', 'r', remote]).code).toBe(0);
    return remote;
  }

  test('names in a listing that are not hex shard/object names are skipped', () => {
    const t = newTrial();
    withRemote(t, {
      [`runs/zz/${'z'.repeat(62)}`]: '{"outs":[]}\n',
      [`runs/ab/..${'a'.repeat(60)}`]: '{"outs":[]}\n',
      [`runs/ab/${'A'.repeat(62)}`]: '{"outs":[]}\n',
    });
    arm(t);
    const result = runMlp(t.repo, ['fetch', '--run-cache']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fs.existsSync(path.join(t.repo, '.mlp/cache/runs'))).toBe(false);
    expectNothingOutsideChanged(t);
  });

  test('a remote run-cache entry that names a path outside the repository is refused and not stored', () => {
    const t = newTrial();
    const key = sha256('key');
    withRemote(t, { [`runs/${key.slice(0, 2)}/${key.slice(2)}`]: JSON.stringify({ outs: [{ path: '../canary/victim.txt', hash: sha256('x'), size: 1 }] }) });
    arm(t);
    expectRefused(runMlp(t.repo, ['fetch', '--run-cache']), 3, `runs/${key.slice(0, 2)}/${key.slice(2)}`, '../canary/victim.txt');
    expect(fs.existsSync(path.join(t.repo, '.mlp/cache/runs', key.slice(0, 2), key.slice(2)))).toBe(false);
    expectNothingOutsideChanged(t);
  });
});

describe('pipeline.yaml', () => {
  test.each([
    ['inside .git', '.git/hooks/post-checkout'],
    ['inside .mlp', '.mlp/cache/x'],
    ['outside through a subdirectory', 'a/../../canary/out.txt'],
  ])('an output %s is refused at load', (_name, out) => {
    const t = newTrial({ 'pipeline.yaml': `stages:\n  s:\n    cmd: echo x > out.txt\n    outs: ['${out}']\n` });
    arm(t);
    expectRefused(runMlp(t.repo, ['repro']), 3, /pipeline\.yaml:\d+:\d+: /);
    expectNothingOutsideChanged(t);
  });

  test('a vars file outside the repository is not read (its values would end up in commands and the lockfile)', () => {
    const t = newTrial({ 'pipeline.yaml': "vars: ['../canary/secrets.yaml']\nstages:\n  s:\n    cmd: echo ${token} > out.txt\n    outs: [out.txt]\n" });
    arm(t);
    const result = runMlp(t.repo, ['repro']);
    expectRefused(result, 3, "pipeline.yaml:1:8: vars file '../canary/secrets.yaml' is outside the repository");
    expect(result.stdout + result.stderr).not.toContain('s3cr3t');
    expect(fs.existsSync(path.join(t.repo, 'out.txt'))).toBe(false);
    expectNothingOutsideChanged(t);
  });
});
