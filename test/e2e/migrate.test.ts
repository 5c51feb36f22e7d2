/**
 * `mlp migrate` of a DVC-shaped repository that the test builds by hand (no DVC here): dvc.yaml,
 * dvc.lock, .dvc files, .dvc/config(.local), .dvcignore and a DVC cache in both layouts (DVC 3's
 * files/md5 and DVC 2's), with every md5 computed by the test.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { git, read, runMlp, tempDir, writeFiles } from '../helpers/cli.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const md5 = (data: string): string => createHash('md5').update(data).digest('hex');

/** DVC's `.dir` listing: Python's json.dumps of sorted {md5, relpath} entries. */
function dirListing(files: Record<string, string>): string {
  const entries = Object.keys(files)
    .sort()
    .map((relpath) => `{"md5": "${md5(files[relpath] as string)}", "relpath": "${relpath}"}`);
  return `[${entries.join(', ')}]`;
}

const RAW = 'a,b\n1,2\n3,4\n';
const IMAGES = { 'cat.txt': 'meow\n', 'sub/dog.txt': 'woof\n' };
const PREPARED = 'a,b\n1,2\n3,4\n';
const MODEL = '3\n';
const METRICS = '{"n":3}\n';

const DVC_YAML = `stages:
  prepare:
    cmd: cp data/raw.csv prepared.csv
    deps:
    - data/raw.csv
    outs:
    - prepared.csv
  train:
    cmd: wc -l < prepared.csv | tr -d ' ' > model.txt && echo '{"n":3}' > metrics.json
    deps:
    - prepared.csv
    params:
    - train.lr
    outs:
    - model.txt
    metrics:
    - metrics.json
`;

interface Built {
  /** The project (inside `base`, next to the local remote's directory). */
  dir: string;
  base: string;
}

/** A DVC project as DVC 3 leaves it after `dvc add`, `dvc repro` and `dvc remote add`. */
function dvcProject(): Built {
  const base = tempDir('mlp-migrate-');
  dirs.push(base);
  const dir = path.join(base, 'project');
  fs.mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'Test');
  git(dir, 'config', 'commit.gpgsign', 'false');
  const listing = dirListing(IMAGES);
  const imagesHash = `${md5(listing)}.dir`;
  const lockEntry = (p: string, data: string): string => `    - path: ${p}\n      hash: md5\n      md5: ${md5(data)}\n      size: ${data.length}\n`;
  writeFiles(dir, {
    'params.yaml': 'train:\n  lr: 0.1\n',
    'dvc.yaml': DVC_YAML,
    'dvc.lock':
      "schema: '2.0'\nstages:\n" +
      `  prepare:\n    cmd: cp data/raw.csv prepared.csv\n    deps:\n${lockEntry('data/raw.csv', RAW)}    outs:\n${lockEntry('prepared.csv', PREPARED)}` +
      `  train:\n    cmd: wc -l < prepared.csv | tr -d ' ' > model.txt && echo '{"n":3}' > metrics.json\n    deps:\n${lockEntry('prepared.csv', PREPARED)}` +
      `    params:\n      params.yaml:\n        train.lr: 0.1\n    outs:\n${lockEntry('metrics.json', METRICS)}${lockEntry('model.txt', MODEL)}`,
    // DVC 2's .dvc file: no `hash: md5`, its object in the old cache layout.
    'data/raw.csv.dvc': `outs:\n- md5: ${md5(RAW)}\n  size: ${RAW.length}\n  path: raw.csv\n`,
    'data/images.dvc': `outs:\n- md5: ${imagesHash}\n  size: 10\n  nfiles: 2\n  hash: md5\n  path: images\n`,
    'data/.gitignore': '/raw.csv\n/images\n',
    '.gitignore': '/prepared.csv\n/model.txt\n/metrics.json\n',
    '.dvcignore': '# Add patterns of files dvc should ignore\n*.tmp\n',
    '.dvc/.gitignore': '/config.local\n/tmp\n/cache\n',
    '.dvc/config': "[core]\n    remote = storage\n['remote \"storage\"']\n    url = ../../storage\n['remote \"s3\"']\n    url = s3://bucket/dvc\n    endpointurl = http://127.0.0.1:9000\n    region = eu-west-1\n    use_ssl = false\n",
  });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'dvc project');
  writeFiles(dir, {
    '.dvc/config.local': "['remote \"s3\"']\n    access_key_id = AKIAEXAMPLE\n    secret_access_key = s3cr3t\n",
    'data/raw.csv': RAW,
    'data/images/cat.txt': IMAGES['cat.txt'],
    'data/images/sub/dog.txt': IMAGES['sub/dog.txt'],
    'data/images/scratch.tmp': 'ignored by .dvcignore\n',
    'prepared.csv': PREPARED,
    'model.txt': MODEL,
    'metrics.json': METRICS,
  });
  const cache = (layout: 'v3' | 'v2', hash: string, data: string): void => {
    const file = path.join(dir, '.dvc/cache', layout === 'v3' ? 'files/md5' : '', hash.slice(0, 2), hash.slice(2));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data, { mode: 0o444 });
  };
  cache('v2', md5(RAW), RAW);
  for (const data of [...Object.values(IMAGES), MODEL, METRICS]) cache('v3', md5(data), data);
  cache('v3', imagesHash, listing);
  // prepared.csv is the same content as raw.csv: DVC stores it once (in the DVC 2 layout here).
  return { dir, base };
}

/** Every file of the project but mlp's scratch space. */
function snapshot(dir: string): Record<string, string> {
  return snapshotTree(dir, [path.join(dir, '.git'), path.join(dir, '.mlp/tmp')]);
}

describe('mlp migrate', () => {
  test('converts pipeline, lock, pointers, remotes, ignore file and cache; status is up to date and checkout restores from the imported cache', () => {
    const { dir, base } = dvcProject();
    // Before: mlp points to the migration instead of reporting nothing to do.
    const before = runMlp(dir, ['status']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('this is a DVC project: convert it with `mlp migrate`');

    const result = runMlp(dir, ['migrate']);
    // What has no mlp equivalent is named, not dropped silently.
    expect(result.stderr).toBe("warning: remote 's3': use_ssl has no mlp equivalent: left out\n");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Migrated the DVC project in .*: \d+ changes\./);
    expect(result.stdout).toMatch(/wrote\s+pipeline\.yaml\s+from dvc\.yaml: 2 stages; `cache: true` written on 1 metrics entry/);
    expect(result.stdout).toMatch(/wrote\s+pipeline\.lock\s+from dvc\.lock: 2 stages recorded/);
    expect(result.stdout).toMatch(/wrote\s+data\/raw\.csv\.mlp\s+from data\/raw\.csv\.dvc/);
    expect(result.stdout).toMatch(/wrote\s+data\/images\.mlp\s+from data\/images\.dvc/);
    expect(result.stdout).toMatch(/added\s+remote storage\s+local \.\.\/storage/);
    expect(result.stdout).toMatch(/imported\s+\.dvc\/cache\s+6 objects/);

    expect(read(dir, 'pipeline.yaml')).toContain('    metrics:\n      - metrics.json:\n          cache: true\n');
    expect(read(dir, '.mlpignore')).toBe(read(dir, '.dvcignore'));
    const config = read(dir, '.mlp/config.yaml');
    expect(config).toContain('url: ../storage');
    expect(config).toContain('endpoint_url: http://127.0.0.1:9000');
    expect(config).toContain('remote: storage');
    expect(config).not.toContain('s3cr3t');
    expect(config).not.toContain('AKIAEXAMPLE');
    expect(read(dir, '.mlp/config.local.yaml')).toContain('secret_access_key: s3cr3t');

    const status = runMlp(dir, ['status']);
    expect(status.stderr).toBe('');
    expect(status.stdout).toBe('Pipeline and tracked data are up to date.\n');
    expect(runMlp(dir, ['repro']).stdout).not.toContain('Running');

    // The imported cache restores what DVC tracked: stage outputs and `.dvc` data.
    for (const p of ['model.txt', 'metrics.json', 'data/raw.csv', 'data/images']) fs.rmSync(path.join(dir, p), { recursive: true });
    const checkout = runMlp(dir, ['checkout']);
    expect(checkout.code).toBe(0);
    expect(read(dir, 'model.txt')).toBe(MODEL);
    expect(read(dir, 'metrics.json')).toBe(METRICS);
    expect(read(dir, 'data/raw.csv')).toBe(RAW);
    expect(read(dir, 'data/images/sub/dog.txt')).toBe(IMAGES['sub/dog.txt']);
    expect(runMlp(dir, ['status']).stdout).toBe('Pipeline and tracked data are up to date.\n');
    expect(fs.existsSync(path.join(base, 'storage'))).toBe(false);
  });

  test('a second run changes nothing and says so; --dry-run writes nothing', () => {
    const { dir } = dvcProject();
    const untouched = snapshot(dir);
    const dry = runMlp(dir, ['migrate', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run: \d+ changes would be made/);
    expect(dry.stdout).toMatch(/would write\s+pipeline\.yaml/);
    // Read with .dvcignore's rules (no .mlpignore is written yet), data/images matches DVC's listing.
    expect(dry.stdout).toMatch(/would write\s+data\/images\.mlp/);
    expect(dry.stdout).toMatch(/would import\s+\.dvc\/cache\s+6 objects/);
    expect(snapshot(dir)).toEqual(untouched);
    expect(fs.existsSync(path.join(dir, '.mlp'))).toBe(false);

    expect(runMlp(dir, ['init', '--from-dvc']).code).toBe(0);
    const after = snapshot(dir);
    const again = runMlp(dir, ['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('Nothing to do: the DVC project is already migrated.\n');
    expect(again.stderr).toBe('');
    expect(snapshot(dir)).toEqual(after);

    // In a repository that has .mlp/ already, a dry run writes nothing there either (not even the hash state).
    fs.rmSync(path.join(dir, '.mlp/tmp'), { recursive: true, force: true });
    fs.writeFileSync(path.join(dir, 'dvc.yaml'), `${read(dir, 'dvc.yaml')}\n`);
    const whole = snapshotTree(dir, [path.join(dir, '.git')]);
    expect(runMlp(dir, ['migrate', '--dry-run']).code).toBe(0);
    expect(snapshotTree(dir, [path.join(dir, '.git')])).toEqual(whole);
  });

  test('a DVC project above the git repository is not this repository: nothing is converted there', () => {
    const base = tempDir('mlp-migrate-outer-');
    dirs.push(base);
    writeFiles(base, { '.dvc/config': '', 'dvc.yaml': 'stages: {}\n' });
    const inner = path.join(base, 'inner');
    fs.mkdirSync(inner);
    git(inner, 'init', '-q');
    const result = runMlp(inner, ['migrate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no DVC project here');
    expect(fs.existsSync(path.join(base, '.mlp'))).toBe(false);
    expect(fs.existsSync(path.join(base, 'pipeline.yaml'))).toBe(false);
  });

  test('a stage whose workspace files no longer match dvc.lock is left out, so it reruns', () => {
    const { dir } = dvcProject();
    fs.writeFileSync(path.join(dir, 'model.txt'), 'edited by hand\n');
    // A command edited after the last `dvc repro`: recorded as DVC recorded it, and named as stale.
    fs.writeFileSync(path.join(dir, 'dvc.yaml'), DVC_YAML.replace('cmd: cp data/raw.csv', 'cmd: cp -p data/raw.csv'));
    const result = runMlp(dir, ['migrate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/pipeline\.lock: stage 'train' will rerun: model\.txt changed since DVC recorded it/);
    expect(result.stdout).toMatch(/stale\s+stage 'prepare' is recorded but would rerun: cmd changed/);
    const status = runMlp(dir, ['status']);
    expect(status.stdout).toContain('train:\n    never run');
    expect(status.stdout).toContain('prepare:\n    cmd changed');
  });

  test('--remove-dvc removes the DVC files once converted; the project stays up to date', () => {
    const { dir } = dvcProject();
    const result = runMlp(dir, ['migrate', '--remove-dvc']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/removed\s+\.dvc\s+its config and cache were imported/);
    for (const p of ['dvc.yaml', 'dvc.lock', 'data/raw.csv.dvc', 'data/images.dvc', '.dvcignore', '.dvc']) expect(fs.existsSync(path.join(dir, p))).toBe(false);
    expect(runMlp(dir, ['status']).stdout).toBe('Pipeline and tracked data are up to date.\n');
    fs.rmSync(path.join(dir, 'data/images'), { recursive: true });
    expect(runMlp(dir, ['checkout']).code).toBe(0);
    expect(read(dir, 'data/images/cat.txt')).toBe(IMAGES['cat.txt']);
  });

  test('--remove-dvc keeps a DVC file whose conversion did not land, and .dvc/ with it', () => {
    const { dir } = dvcProject();
    writeFiles(dir, { 'pipeline.yaml': 'stages: {}\n' }); // the user's own, which migrate leaves as it is
    const result = runMlp(dir, ['migrate', '--remove-dvc']);
    expect(result.code).toBe(0);
    expect(result.stderr + result.stdout).toContain('dvc.yaml kept: its conversion to pipeline.yaml did not land');
    for (const p of ['dvc.yaml', '.dvc']) expect(fs.existsSync(path.join(dir, p))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'data/raw.csv.dvc'))).toBe(false); // converted, so removed
  });

  test('a .dvc file naming a path outside the repository is refused with its location; nothing is written', () => {
    const { dir, base } = dvcProject();
    fs.writeFileSync(path.join(base, 'victim.txt'), 'keep me\n');
    writeFiles(dir, { 'data/evil.dvc': `outs:\n- md5: ${md5('x')}\n  size: 1\n  path: ../../victim.txt\n` });
    const untouched = snapshot(dir);
    const result = runMlp(dir, ['migrate']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("error: data/evil.dvc:4:9: path '../../victim.txt' is outside the repository");
    expect(snapshot(dir)).toEqual({ ...untouched, ...pick(snapshot(dir), ['.mlp']) });
    expect(fs.existsSync(path.join(dir, 'pipeline.yaml'))).toBe(false);
    expect(read(base, 'victim.txt')).toBe('keep me\n');
  });

  test('a tampered DVC cache object is not imported', () => {
    const { dir } = dvcProject();
    const file = path.join(dir, '.dvc/cache/files/md5', md5(MODEL).slice(0, 2), md5(MODEL).slice(2));
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'tampered\n');
    fs.rmSync(path.join(dir, 'model.txt'));
    const result = runMlp(dir, ['migrate']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: .dvc/cache/files/md5/${md5(MODEL).slice(0, 2)}/${md5(MODEL).slice(2)}: its content does not match its md5: not imported`);
    expect(result.stdout).toMatch(/stage 'train' will rerun: model\.txt is neither in the workspace nor in DVC's cache/);
  });

  test('a DVC cache outside the repository (a symlink to a shared cache) is not read', () => {
    const { dir, base } = dvcProject();
    fs.renameSync(path.join(dir, '.dvc/cache'), path.join(base, 'shared-cache'));
    fs.symlinkSync(path.join(base, 'shared-cache'), path.join(dir, '.dvc/cache'));
    const result = runMlp(dir, ['migrate']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: DVC's cache is at ${fs.realpathSync(path.join(base, 'shared-cache'))}, outside the repository: not imported`);
    expect(result.stdout).not.toContain('imported');
    // Without DVC's .dir listing, the directory's md5 is computed from the workspace as DVC computes it.
    expect(result.stdout).toMatch(/wrote\s+data\/images\.mlp\s+from data\/images\.dvc/);
    // What the workspace holds still matches the md5s: checked by reading it, and saved into mlp's cache.
    expect(runMlp(dir, ['status']).stdout).toBe('Pipeline and tracked data are up to date.\n');
    fs.rmSync(path.join(dir, 'model.txt'));
    fs.rmSync(path.join(dir, 'data/images'), { recursive: true });
    expect(runMlp(dir, ['checkout']).code).toBe(0);
    expect(read(dir, 'model.txt')).toBe(MODEL);
    expect(read(dir, 'data/images/sub/dog.txt')).toBe(IMAGES['sub/dog.txt']);
  });

  test('a dvc.yaml in a subdirectory becomes a pipeline.yaml and pipeline.lock next to it, paths relative to it', () => {
    const { dir } = dvcProject();
    const OUT = 'sub out\n';
    writeFiles(dir, {
      'sub/dvc.yaml': 'stages:\n  make:\n    wdir: work\n    cmd: cp ../in.txt out.txt\n    deps: [../in.txt]\n    outs: [out.txt]\n',
      'sub/dvc.lock': `schema: '2.0'\nstages:\n  make:\n    cmd: cp ../in.txt out.txt\n    deps:\n    - path: ../in.txt\n      hash: md5\n      md5: ${md5(OUT)}\n      size: ${OUT.length}\n    outs:\n    - path: out.txt\n      hash: md5\n      md5: ${md5(OUT)}\n      size: ${OUT.length}\n`,
      'sub/in.txt': OUT,
      'sub/work/out.txt': OUT,
    });
    const result = runMlp(dir, ['migrate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/wrote\s+sub\/pipeline\.yaml\s+from sub\/dvc\.yaml: 1 stage/);
    expect(result.stdout).toMatch(/wrote\s+sub\/pipeline\.lock\s+from sub\/dvc\.lock: 1 stage recorded/);
    const lock = read(dir, 'sub/pipeline.lock');
    expect(lock).toContain('      - path: in.txt\n');
    expect(lock).toContain('      - path: work/out.txt\n');
    // Not in DVC's cache, only in the workspace: saved into mlp's cache so that checkout can restore it.
    const sha = createHash('sha256').update(OUT).digest('hex');
    expect(fs.readFileSync(path.join(dir, '.mlp/cache/files/sha256', sha.slice(0, 2), sha.slice(2)), 'utf8')).toBe(OUT);
  });

  test('init, status and repro in a DVC project without pipeline.yaml point to mlp migrate', () => {
    const { dir } = dvcProject();
    const init = runMlp(dir, ['init']);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('This is a DVC project: `mlp migrate` converts');
    for (const command of [['status'], ['repro']]) {
      const result = runMlp(dir, command);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('error: pipeline.yaml does not exist, but dvc.yaml does: this is a DVC project that is not migrated yet');
      expect(result.stderr).toContain('hint: convert it with `mlp migrate`');
    }
  });
});

function pick(tree: Record<string, string>, prefixes: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([k]) => prefixes.some((p) => k === p || k.startsWith(`${p}/`))));
}
