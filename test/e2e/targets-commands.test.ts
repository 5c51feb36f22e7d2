/**
 * Targets (one resolution for every command) and the commands DVC users reach for: repro's
 * --downstream/--glob/-R/-P/-q, commit of tracked data, remove, move, freeze/unfreeze, config,
 * doctor, list, dag <target> --outs, and "did you mean" for commands — through the built CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { count, git, makeRepo, read, runMlp, writeFiles } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** raw.txt (tracked by raw.txt.mlp) → prepare → train@a, train@b → evaluate; `other` stands alone. */
const PIPELINE = `# the pipeline
stages:
  prepare:   # reads the raw data
    cmd: echo prepare >> runs.log && mkdir -p data && cp raw.txt data/prep.txt
    deps: [raw.txt]
    outs: [data/prep.txt]
  train:
    foreach: [a, b]
    do:
      cmd: echo train-\${item} >> runs.log && mkdir -p models && cat data/prep.txt > models/\${item}.txt
      deps: [data/prep.txt]
      outs: ["models/\${item}.txt"]
  evaluate:
    cmd: echo evaluate >> runs.log && cat models/a.txt models/b.txt > metrics.txt
    deps: [models/a.txt, models/b.txt]
    outs: [metrics.txt]
  other:
    cmd: echo other >> runs.log && echo o > other.txt
    outs: [other.txt]
`;

function repo(): string {
  const dir = makeRepo({ 'pipeline.yaml': PIPELINE, '.gitignore': 'runs.log\n' }, { 'raw.txt': 'v1\n' });
  made.push(dir);
  expect(runMlp(dir, ['add', 'raw.txt']).code).toBe(0);
  return dir;
}

function runs(dir: string): string[] {
  return fs.existsSync(path.join(dir, 'runs.log')) ? read(dir, 'runs.log').split('\n').filter(Boolean) : [];
}

describe('repro target selection', () => {
  test('--downstream, --glob, -P, -q, file:stage, and unknown targets with a suggestion', () => {
    const dir = repo();
    const quiet = runMlp(dir, ['repro', '-q']);
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
    expect(count(dir)).toBe(5);

    // --downstream: train@a and what depends on it, forced; not prepare, not train@b.
    fs.rmSync(path.join(dir, 'runs.log'));
    expect(runMlp(dir, ['repro', '-f', '--downstream', 'train@a']).code).toBe(0);
    expect(runs(dir)).toEqual(['train-a', 'evaluate']);

    // --glob: a pattern over stage names; without it the pattern is no target.
    fs.rmSync(path.join(dir, 'runs.log'));
    expect(runMlp(dir, ['repro', '-f', '-s', '--glob', 'train@*']).code).toBe(0);
    expect(runs(dir).sort()).toEqual(['train-a', 'train-b']);
    const noGlob = runMlp(dir, ['repro', 'train@*']);
    expect(noGlob.code).toBe(2);
    expect(noGlob.stderr).toContain("unknown target 'train@*'");

    // pipeline.yaml:stage, and -P ignores the targets.
    fs.rmSync(path.join(dir, 'runs.log'));
    expect(runMlp(dir, ['repro', '-f', '-s', 'pipeline.yaml:other']).code).toBe(0);
    expect(runs(dir)).toEqual(['other']);
    // All five stages (`other` has no deps: it runs on every repro, as in DVC).
    expect(runMlp(dir, ['repro', '--dry', '-P', 'other']).stdout).toContain('Dry run: 1 would run, 4 up to date.');

    // Tracked data changed: --downstream from its pointer file reruns what reads it.
    fs.writeFileSync(path.join(dir, 'raw.txt'), 'v2\n');
    expect(runMlp(dir, ['commit', 'raw.txt.mlp']).stdout).toContain('Recorded raw.txt.mlp');
    expect(runMlp(dir, ['repro', '--dry', '--downstream', 'raw.txt.mlp']).stdout).toBe(
      [
        "Would run 'prepare': dep raw.txt modified",
        "Would run 'train@a': upstream stage prepare will rerun",
        "Would run 'train@b': upstream stage prepare will rerun",
        "Would run 'evaluate': upstream stage train@a will rerun; upstream stage train@b will rerun",
        'Dry run: 4 would run.',
        '',
      ].join('\n'),
    );

    const typo = runMlp(dir, ['repro', 'evalute']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("error: unknown target 'evalute': no stage, output or tracked data of that name or path\nhint: did you mean 'evaluate'?\n");
    const status = runMlp(dir, ['status', 'raw.txt']);
    expect(status.stdout).not.toContain('raw.txt.mlp');
  });

  test('-R: a directory target means the pointer files below it (checkout, status)', () => {
    const dir = makeRepo({}, { 'data/x/a.txt': 'A', 'data/y.txt': 'Y', 'keep.txt': 'K' });
    made.push(dir);
    expect(runMlp(dir, ['add', 'data/x/a.txt', 'data/y.txt', 'keep.txt']).code).toBe(0);
    for (const f of ['data/x/a.txt', 'data/y.txt', 'keep.txt']) fs.rmSync(path.join(dir, f));
    const checkout = runMlp(dir, ['checkout', '-R', 'data']);
    expect(checkout.stdout).toContain('2 restored');
    expect(fs.existsSync(path.join(dir, 'keep.txt'))).toBe(false);
    const unknown = runMlp(dir, ['checkout', 'data/y.tx']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("hint: did you mean 'data/y.txt'?");
  });
});

describe('remove and move', () => {
  test('remove: pointer files and stages; --outs deletes only what the cache holds unless --force', () => {
    const dir = repo();
    expect(runMlp(dir, ['repro']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'ran');

    // A pointer: the pointer file and its .gitignore line go; the data stays.
    const removed = runMlp(dir, ['remove', 'raw.txt.mlp']);
    expect(removed).toMatchObject({ code: 0, stdout: 'Removed raw.txt.mlp\n' });
    expect(fs.existsSync(path.join(dir, 'raw.txt.mlp'))).toBe(false);
    expect(read(dir, 'raw.txt')).toBe('v1\n');
    expect(read(dir, '.gitignore')).not.toContain('/raw.txt');

    // A stage with --outs whose output was edited (not in the cache): refused, nothing changed.
    fs.writeFileSync(path.join(dir, 'metrics.txt'), 'edited by hand');
    const refused = runMlp(dir, ['remove', '--outs', 'evaluate']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('metrics.txt: not removed: its content is not saved in the cache');
    expect(read(dir, 'pipeline.yaml')).toBe(PIPELINE);
    const forced = runMlp(dir, ['remove', '--outs', '--force', 'evaluate']);
    expect(forced.stdout).toBe("Removed stage 'evaluate' and deleted metrics.txt\n");
    expect(fs.existsSync(path.join(dir, 'metrics.txt'))).toBe(false);
    expect(read(dir, 'pipeline.lock')).not.toContain('evaluate');
    // Only the stage's lines went: comments and layout of the rest are as they were.
    expect(read(dir, 'pipeline.yaml')).toBe(PIPELINE.replace(/  evaluate:\n(    .*\n)+/, ''));

    // A foreach group by its name, outputs saved in the cache: deleted, the cache keeps them.
    expect(runMlp(dir, ['remove', '--outs', 'train']).stdout).toBe("Removed stage 'train' and deleted models/a.txt, models/b.txt\n");
    expect(fs.existsSync(path.join(dir, 'models/a.txt'))).toBe(false);
    git(dir, 'checkout', '-q', 'HEAD', '--', 'pipeline.yaml', 'pipeline.lock');
    expect(runMlp(dir, ['checkout', 'train']).stdout).toContain('2 restored');

    const one = runMlp(dir, ['remove', 'train@a']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("hint: name the whole group ('train')");
  });

  test('move renames tracked data with its pointer file and .gitignore line', () => {
    const dir = makeRepo({}, { 'data/d.csv': 'x\n' });
    made.push(dir);
    runMlp(dir, ['add', 'data/d.csv']);
    fs.mkdirSync(path.join(dir, 'archive'));
    const moved = runMlp(dir, ['move', 'data/d.csv', 'archive']);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('Moved data/d.csv -> archive/d.csv (data/d.csv.mlp -> archive/d.csv.mlp)');
    expect(read(dir, 'archive/d.csv')).toBe('x\n');
    expect(fs.existsSync(path.join(dir, 'data/d.csv.mlp'))).toBe(false);
    expect(read(dir, 'archive/.gitignore')).toBe('/d.csv\n');
    expect(runMlp(dir, ['status']).stdout).toBe('Tracked data is up to date (no pipeline.yaml).\n');
    writeFiles(dir, { 'other.txt': 'o' });
    const taken = runMlp(dir, ['mv', 'archive/d.csv.mlp', 'other.txt']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('other.txt already exists');
  });
});

describe('freeze, config, doctor, list, dag', () => {
  test('freeze/unfreeze edit only the frozen line', () => {
    const dir = repo();
    expect(runMlp(dir, ['freeze', 'prepare', 'train']).stdout).toBe("Froze 'prepare' in pipeline.yaml\nFroze 'train' in pipeline.yaml\n");
    expect(read(dir, 'pipeline.yaml')).toBe(
      PIPELINE.replace('outs: [data/prep.txt]\n', 'outs: [data/prep.txt]\n    frozen: true\n').replace('outs: ["models/${item}.txt"]\n', 'outs: ["models/${item}.txt"]\n      frozen: true\n'),
    );
    expect(runMlp(dir, ['status', 'train']).stdout).toContain('train@a: frozen');
    expect(runMlp(dir, ['unfreeze', 'prepare', 'train']).code).toBe(0);
    expect(read(dir, 'pipeline.yaml')).toBe(PIPELINE);
    const typo = runMlp(dir, ['freeze', 'trian']);
    expect(typo.stderr).toContain("did you mean 'train'?");
  });

  test('config gets, sets, unsets and lists; a value the schema refuses leaves the file as it was', () => {
    const dir = makeRepo();
    made.push(dir);
    const before = read(dir, '.mlp/config.yaml');
    expect(runMlp(dir, ['config', 'core.jobs', '4']).code).toBe(0);
    expect(read(dir, '.mlp/config.yaml')).toBe(`${before}core:\n  jobs: 4\n`);
    expect(runMlp(dir, ['config', 'core.jobs'])).toMatchObject({ code: 0, stdout: '4\n' });
    const bad = runMlp(dir, ['config', 'core.jobs', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cannot set core.jobs');
    const unknown = runMlp(dir, ['config', 'core.jbos', '2']);
    expect(unknown.code).toBe(2);
    expect(read(dir, '.mlp/config.yaml')).toBe(`${before}core:\n  jobs: 4\n`);
    const secret = runMlp(dir, ['config', 'remote.s3.secret_access_key', 'x']);
    expect(secret.stderr).toContain('set it with --local');
    expect(runMlp(dir, ['config', 'remote.origin.url', '/tmp/somewhere']).code).toBe(0);
    expect(runMlp(dir, ['config', '--list']).stdout).toBe('cache.type=["reflink","copy"]\ncore.jobs=4\nremotes.origin.url=/tmp/somewhere\n');
    expect(runMlp(dir, ['config', '--unset', 'core.jobs']).code).toBe(0);
    expect(runMlp(dir, ['config', 'core.jobs'])).toMatchObject({ code: 1, stdout: '', stderr: 'core.jobs is not set\n' });

    const doctor = runMlp(dir, ['doctor', '--json']);
    const report = JSON.parse(doctor.stdout) as { mlp: string; repo: { cacheTypes: string[]; supported: string[]; remotes: { name: string }[] } };
    expect(report.repo.cacheTypes).toEqual(['reflink', 'copy']);
    expect(report.repo.supported).toContain('copy');
    expect(report.repo.remotes.map((r) => r.name)).toEqual(['origin']);
    expect(fs.readdirSync(path.join(dir, '.mlp/tmp')).filter((f) => f.startsWith('doctor-'))).toEqual([]);
  });

  test('list shows git and mlp entries; dag <target> --outs', () => {
    const dir = repo();
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const ls = runMlp(dir, ['ls', '--json']);
    const entries = JSON.parse(ls.stdout) as { path: string; type: string; tracked: string; source?: string }[];
    expect(entries.map((e) => `${e.path} ${e.type} ${e.tracked}${e.source ? ` ${e.source}` : ''}`)).toEqual([
      '.gitignore file git',
      '.mlp dir git',
      'data dir mlp',
      'metrics.txt file mlp evaluate',
      'models dir mlp',
      'other.txt file mlp other',
      'pipeline.yaml file git',
      'raw.txt file mlp raw.txt.mlp',
    ]);
    expect(runMlp(dir, ['ls', 'models']).stdout).toBe('models/a.txt  mlp  3 B  (train@a)\nmodels/b.txt  mlp  3 B  (train@b)\n');
    expect(runMlp(dir, ['dag', '--outs', 'evaluate']).stdout).toBe(
      'data/prep.txt\nmodels/a.txt <- data/prep.txt\nmodels/b.txt <- data/prep.txt\nmetrics.txt <- models/a.txt, models/b.txt\n',
    );
    expect(runMlp(dir, ['dag', 'train@b']).stdout).toBe('prepare\ntrain@b <- prepare\n');
  });

  test('.mlpignore: ignored files are not part of a tracked directory, and a checkout leaves them', () => {
    const dir = makeRepo({ '.mlpignore': '# editor files\n*.swp\nlogs/*\n!logs/keep.log\n' }, { 'data/a.csv': 'a', 'data/b.swp': 'b', 'logs/1.log': '1', 'logs/keep.log': 'k' });
    made.push(dir);
    expect(runMlp(dir, ['add', 'data', 'logs']).stdout).toContain('Added data (1 B, 1 file) -> data.mlp\nAdded logs (1 B, 1 file) -> logs.mlp');
    const check = runMlp(dir, ['check-ignore', '-d', '-n', 'data/b.swp', 'logs/1.log', 'logs/keep.log', 'data/a.csv']);
    expect(check).toMatchObject({
      code: 0,
      stdout: '.mlpignore:2:*.swp\tdata/b.swp\n.mlpignore:3:logs/*\tlogs/1.log\n.mlpignore:4:!logs/keep.log\tlogs/keep.log\n::\tdata/a.csv\n',
    });
    expect(runMlp(dir, ['check-ignore', 'data/a.csv']).code).toBe(1);
    // An edit of an ignored file is no change, and a checkout neither deletes nor restores it.
    fs.writeFileSync(path.join(dir, 'data/b.swp'), 'edited');
    fs.rmSync(path.join(dir, 'data/a.csv'));
    expect(runMlp(dir, ['checkout']).stdout).toContain('1 restored');
    expect(read(dir, 'data/b.swp')).toBe('edited');
    expect(runMlp(dir, ['status']).stdout).toBe('Tracked data is up to date (no pipeline.yaml).\n');
  });

  test('unknown commands: a suggestion only for a real typo', () => {
    const dir = makeRepo();
    made.push(dir);
    expect(runMlp(dir, ['stauts']).stderr).toBe("error: unknown command 'stauts'\nhint: did you mean 'mlp status'?\n");
    const studio = runMlp(dir, ['studio', 'login']); // a DVC command mlp does not have
    expect(studio.code).toBe(2);
    expect(studio.stderr).toBe("error: unknown command 'studio'\nhint: run `mlp --help` to see the commands\n");
  });
});
