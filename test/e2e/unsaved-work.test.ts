/**
 * A user's unsaved work is never thrown away silently (issue 9, section 2): checkout, pull and
 * the post-checkout hook keep workspace files whose content is not in the cache; stages may not
 * declare mlp's own files, params files or git-tracked files as cached outputs; repro saves an
 * output that was never cached before deleting it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commitFiles, git, makeRepo, read, runMlp, tempDir, writeFiles } from '../helpers/cli.js';

/** The documented exit code for "would discard unsaved changes" (README, Exit codes). */
const UNSAVED = 6;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string> = {}, untracked: Record<string, string> = {}): string {
  const dir = makeRepo(files, untracked);
  made.push(dir);
  return dir;
}

function gitRun(dir: string, ...args: string[]): { code: number; output: string } {
  const result = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: result.status ?? -1, output: result.stdout + result.stderr };
}

describe('checkout keeps what is not in the cache', () => {
  test('an edited tracked file is kept (documented exit code); --force restores it', () => {
    const dir = repo({}, { 'f.txt': 'original\n', 'g.txt': 'other\n' });
    expect(runMlp(dir, ['add', 'f.txt', 'g.txt']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'f.txt'), 'edit\n');
    fs.rmSync(path.join(dir, 'g.txt')); // a safe path: still restored in the same run

    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(UNSAVED);
    expect(read(dir, 'f.txt')).toBe('edit\n');
    expect(read(dir, 'g.txt')).toBe('other\n');
    expect(result.stdout).toContain('restored g.txt');
    expect(result.stderr).toContain('f.txt');
    expect(result.stderr).toContain('mlp add f.txt');
    expect(result.stderr).toContain('mlp checkout --force');

    const forced = runMlp(dir, ['checkout', '--force']);
    expect(forced.code).toBe(0);
    expect(read(dir, 'f.txt')).toBe('original\n');
  });

  test('a file of a tracked directory that .mlpignore now matches is not overwritten by checkout unless --force', () => {
    const dir = repo({}, { 'd/a.txt': 'one\n', 'd/b.log': 'recorded\n' });
    expect(runMlp(dir, ['add', 'd']).code).toBe(0);
    fs.writeFileSync(path.join(dir, '.mlpignore'), '*.log\n');
    fs.writeFileSync(path.join(dir, 'd/b.log'), 'edited, not saved\n');
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(UNSAVED);
    expect(result.stderr).toContain('d/b.log');
    expect(read(dir, 'd/b.log')).toBe('edited, not saved\n');
    expect(runMlp(dir, ['checkout', '--force']).code).toBe(0);
    expect(read(dir, 'd/b.log')).toBe('recorded\n');
  });

  test('--json reports the kept files', () => {
    const dir = repo({}, { 'f.txt': 'original\n' });
    runMlp(dir, ['add', 'f.txt']);
    fs.writeFileSync(path.join(dir, 'f.txt'), 'edit\n');
    const result = runMlp(dir, ['checkout', '--json']);
    expect(result.code).toBe(UNSAVED);
    expect(JSON.parse(result.stdout)).toEqual([{ path: 'f.txt', source: 'f.txt.mlp', outcome: 'unsaved', files: ['f.txt'], message: expect.any(String) }]);
  });

  test('untracked and edited files inside a tracked directory survive; files whose content is cached are replaced', () => {
    const dir = repo({}, { 'd/a': '1', 'd/b': '2' });
    runMlp(dir, ['add', 'd']);
    fs.writeFileSync(path.join(dir, 'd/extra'), 'my notes');
    fs.writeFileSync(path.join(dir, 'd/a'), 'modified');
    const kept = runMlp(dir, ['checkout', 'd']);
    expect(kept.code).toBe(UNSAVED);
    expect(kept.stderr).toContain('d/extra');
    expect(kept.stderr).toContain('d/a');
    expect(read(dir, 'd/extra')).toBe('my notes');
    expect(read(dir, 'd/a')).toBe('modified');

    // A stray file whose content is in the cache (here: a copy of d/b) is safe to remove.
    fs.writeFileSync(path.join(dir, 'd/a'), '1');
    fs.rmSync(path.join(dir, 'd/extra'));
    fs.writeFileSync(path.join(dir, 'd/copy-of-b'), '2');
    const safe = runMlp(dir, ['checkout', 'd']);
    expect(safe.code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'd')).sort()).toEqual(['a', 'b']);

    fs.writeFileSync(path.join(dir, 'd/extra'), 'x');
    expect(runMlp(dir, ['checkout', '--force', 'd']).code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'd')).sort()).toEqual(['a', 'b']);
  });

  test('a file where a tracked directory belongs is kept', () => {
    const dir = repo({}, { 'd/a': '1' });
    runMlp(dir, ['add', 'd']);
    fs.rmSync(path.join(dir, 'd'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'd'), 'not a directory');
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(UNSAVED);
    expect(read(dir, 'd')).toBe('not a directory');
  });

  test('switching commits replaces data whose content is cached without --force', () => {
    const dir = repo();
    writeFiles(dir, { 'data/d.txt': 'v1' });
    runMlp(dir, ['add', 'data/d.txt']);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'v1');
    fs.writeFileSync(path.join(dir, 'data/d.txt'), 'v2');
    runMlp(dir, ['add', 'data/d.txt']);
    git(dir, 'commit', '-qam', 'v2');
    git(dir, 'checkout', '-q', 'HEAD~1');
    expect(runMlp(dir, ['checkout']).code).toBe(0);
    expect(read(dir, 'data/d.txt')).toBe('v1');
  });

  test('an edited stage output is kept and the hint names `mlp commit <stage>`', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  s: {cmd: echo original > o.txt, outs: [o.txt]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.rmSync(path.join(dir, 'o.txt'));
    fs.writeFileSync(path.join(dir, 'o.txt'), 'hand-made\n');
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(UNSAVED);
    expect(result.stderr).toContain('mlp commit s');
    expect(read(dir, 'o.txt')).toBe('hand-made\n');
  });

  test('the post-checkout hook warns and keeps the edit; git checkout succeeds', () => {
    const dir = repo({ 'notes.txt': 'a\n' }, { 'data/d.txt': 'v1' });
    runMlp(dir, ['add', 'data/d.txt']);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'data v1');
    git(dir, 'checkout', '-qb', 'v2');
    fs.writeFileSync(path.join(dir, 'data/d.txt'), 'v2');
    runMlp(dir, ['add', 'data/d.txt']);
    git(dir, 'commit', '-qam', 'data v2');
    expect(runMlp(dir, ['install']).code).toBe(0);

    fs.writeFileSync(path.join(dir, 'data/d.txt'), 'my unsaved edit');
    const toMain = gitRun(dir, 'checkout', 'main');
    expect(toMain.code).toBe(0);
    expect(read(dir, 'data/d.txt')).toBe('my unsaved edit');
    expect(toMain.output).toContain('data/d.txt');
    expect(toMain.output).toContain('mlp checkout --force');
  });

  test('pull keeps an edited file (documented exit code); pull --force restores it', () => {
    const dir = repo({}, { 'f.txt': 'original\n' });
    const remote = tempDir('mlp-remote-');
    made.push(remote);
    runMlp(dir, ['add', 'f.txt']);
    expect(runMlp(dir, ['remote', 'add', '-d', 'origin', remote]).code).toBe(0);
    expect(runMlp(dir, ['push']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'f.txt'), 'edit\n');
    const pulled = runMlp(dir, ['pull']);
    expect(pulled.code).toBe(UNSAVED);
    expect(read(dir, 'f.txt')).toBe('edit\n');
    expect(pulled.stderr).toContain('mlp pull --force');
    const forced = runMlp(dir, ['pull', '--force']);
    expect(forced.code).toBe(0);
    expect(read(dir, 'f.txt')).toBe('original\n');
  });
});

describe('outputs that cannot be outputs', () => {
  const refused = (files: Record<string, string>, expected: RegExp): void => {
    const dir = repo(files);
    for (const command of [['status'], ['repro']]) {
      const result = runMlp(dir, command);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(expected);
    }
    for (const [file, content] of Object.entries(files)) expect(read(dir, file)).toBe(content);
  };

  test('the default params file', () => {
    refused(
      { 'params.yaml': 'lr: 1\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: cp new.yaml params.yaml\n    outs: [params.yaml]\n' },
      /pipeline\.yaml:4:5: stage 's': output 'params\.yaml' is a params file the pipeline reads/,
    );
  });

  test("another stage's params file, pipeline.lock, a pointer file, .gitignore, pipeline.yaml", () => {
    refused(
      {
        'conf/p.yaml': 'a: 1\n',
        'pipeline.yaml': 'stages:\n  a: {cmd: echo, params: [{conf/p.yaml: [a]}], outs: [x]}\n  b: {cmd: echo, outs: [conf]}\n',
      },
      /pipeline\.yaml:3:\d+: stage 'b': output 'conf' contains conf\/p\.yaml, a params file the pipeline reads/,
    );
    refused({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, outs: [pipeline.lock]}\n' }, /output 'pipeline\.lock' is mlp's lockfile/);
    refused({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, outs: [data.mlp]}\n' }, /output 'data\.mlp' is an mlp pointer file/);
    refused({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, metrics: [sub/.gitignore]}\n' }, /output 'sub\/\.gitignore' is a \.gitignore file/);
    refused({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, outs: [pipeline.yaml]}\n' }, /output 'pipeline\.yaml' is the pipeline file/);
  });

  test('a git-tracked file as a cached output is refused before anything is deleted; its edits survive', () => {
    const dir = repo({ 'train.py': 'print(1)\n', 'pipeline.yaml': 'stages:\n  train:\n    cmd: echo generated > train.py\n    outs: [train.py]\n' });
    fs.writeFileSync(path.join(dir, 'train.py'), 'print("uncommitted work")\n');
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/pipeline\.yaml:4:5: stage 'train': output 'train\.py' is tracked by git/);
    expect(result.stderr).toContain('cache: false');
    expect(read(dir, 'train.py')).toBe('print("uncommitted work")\n');
  });

  test('a git-tracked `cache: false` output is fine', () => {
    const dir = repo({ 'metrics.json': '{"acc": 0}\n', 'new.json': '{"acc": 1}\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: cp new.json metrics.json\n    metrics: [{metrics.json: {cache: false}}]\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(read(dir, 'metrics.json')).toBe('{"acc": 1}\n');
  });
});

describe('repro saves outputs that were never cached before deleting them', () => {
  test('a pre-existing raw/ is saved, the message says how to get it back, and it can be', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  fetch: {cmd: mkdir -p raw && echo fresh > raw/new.txt, outs: [raw]}\n' });
    writeFiles(dir, { 'raw/precious.csv': 'hand collected\n', 'raw/sub/notes.txt': 'notes\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(0);
    expect(read(dir, 'raw/new.txt')).toBe('fresh\n');
    expect(fs.existsSync(path.join(dir, 'raw/precious.csv'))).toBe(false);
    const record = /(\.mlp\/cache\/saved\/\S+\.mlp)/.exec(result.stderr)?.[1];
    expect(record).toBeDefined();
    expect(result.stderr).toContain('raw was never cached');

    // gc keeps what was saved, whatever the scope.
    expect(runMlp(dir, ['gc', '-w', '-f']).code).toBe(0);
    // The recovery the message describes: copy the record next to where you want the data, check it out.
    fs.mkdirSync(path.join(dir, 'recovered'));
    fs.copyFileSync(path.join(dir, record as string), path.join(dir, 'recovered/raw.mlp'));
    const back = runMlp(dir, ['checkout', 'recovered/raw']);
    expect(back.code).toBe(0);
    expect(read(dir, 'recovered/raw/precious.csv')).toBe('hand collected\n');
    expect(read(dir, 'recovered/raw/sub/notes.txt')).toBe('notes\n');
  });

  test('an edited git-tracked `cache: false` output is saved before its stage reruns', () => {
    const dir = repo({ 'in.txt': '1', 'm.json': '{"a": 0}\n', 'pipeline.yaml': 'stages:\n  s: {cmd: cp in.txt m.json, deps: [in.txt], metrics: [{m.json: {cache: false}}]}\n' });
    fs.writeFileSync(path.join(dir, 'm.json'), '{"a": "uncommitted"}\n');
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(0);
    const record = /(\.mlp\/cache\/saved\/\S+\.mlp)/.exec(result.stderr)?.[1] as string;
    expect(record).toBeDefined();
    fs.mkdirSync(path.join(dir, 'old'));
    fs.copyFileSync(path.join(dir, record), path.join(dir, 'old/m.json.mlp'));
    expect(runMlp(dir, ['checkout', 'old/m.json']).code).toBe(0);
    expect(read(dir, 'old/m.json')).toBe('{"a": "uncommitted"}\n');
  });

  test('an output produced by the stage before (in the cache) is deleted quietly', () => {
    const dir = repo({ 'in.txt': '1', 'pipeline.yaml': 'stages:\n  s: {cmd: cp in.txt o.txt, deps: [in.txt], outs: [o.txt]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    commitFiles(dir, { 'in.txt': '2' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(fs.existsSync(path.join(dir, '.mlp/cache/saved'))).toBe(false);
  });

  test('a run-cache restore over a hand-edited output saves it first', () => {
    const dir = repo({ 'in.txt': '1', 'pipeline.yaml': 'stages:\n  s: {cmd: cp in.txt o.txt, deps: [in.txt], outs: [o.txt]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'in.txt'), '2');
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'in.txt'), '1');
    fs.rmSync(path.join(dir, 'o.txt'));
    fs.writeFileSync(path.join(dir, 'o.txt'), 'hand edit');
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('run-cache');
    expect(read(dir, 'o.txt')).toBe('1');
    expect(result.stderr).toMatch(/\.mlp\/cache\/saved\/\S+\.mlp/);
  });
});
