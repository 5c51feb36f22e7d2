/**
 * Pipelines in subdirectories (issue 11): every pipeline.yaml below the root is loaded, with
 * paths relative to its directory, into one DAG; stages are addressed `sub/pipeline.yaml:name`;
 * a pipeline.lock is kept next to each pipeline file; `repro` in a subdirectory reproduces that
 * directory's pipeline, as `dvc repro` does. Through the built CLI in temporary git repositories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { count, git, makeRepo, read, runMlp } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string>, untracked: Record<string, string> = {}): string {
  const dir = makeRepo(files, untracked);
  dirs.push(dir);
  return dir;
}

/** A monorepo: a root pipeline, and nlp/ and vision/ with a stage `train` each; vision reads nlp's model. */
const MONOREPO: Record<string, string> = {
  'raw.txt': 'raw\n',
  'pipeline.yaml': 'stages:\n  prepare:\n    cmd: mkdir -p data && cp raw.txt data/shared.txt && echo prepare >> runs.log\n    deps: [raw.txt]\n    outs: [data/shared.txt]\n',
  'nlp/params.yaml': 'lr: 0.1\n',
  'nlp/pipeline.yaml':
    'stages:\n  train:\n    cmd: cat ../data/shared.txt > model.txt && echo "lr=${lr}" >> model.txt && echo nlp >> ../runs.log\n    deps: [../data/shared.txt]\n    outs: [model.txt]\n    metrics: [{metrics.json: {cache: false}}]\n',
  'vision/pipeline.yaml': 'stages:\n  train:\n    cmd: cp ../nlp/model.txt model.txt && echo vision >> ../runs.log\n    deps: [../nlp/model.txt]\n    outs: [model.txt]\n',
};
MONOREPO['nlp/pipeline.yaml'] = (MONOREPO['nlp/pipeline.yaml'] as string).replace('> model.txt &&', '> model.txt && cp acc.json metrics.json &&');
MONOREPO['nlp/acc.json'] = '{"acc": 0.5}\n';

const runs = (dir: string): string[] => (fs.existsSync(path.join(dir, 'runs.log')) ? read(dir, 'runs.log').trim().split('\n') : []);

describe('pipelines in subdirectories', () => {
  test('status and dag see every pipeline, as one DAG across files', () => {
    const dir = repo(MONOREPO);
    const status = runMlp(dir, ['status', '--json']);
    expect(status.code).toBe(0);
    expect(Object.keys((JSON.parse(status.stdout) as { stages: object }).stages)).toEqual(['prepare', 'nlp/pipeline.yaml:train', 'vision/pipeline.yaml:train']);
    const dag = runMlp(dir, ['dag']);
    expect(dag.stdout).toBe('prepare\nnlp/pipeline.yaml:train <- prepare\nvision/pipeline.yaml:train <- nlp/pipeline.yaml:train\n');
    expect(runMlp(dir, ['status']).stdout).toContain('vision/pipeline.yaml:train:\n    never run (no lock entry)');
  });

  test('repro in a subdirectory reproduces its pipeline (and what it depends on); a pipeline.lock is written next to each pipeline file, paths relative to it', () => {
    const dir = repo(MONOREPO);
    const inNlp = runMlp(path.join(dir, 'nlp'), ['repro']);
    expect(inNlp.code).toBe(0);
    expect(runs(dir)).toEqual(['prepare', 'nlp']);
    expect(read(dir, 'nlp/model.txt')).toBe('raw\nlr=0.1\n');
    expect(fs.existsSync(path.join(dir, 'vision/model.txt'))).toBe(false);
    const lock = read(dir, 'nlp/pipeline.lock');
    expect(lock).toContain('stages:\n  train:\n');
    expect(lock).toContain('      - path: ../data/shared.txt\n');
    expect(lock).toContain('      - path: model.txt\n');
    expect(lock).toContain('    params:\n      params.yaml:\n        lr: 0.1\n');
    expect(read(dir, 'pipeline.lock')).not.toContain('train');
    expect(fs.existsSync(path.join(dir, 'vision/pipeline.lock'))).toBe(false);
    // `mlp repro sub/pipeline.yaml` from the root: the same as in the directory.
    expect(runMlp(dir, ['repro', 'vision/pipeline.yaml']).code).toBe(0);
    expect(runs(dir)).toEqual(['prepare', 'nlp', 'vision']);
    expect(read(dir, 'vision/pipeline.lock')).toContain('      - path: ../nlp/model.txt\n');
    const status = runMlp(dir, ['status']);
    expect(status.stdout).toBe('Pipeline and tracked data are up to date.\n');
    // A params change in nlp/params.yaml makes nlp's stage (and vision's, downstream) stale.
    fs.writeFileSync(path.join(dir, 'nlp/params.yaml'), 'lr: 0.2\n');
    expect(runMlp(dir, ['status']).stdout).toContain('nlp/pipeline.yaml:train:\n    cmd changed\n    param lr changed: 0.1 -> 0.2\n');
    // -P: every pipeline, wherever mlp runs.
    expect(runMlp(path.join(dir, 'vision'), ['repro', '-P']).code).toBe(0);
    expect(runs(dir)).toEqual(['prepare', 'nlp', 'vision', 'nlp', 'vision']);
  });

  test('a stage name in several pipelines is ambiguous outside them, and means the current directory\'s inside one', () => {
    const dir = repo(MONOREPO);
    const ambiguous = runMlp(dir, ['repro', 'train']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("error: ambiguous target 'train': 2 pipeline files have a stage 'train': nlp/pipeline.yaml:train, vision/pipeline.yaml:train");
    expect(runs(dir)).toEqual([]);
    // An address, or a plain name that only one pipeline has, works from anywhere.
    expect(runMlp(dir, ['repro', 'nlp/pipeline.yaml:train']).code).toBe(0);
    expect(runs(dir)).toEqual(['prepare', 'nlp']);
    expect(runMlp(path.join(dir, 'vision'), ['repro', 'train']).code).toBe(0);
    expect(runs(dir)).toEqual(['prepare', 'nlp', 'vision']);
    expect(runMlp(path.join(dir, 'vision'), ['status', 'prepare']).stdout).toBe('Pipeline and tracked data are up to date.\n');
    // Relative to the current directory, as every path target.
    expect(runMlp(path.join(dir, 'nlp'), ['dag', 'pipeline.yaml:train']).stdout).toBe('prepare\nnlp/pipeline.yaml:train <- prepare\n');
    // A directory without a pipeline.yaml of its own: repro says which pipelines there are.
    fs.mkdirSync(path.join(dir, 'docs'));
    const none = runMlp(path.join(dir, 'docs'), ['repro']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('error: no pipeline.yaml in docs; the pipelines are pipeline.yaml, nlp/pipeline.yaml, vision/pipeline.yaml');
    // -R <dir>: the pipelines below it.
    expect(runMlp(dir, ['status', '-R', 'vision', '--json']).stdout).toContain('"vision/pipeline.yaml:train"');
  });

  test('metrics show and freeze see stages of sub-pipelines', () => {
    const dir = repo(MONOREPO);
    expect(runMlp(dir, ['repro', '-P']).code).toBe(0);
    const metrics = runMlp(dir, ['metrics', 'show', '--json']);
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toContain('nlp/metrics.json');
    const freeze = runMlp(dir, ['freeze', 'vision/pipeline.yaml:train']);
    expect(freeze.code).toBe(0);
    expect(read(dir, 'vision/pipeline.yaml')).toContain('    frozen: true\n');
    expect(read(dir, 'nlp/pipeline.yaml')).not.toContain('frozen');
  });

  test('a subproject moved elsewhere keeps its lock (paths in it are relative to it)', () => {
    const dir = repo(MONOREPO);
    expect(runMlp(dir, ['repro', 'nlp/pipeline.yaml']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'ran');
    git(dir, 'mv', 'nlp', 'text');
    fs.writeFileSync(path.join(dir, 'vision/pipeline.yaml'), (MONOREPO['vision/pipeline.yaml'] as string).replaceAll('../nlp/', '../text/'));
    const status = runMlp(dir, ['status', 'text/pipeline.yaml']);
    expect(status.stdout).toBe('Pipeline and tracked data are up to date.\n');
    expect(count(dir)).toBe(2);
  });

  test('paths that leave the repository are refused with file:line:column; nested repositories and .mlpignore\'d directories are not searched', () => {
    const escape = repo({ 'pipeline.yaml': 'stages: {}\n', 'sub/pipeline.yaml': 'stages:\n  s:\n    cmd: cat ../../secret > out.txt\n    deps: [../../secret]\n    outs: [out.txt]\n' });
    const refused = runMlp(escape, ['status']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("error: sub/pipeline.yaml:4:5: stage 's': path '../../secret' is outside the repository");
    const wdir = repo({ 'sub/pipeline.yaml': 'stages:\n  s:\n    cmd: echo\n    wdir: ../..\n' });
    expect(runMlp(wdir, ['status']).stderr).toContain("error: sub/pipeline.yaml:4:5: stage 's': path '../..' is outside the repository");

    const broken = 'stages: [not, a, mapping\n';
    const dir = repo({ ...MONOREPO, '.mlpignore': 'scratch/\n', 'scratch/pipeline.yaml': broken, 'other/.mlp/config.yaml': 'cache: {}\n', 'other/pipeline.yaml': broken });
    const status = runMlp(dir, ['status', '--json']);
    expect(status.stderr).toBe('');
    expect(Object.keys((JSON.parse(status.stdout) as { stages: object }).stages)).toEqual(['prepare', 'nlp/pipeline.yaml:train', 'vision/pipeline.yaml:train']);
  });

  test('an output declared by two pipelines is refused, naming the file', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, outs: [shared/x.txt]}\n', 'shared/pipeline.yaml': 'stages:\n  b: {cmd: echo, outs: [x.txt]}\n' });
    const result = runMlp(dir, ['status']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("output 'shared/x.txt' is declared by both 'a' and 'shared/pipeline.yaml:b'");
  });
});
