/** DVC remotes → mlp remotes: names of options, secrets to config.local.yaml, what is left out. */
import fs from 'node:fs';
import path from 'node:path';
import { applyRemote, planRemotes } from '../../src/migrate/dvc-remotes.js';
import { ConfigFileEditor } from '../../src/remote/remote-config.js';
import { parseDvcConfig } from '../../src/schema/dvc.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const ROOT = '/work/project';

test('ssh, s3 and local remotes map to mlp options; secrets and key paths go local; unknown options are named', () => {
  const config = parseDvcConfig(
    [
      '[core]',
      '    remote = cluster',
      '[\'remote "cluster"\']',
      '    url = ssh://alice@example.com:2222/srv/dvc',
      '    keyfile = /home/alice/.ssh/id_ed25519',
      '    timeout = 30',
      '    allow_agent = false',
      '[\'remote "s3"\']',
      '    url = s3://bucket/prefix',
      '    endpointurl = http://127.0.0.1:9000',
      '    region = eu-west-1',
      '    secret_access_key = committed-by-mistake',
      '[\'remote "near"\']',
      '    url = ../../shared/dvc',
      '[\'remote "gcs"\']',
      '    url = gs://bucket/x',
    ].join('\n'),
    '.dvc/config',
  );
  const local = parseDvcConfig('[\'remote "cluster"\']\n    password = hunter2\n', '.dvc/config.local');
  const plan = planRemotes(config, local, `${ROOT}/.dvc`, ROOT, '.dvc/config');
  expect(plan.default).toBe('cluster');
  expect(plan.remotes).toEqual([
    {
      name: 'cluster',
      url: 'ssh://alice@example.com:2222/srv/dvc',
      kind: 'ssh',
      options: { timeout: 30 },
      local: { key_file: '/home/alice/.ssh/id_ed25519', password: 'hunter2' },
      dropped: ["remote 'cluster': allow_agent has no mlp equivalent: left out"],
    },
    // DVC writes a relative local path relative to .dvc/; mlp reads it relative to the root.
    { name: 'near', url: '../shared/dvc', kind: 'local', options: {}, local: {} },
    { name: 's3', url: 's3://bucket/prefix', kind: 's3', options: { endpoint_url: 'http://127.0.0.1:9000', region: 'eu-west-1' }, local: { secret_access_key: 'committed-by-mistake' } },
  ]);
  expect(plan.warnings).toEqual([
    expect.stringMatching(/^remote 'gcs' \(gs:\/\/bucket\/x\): unsupported remote URL 'gs:\/\/bucket\/x'.*left out$/),
  ]);
});

test('applying a remote writes secrets only to config.local.yaml, keeps a different remote of the same name, and is idempotent', () => {
  const mlpDir = tempDir();
  dirs.push(mlpDir);
  const remote = { name: 's3', url: 's3://b/p', kind: 's3' as const, options: { region: 'r' }, local: { secret_access_key: 'k' } };
  const edit = (): [ConfigFileEditor, ConfigFileEditor] => [ConfigFileEditor.for(mlpDir, false), ConfigFileEditor.for(mlpDir, true)];
  let [project, local] = edit();
  expect(applyRemote(project, local, remote)).toBe('added');
  project.save();
  local.save();
  expect(fs.readFileSync(path.join(mlpDir, 'config.yaml'), 'utf8')).toBe('remotes:\n  s3:\n    url: s3://b/p\n    region: r\n');
  expect(fs.readFileSync(path.join(mlpDir, 'config.local.yaml'), 'utf8')).toBe('remotes:\n  s3:\n    secret_access_key: k\n');
  [project, local] = edit();
  expect(applyRemote(project, local, remote)).toBe('unchanged');
  expect(applyRemote(project, local, { ...remote, url: 's3://other' })).toBe('kept');
});
