/** loadConfig / linkTypes (src/repo/config.ts) on real .mlp directories. */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_LINK_TYPES, linkTypes, loadConfig } from '../../src/repo/config.js';
import { Repo } from '../../src/repo/repo.js';
import { tempDir, writeFiles } from '../helpers/cli.js';
import { thrownMlpError } from '../helpers/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A `.mlp` directory holding `files` (config.yaml, config.local.yaml). */
function mlpDir(files: Record<string, string>): string {
  const root = tempDir('mlp-config-');
  dirs.push(root);
  const dir = path.join(root, '.mlp');
  writeFiles(dir, files);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe('loadConfig', () => {
  test('no files: an empty configuration and the default link types', () => {
    const config = loadConfig(mlpDir({}));
    expect(config).toEqual({});
    expect(linkTypes(config)).toEqual([...DEFAULT_LINK_TYPES]);
  });

  test('config.local.yaml overrides config.yaml key by key, nested mappings merged', () => {
    const config = loadConfig(
      mlpDir({
        'config.yaml': 'core:\n  jobs: 2\n  remote: origin\nremotes:\n  origin:\n    url: ssh://host/srv\n    jobs: 4\n',
        'config.local.yaml': 'core:\n  jobs: 8\nremotes:\n  origin:\n    key_file: /home/me/.ssh/id\n',
      }),
    );
    expect(config.core).toEqual({ jobs: 8, remote: 'origin' });
    expect(config.remotes).toEqual({ origin: { url: 'ssh://host/srv', jobs: 4, key_file: '/home/me/.ssh/id' } });
  });

  test('empty sections (null values) are dropped', () => {
    const config = loadConfig(mlpDir({ 'config.yaml': 'core:\ncache:\n  type:\nremotes:\n' }));
    expect(config).toEqual({ cache: {} });
    expect(linkTypes(config)).toEqual([...DEFAULT_LINK_TYPES]);
  });

  test.each([
    ['a list', 'cache:\n  type: [hardlink, copy]\n', ['hardlink', 'copy']],
    ['a comma-separated string', 'cache:\n  type: symlink, copy\n', ['symlink', 'copy']],
    ['one type', 'cache:\n  type: copy\n', ['copy']],
  ])('cache.type as %s gives the link types in order', (_name, text, types) => {
    expect(linkTypes(loadConfig(mlpDir({ 'config.yaml': text })))).toEqual(types);
  });

  test.each([
    ['config.yaml', 'core:\n  jobs: 0\n', /\.mlp\/config\.yaml:2:9: core\.jobs/],
    ['config.yaml', 'cache:\n  type: [teleport]\n', /\.mlp\/config\.yaml:2:10: cache\.type/],
    ['config.local.yaml', 'core:\n  remtoe: x\n', /\.mlp\/config\.local\.yaml:2:3: unknown key 'remtoe' in core/],
    ['config.local.yaml', 'remotes:\n  r:\n    url: s3://bucket/x\n    key_file: /k\n', /\.mlp\/config\.local\.yaml:4:5: unknown key 'key_file' in remotes\.r/],
  ])('an invalid %s is a located error (exit 3)', (file, text, where) => {
    const error = thrownMlpError(() => loadConfig(mlpDir({ [file]: text })));
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(where);
  });

  test('an option is checked against the kind of remote its URL, set in the other file, names', () => {
    const dir = mlpDir({ 'config.yaml': 'remotes:\n  r:\n    url: /srv/remote\n', 'config.local.yaml': 'remotes:\n  r:\n    region: eu-west-1\n' });
    const error = thrownMlpError(() => loadConfig(dir));
    expect(error.message).toMatch(/config\.local\.yaml:3:5: unknown key 'region' in remotes\.r/);
  });

  test('config.local.yaml (credentials) never lands in the persistent parse cache', () => {
    const root = path.dirname(mlpDir({ 'config.yaml': 'core:\n  jobs: 2\n', 'config.local.yaml': 'remotes:\n  s:\n    url: s3://b/p\n    secret_access_key: TOPSECRET\n' }));
    const repo = new Repo(root);
    expect(repo.config.remotes?.s?.secret_access_key).toBe('TOPSECRET');
    repo.close();
    const parsed = fs.readFileSync(path.join(root, '.mlp/tmp/parsed.json'), 'utf8');
    expect(parsed).toContain('jobs'); // config.yaml is cached…
    expect(parsed).not.toContain('TOPSECRET'); // …config.local.yaml is not
    // A later edit of config.local.yaml is seen at once.
    fs.writeFileSync(path.join(root, '.mlp/config.local.yaml'), 'core:\n  jobs: 7\n');
    expect(new Repo(root).config.core?.jobs).toBe(7);
  });
});

describe('tracking configuration', () => {
  test('the tracking section is validated: backend, types, unknown keys', () => {
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'tracking:\n  backend: neptune\n' }))).message).toMatch(/\.mlp\/config\.yaml:2:12: tracking\.backend: must be one of none, mlflow, wandb/);
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'tracking:\n  experimnt: x\n' }))).message).toMatch(/unknown key 'experimnt' in tracking/);
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'tracking:\n  exclude: train\n' }))).message).toMatch(/tracking\.exclude: must be a list/);
  });

  test('credentials are accepted in config.local.yaml and refused, located, in config.yaml', () => {
    const config = loadConfig(mlpDir({ 'config.yaml': 'tracking:\n  backend: mlflow\n', 'config.local.yaml': 'tracking:\n  token: t0ken\n  api_key: k3y\n' }));
    expect(config.tracking).toEqual({ backend: 'mlflow', token: 't0ken', api_key: 'k3y' });
    const error = thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'tracking:\n  backend: wandb\n  api_key: k3y\n' })));
    expect(error.message).toContain('.mlp/config.yaml:3:3: tracking.api_key is a credential and may not be in the committed .mlp/config.yaml');
    expect(error.hint).toContain('WANDB_API_KEY');
  });
});

describe('executor and slurm', () => {
  test('the default executor and sbatch defaults are read, config.local.yaml overriding', () => {
    const config = loadConfig(mlpDir({ 'config.yaml': 'executor: slurm\nslurm: {partition: gpu, account: ml}\n', 'config.local.yaml': 'slurm: {account: me}\n' }));
    expect(config.executor).toBe('slurm');
    expect(config.slurm).toEqual({ partition: 'gpu', account: 'me' });
  });

  test.each([
    ['executor: k8s\n', 'must be local or slurm, got "k8s"'],
    ['slurm: {wrap: "rm -rf /"}\n', "slurm: 'wrap' is not an sbatch option a stage may set"],
  ])('%j is a located error', (text, message) => {
    const error = thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': text })));
    expect(error.message).toContain('config.yaml:1:');
    expect(error.message).toContain(message);
  });
});

describe('monitor configuration', () => {
  test('thresholds of mlp monitor: numbers in range, config.local.yaml over config.yaml, unknown keys refused', () => {
    const config = loadConfig(mlpDir({ 'config.yaml': 'monitor:\n  p_value: 0.01\n  sample: 500\n', 'config.local.yaml': 'monitor:\n  sample: 200\n' }));
    expect(config.monitor).toEqual({ p_value: 0.01, sample: 200 });
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'monitor:\n  drift_share: 1.5\n' }))).message).toMatch(/config\.yaml:2:16: monitor\.drift_share: must be a number between 0 and 1 \(exclusive\), got 1\.5/);
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'monitor:\n  pvalue: 0.01\n' }))).message).toMatch(/unknown key 'pvalue' in monitor/);
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'monitor:\n  permutations: 0\n' }))).message).toMatch(/monitor\.permutations: must be a positive integer/);
  });
});
