/** `mlp exp push|pull`: refs to a local bare git remote, outputs to a local mlp remote, through the built CLI. */
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, read, runMlp, tempDir } from '../helpers/cli.js';

const TRAIN = `
const fs = require('fs');
const lr = Number(/lr: ([^ #\\n]+)/.exec(fs.readFileSync('params.yaml', 'utf8'))[1]);
fs.mkdirSync('out', { recursive: true });
fs.writeFileSync('out/model.txt', 'model lr=' + lr + '\\n');
fs.writeFileSync('metrics.json', JSON.stringify({ acc: 1 - lr }) + '\\n');
`;

const PROJECT = {
  'train.js': TRAIN,
  'params.yaml': 'train:\n  lr: 0.1\n',
  'pipeline.yaml': 'stages:\n  train:\n    cmd: node train.js\n    deps: [train.js]\n    params: [train]\n    outs: [out]\n    metrics: [{metrics.json: {cache: false}}]\n',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

function ok(dir: string, args: string[]): string {
  const result = runMlp(dir, args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** A project whose committed config names a local mlp remote, with experiments a (lr 0.2) and b (lr 0.3). */
function project(): { dir: string; bare: string; store: string } {
  const dir = makeRepo(PROJECT);
  dirs.push(dir);
  const store = temp('mlp-store-');
  ok(dir, ['remote', 'add', '-d', 'store', store]);
  ok(dir, ['repro']);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'baseline');
  ok(dir, ['exp', 'run', '-S', 'train.lr=0.2', '-n', 'a']);
  ok(dir, ['exp', 'run', '-S', 'train.lr=0.3', '-n', 'b']);
  const bare = temp('mlp-bare-');
  git(bare, 'init', '-q', '--bare');
  git(dir, 'push', '-q', bare, 'main');
  return { dir, bare, store };
}

const remoteRefs = (bare: string): string[] =>
  git(bare, 'for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').filter(Boolean).map((r) => r.split('/').at(-1) as string);

describe('mlp exp push and pull', () => {
  test('push sends the refs and their outputs; a clone pulls them and applies one with its outputs', () => {
    const { dir, bare, store } = project();
    const pushed = ok(dir, ['exp', 'push', bare, 'a']);
    expect(pushed).toContain(`Pushed experiment 'a' (`);
    expect(pushed).toMatch(/Pushed \d+ objects? .* to 'store'/);
    expect(remoteRefs(bare)).toEqual(['a']);

    const again = ok(dir, ['exp', 'push', bare]);
    expect(again).toContain(`Experiment 'a' (`);
    expect(again).toContain(`is already on '${bare}'`);
    expect(again).toContain(`Pushed experiment 'b' (`);
    expect(remoteRefs(bare).sort()).toEqual(['a', 'b']);
    expect(fs.readdirSync(path.join(store, 'files', 'sha256')).length).toBeGreaterThan(0);

    const clone = temp('mlp-clone-');
    git(clone, 'clone', '-q', '-b', 'main', bare, '.');
    git(clone, 'config', 'user.email', 'test@example.com');
    git(clone, 'config', 'user.name', 'Test');
    const pulled = ok(clone, ['exp', 'pull', 'origin']);
    expect(pulled).toContain(`Pulled experiment 'a' (`);
    expect(pulled).toContain(`Pulled experiment 'b' (`);
    expect(pulled).toMatch(/Fetched \d+ objects? .* from 'store'/);
    expect(ok(clone, ['exp', 'list', '--name-only'])).toBe('a\nb\n');
    ok(clone, ['exp', 'apply', 'b']);
    expect(read(clone, 'out/model.txt')).toBe('model lr=0.3\n');
    expect(ok(clone, ['exp', 'pull', 'origin', 'a'])).toContain(`Experiment 'a' (`);

    // Another experiment under the same name and baseline is never overwritten silently.
    ok(clone, ['exp', 'run', '-f', '-S', 'train.lr=0.4', '-n', 'a']);
    const rejected = runMlp(clone, ['exp', 'push', 'origin', 'a']);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain("error: experiment 'a' was not pushed");
    expect(rejected.stderr).toContain('rerun with -f');
    expect(ok(clone, ['exp', 'push', '-f', 'origin', 'a'])).toContain(`Pushed experiment 'a' (`);
    const refused = runMlp(dir, ['exp', 'pull', bare, 'a']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("a local experiment 'a' of that baseline holds another commit");
    expect(runMlp(dir, ['exp', 'pull', '-f', '--no-cache', bare, 'a']).stdout).toContain(`Pulled experiment 'a' (`);
    expect(git(dir, 'rev-parse', `refs/exps/${git(dir, 'rev-parse', 'HEAD').trim().slice(0, 2)}/${git(dir, 'rev-parse', 'HEAD').trim().slice(2)}/a`)).toBe(git(clone, 'rev-parse', `refs/exps/${git(clone, 'rev-parse', 'HEAD').trim().slice(0, 2)}/${git(clone, 'rev-parse', 'HEAD').trim().slice(2)}/a`));
  }, 120_000);

  test('unknown names and unreachable remotes are usage errors with hints', () => {
    const { dir, bare } = project();
    const unknown = runMlp(dir, ['exp', 'push', bare, 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no experiment named 'nope' here");
    const nowhere = runMlp(dir, ['exp', 'pull', path.join(bare, 'missing')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('git could not reach');
    expect(nowhere.stderr).toContain('hint:');
  }, 60_000);
});
