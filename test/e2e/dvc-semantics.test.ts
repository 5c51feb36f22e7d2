/**
 * DVC semantics that scripts and habits carried over from DVC rely on (issue 11, "Semantics:
 * behave as DVC does"), through the built CLI in temporary git repositories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commitFiles, count, makeRepo, read, runMlp } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string>, untracked: Record<string, string> = {}): string {
  const dir = makeRepo(files, untracked);
  dirs.push(dir);
  return dir;
}

const TRAIN_SH = `echo $1 > model.txt\necho '{"acc": 0.9}' > m.json\necho '{"loss": 0.2}' > n.json\n`;

describe('stage commands', () => {
  test('a multi-line cmd stops at the first failing line and the stage fails', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  multi:\n    cmd: |\n      echo one >> runs.log\n      false\n      echo three >> runs.log\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 'multi' failed: command exited with code 1");
    expect(read(dir, 'runs.log')).toBe('one\n');
    expect(fs.existsSync(path.join(dir, 'pipeline.lock'))).toBe(false);
  });

  test('commands run with $SHELL when it is a POSIX shell, else /bin/sh; DVC_ROOT and DVC_STAGE are set', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  env:\n    cmd: echo "$DVC_STAGE|$DVC_ROOT|$MLP_STAGE|$BASH_VERSION" > env.txt\n    always_changed: true\n' });
    const bash = ['/usr/bin/bash', '/bin/bash'].find((b) => fs.existsSync(b)) as string;
    expect(runMlp(dir, ['repro'], { SHELL: bash }).code).toBe(0);
    expect(read(dir, 'env.txt')).toMatch(new RegExp(`^env\\|${fs.realpathSync(dir)}\\|env\\|\\d`));
    // fish and csh do not read sh syntax: mlp keeps to /bin/sh for them.
    expect(runMlp(dir, ['repro'], { SHELL: '/usr/bin/fish' }).code).toBe(0);
    expect(read(dir, 'env.txt')).toBe(`env|${fs.realpathSync(dir)}|env|\n`);
  });
});

describe('params and status', () => {
  test('a deleted params file is reported by status (exit 0) and repro --dry, as DVC', () => {
    const dir = repo({
      'pipeline.yaml': 'stages:\n  evaluate:\n    cmd: cat conf.yaml > eval.txt\n    params: [{conf.yaml: [threshold]}]\n    outs: [eval.txt]\n',
      'conf.yaml': 'threshold: 0.5\n',
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.rmSync(path.join(dir, 'conf.yaml'));
    const status = runMlp(dir, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe('evaluate:\n    params file conf.yaml deleted\n');
    const dry = runMlp(dir, ['repro', '--dry']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Would run 'evaluate': params file conf.yaml deleted");
    // A real run still cannot go ahead without it.
    expect(runMlp(dir, ['repro']).code).toBe(3);
  });

  test('a param read only through ${…} is tracked: status says why and params diff shows it', () => {
    const dir = repo({
      'pipeline.yaml': 'stages:\n  train:\n    cmd: sh train.sh ${train.lr}\n    outs: [model.txt]\n    metrics: [m.json, n.json]\n',
      'train.sh': TRAIN_SH,
      'params.yaml': 'train: {lr: 0.1, unused: 1}\n',
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    expect(read(dir, 'pipeline.lock')).toContain('train.lr: 0.1');
    commitFiles(dir, {});
    fs.writeFileSync(path.join(dir, 'params.yaml'), 'train: {lr: 0.2, unused: 2}\n');
    expect(runMlp(dir, ['status']).stdout).toBe('train:\n    cmd changed\n    param train.lr changed: 0.1 -> 0.2\n');
    const diff = runMlp(dir, ['params', 'diff']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/params\.yaml\s+train\.lr\s+0\.1\s+0\.2\s+modified/);
    expect(diff.stdout).not.toContain('unused');
  });

  test('top-level params: and metrics: are read by params diff and metrics show', () => {
    const dir = repo({
      'pipeline.yaml': 'params: [config/train.yaml]\nmetrics: [eval/summary.json]\nstages: {}\n',
      'config/train.yaml': 'epochs: 5\n',
      'eval/summary.json': '{"f1": 0.5}\n',
    });
    fs.writeFileSync(path.join(dir, 'config/train.yaml'), 'epochs: 6\n');
    expect(runMlp(dir, ['params', 'diff']).stdout).toMatch(/config\/train\.yaml\s+epochs\s+5\s+6\s+modified/);
    expect(runMlp(dir, ['metrics', 'show']).stdout).toMatch(/eval\/summary\.json\s+0\.5/);
  });
});

describe('params files', () => {
  test('a params.py (constants, class attributes) and a params.toml are read as DVC reads them', () => {
    const dir = repo({
      'params.py': 'LR = 0.1\nclass Train:\n    epochs = 5\n',
      'pipeline.yaml': 'stages:\n  train:\n    cmd: echo run > out.txt\n    params: [{params.py: [LR, Train.epochs]}]\n    outs: [out.txt]\n',
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    commitFiles(dir, {});
    fs.writeFileSync(path.join(dir, 'params.py'), 'LR = 0.2\nclass Train:\n    epochs = 5\n');
    expect(runMlp(dir, ['status']).stdout).toBe('train:\n    param LR changed: 0.1 -> 0.2\n');
    expect(runMlp(dir, ['params', 'diff']).stdout).toMatch(/params\.py\s+LR\s+0\.1\s+0\.2\s+modified/);
    fs.writeFileSync(path.join(dir, 'p.toml'), '[train]\nlr = 1\n');
    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), 'vars: [p.toml]\nstages:\n  t:\n    cmd: echo ${train.lr} > t.txt\n    params: [{p.toml: [train.lr]}]\n    outs: [t.txt]\n');
    expect(runMlp(dir, ['repro']).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 't.txt'), 'utf8')).toBe('1\n');
    commitFiles(dir, {});
    fs.writeFileSync(path.join(dir, 'p.toml'), '[train]\nlr = 2\n');
    expect(runMlp(dir, ['status']).stdout).toBe('t:\n    cmd changed\n    param train.lr changed: 1 -> 2\n');
    expect(runMlp(dir, ['params', 'diff']).stdout).toMatch(/p\.toml\s+train\.lr\s+1\s+2\s+modified/);
    fs.writeFileSync(path.join(dir, 'p.toml'), '[train\n');
    const bad = runMlp(dir, ['status']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/p\.toml:1:\d+: invalid TOML/);
  });
});

describe('metrics show', () => {
  test('a malformed metrics file is flagged and the others are shown (exit 0)', () => {
    const dir = repo({
      'pipeline.yaml': 'stages:\n  train:\n    cmd: sh train.sh 1\n    outs: [model.txt]\n    metrics: [m.json, n.json]\n',
      'train.sh': TRAIN_SH,
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'n.json'), '{bad\n');
    const show = runMlp(dir, ['metrics', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout).toBe('Path    acc\nm.json  0.9\n');
    expect(show.stderr).toContain("warning: metrics file 'n.json' in the workspace is not valid JSON or YAML");
    const json = JSON.parse(runMlp(dir, ['metrics', 'show', '--json']).stdout) as { workspace: Record<string, Record<string, unknown>> };
    expect(json.workspace['m.json']).toEqual({ acc: 0.9 });
    expect(json.workspace['n.json']?.error).toMatch(/not valid JSON or YAML/);
  });
});

describe('mlp add', () => {
  test('refuses a path inside tracked data, a directory holding tracked data, and symlinked directories', () => {
    const dir = repo({}, { 'data/img/a.png': 'a', 'real/b': 'b', 'other/c': 'c' });
    fs.symlinkSync('real', path.join(dir, 'linkdir'));
    expect(runMlp(dir, ['add', 'data']).code).toBe(0);
    const inside = runMlp(dir, ['add', 'data/img/a.png']);
    expect(inside.code).toBe(1);
    expect(inside.stderr).toContain('error: data/img/a.png is inside data, already tracked by data.mlp');
    expect(runMlp(dir, ['add', 'other/c']).code).toBe(0);
    const containing = runMlp(dir, ['add', 'other']);
    expect(containing.code).toBe(1);
    expect(containing.stderr).toContain('error: other contains other/c, already tracked by other/c.mlp');
    const link = runMlp(dir, ['add', 'linkdir']);
    expect(link.code).toBe(1);
    expect(link.stderr).toContain('error: linkdir is a symlink to a directory');
    expect(fs.existsSync(path.join(dir, 'linkdir.mlp'))).toBe(false);
    // Re-adding the same path updates it.
    fs.writeFileSync(path.join(dir, 'data/img/a.png'), 'changed');
    expect(runMlp(dir, ['add', 'data']).code).toBe(0);
  });
});

describe('DVC 3 pipelines', () => {
  test('external dependencies are refused with a located error (exit 3), not read as local paths', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: echo x >> runs.log\n    deps: [s3://bucket/f.csv]\n' });
    const result = runMlp(dir, ['status']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("error: pipeline.yaml:4:5: stage 'a': 's3://bucket/f.csv' is an external dependency (a URL)");
    expect(count(dir)).toBe(0);
  });

  test('status checks the stages of pipeline.yaml files in subdirectories instead of calling everything up to date', () => {
    const dir = repo({ 'pipeline.yaml': 'stages: {}\n', 'sub/pipeline.yaml': 'stages:\n  s: {cmd: echo}\n' });
    const result = runMlp(dir, ['status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sub/pipeline.yaml:s:\n    never run');
    expect(Object.keys((JSON.parse(runMlp(dir, ['status', '--json']).stdout) as { stages: object }).stages)).toEqual(['sub/pipeline.yaml:s']);
  });

  test('a dvc.yaml in the DVC 3 shape runs unchanged: merge keys, plots, artifacts, out flags, ${dict} in cmd', () => {
    const dir = repo({
      'params.yaml': 'train: {lr: 0.1, epochs: 2}\n',
      'pipeline.yaml': `
stages:
  train:
    cmd: echo \${train} > args.txt && echo step,loss > loss.csv
    outs:
      - args.txt: {desc: arguments, type: model, labels: [x], meta: {a: 1}, push: false}
    plots:
      - loss.csv: {x: step, y: loss, title: Loss, cache: false}
  copy: &copy
    cmd: cp args.txt copy.txt
    deps: [args.txt]
    outs: [copy.txt]
  copy2:
    <<: *copy
    outs: [copy2.txt]
    cmd: cp args.txt copy2.txt
plots:
  - loss:
      x: step
      y: {loss.csv: loss}
artifacts:
  model: {path: args.txt, type: model}
`,
    });
    const result = runMlp(dir, ['repro']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(read(dir, 'args.txt')).toBe('--lr 0.1 --epochs 2\n');
    expect(read(dir, 'copy2.txt')).toBe('--lr 0.1 --epochs 2\n');
  });
});
