/** Deploy targets: the `deploy:` section of the configuration (src/schema/config.ts) and resolveDeployTarget (src/deploy/target.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/repo/config.js';
import { resolveDeployTarget } from '../../src/deploy/target.js';
import { tempDir, writeFiles } from '../helpers/cli.js';
import { thrownMlpError } from '../helpers/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function mlpDir(files: Record<string, string>): string {
  const root = tempDir('mlp-deploy-config-');
  dirs.push(root);
  const dir = path.join(root, '.mlp');
  fs.mkdirSync(dir, { recursive: true });
  writeFiles(dir, files);
  return dir;
}

describe('deploy targets', () => {
  test('a named target merges config.yaml and config.local.yaml; defaults fill the rest', () => {
    const config = loadConfig(
      mlpDir({
        'config.yaml': 'deploy:\n  prod:\n    url: ssh://deploy@models.example.com:2222/srv/mlp/spam\n    http_port: 9000\n    keep: 5\n',
        'config.local.yaml': 'deploy:\n  prod:\n    key_file: /home/me/.ssh/deploy\n    password: hunter2\n',
      }),
    );
    const target = resolveDeployTarget(config, '/repo', 'prod', { httpHost: '0.0.0.0' });
    expect(target).toMatchObject({ name: 'prod', httpHost: '0.0.0.0', httpPort: 9000, keep: 5, mlp: 'mlp', healthTimeoutSeconds: 60, workers: 1 });
    expect(target.location).toEqual({ kind: 'ssh', user: 'deploy', host: 'models.example.com', port: 2222, path: '/srv/mlp/spam' });
    // Only the SSH options reach the SSH backend.
    expect(target.ssh.options).toEqual({ url: 'ssh://deploy@models.example.com:2222/srv/mlp/spam', key_file: '/home/me/.ssh/deploy', password: 'hunter2' });
    expect(target.ssh.settingCommand?.('known_hosts', '<file>')).toBe('deploy.prod.known_hosts: <file> in .mlp/config.local.yaml');
  });

  test('an SSH URL is a target without configuration; its hints name command-line options', () => {
    const target = resolveDeployTarget({}, '/repo', 'ssh://host/srv/m', { keyFile: '/k', keep: 2 });
    expect(target).toMatchObject({ name: 'ssh://host/srv/m', keep: 2, httpPort: 8080 });
    expect(target.ssh.options).toEqual({ url: 'ssh://host/srv/m', key_file: '/k' });
    expect(target.ssh.settingCommand?.('key_file', '<path>')).toBe('--key-file <path>');
  });

  test('unknown targets, non-SSH URLs and bad options are refused with a way forward', () => {
    expect(thrownMlpError(() => resolveDeployTarget({ deploy: { prod: { url: 'ssh://h/x' } } }, '/r', 'prd'))).toMatchObject({
      message: "deploy target 'prd' is not configured",
      hint: expect.stringContaining('configured targets: prod'),
      exitCode: 2,
    });
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'deploy:\n  prod:\n    url: s3://bucket/x\n' }))).message).toMatch(/config\.yaml:3:10: .*must be an SSH URL/);
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'deploy:\n  prod:\n    url: ssh://h/x\n    jobs: 4\n' }))).message).toMatch(/config\.yaml:4:5: unknown key 'jobs' in deploy\.prod/);
    expect(thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'deploy:\n  prod:\n    url: ssh://h/x\n    http_port: 70000\n' }))).message).toMatch(/must be a port number/);
  });

  test('a password in the committed config.yaml is refused, pointing at it', () => {
    const error = thrownMlpError(() => loadConfig(mlpDir({ 'config.yaml': 'deploy:\n  prod:\n    url: ssh://h/x\n    password: hunter2\n' })));
    expect(error.message).toBe('.mlp/config.yaml:4:5: deploy.prod.password is a secret and may not be in the committed .mlp/config.yaml');
    expect(error.hint).toMatch(/config\.local\.yaml/);
    expect(error.exitCode).toBe(3);
  });
});
