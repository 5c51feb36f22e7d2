/** Image references and registry credentials: the parts of `mlp image push` that need no server. */
import fs from 'node:fs';
import path from 'node:path';
import { findCredentials } from '../../src/image/credentials.js';
import { parseReference, registryUrl } from '../../src/image/reference.js';
import { tempDir } from '../helpers/cli.js';

describe('parseReference', () => {
  test.each([
    ['127.0.0.1:5000/spam:v1', { registry: '127.0.0.1:5000', name: 'spam', tag: 'v1' }],
    ['localhost/team/spam', { registry: 'localhost', name: 'team/spam' }],
    ['ghcr.io/team/spam:latest', { registry: 'ghcr.io', name: 'team/spam', tag: 'latest' }],
    ['node:20-slim', { registry: 'docker.io', name: 'library/node', tag: '20-slim' }],
    ['team/spam', { registry: 'docker.io', name: 'team/spam' }],
    [`ghcr.io/a/b@sha256:${'a'.repeat(64)}`, { registry: 'ghcr.io', name: 'a/b', digest: `sha256:${'a'.repeat(64)}` }],
  ])('%s', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  test('a bad name or tag is a usage error that shows the form', () => {
    expect(() => parseReference('ghcr.io/Team/Spam')).toThrow(/not a valid repository name/);
    expect(() => parseReference('spam:bad tag')).toThrow(expect.objectContaining({ exitCode: 2, hint: expect.stringContaining('registry/name[:tag]') }));
  });

  test('loopback registries speak HTTP, others HTTPS; Docker Hub is registry-1.docker.io', () => {
    expect(registryUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryUrl('ghcr.io')).toBe('https://ghcr.io');
    expect(registryUrl('registry.local:5000', true)).toBe('http://registry.local:5000');
    expect(registryUrl('docker.io')).toBe('https://registry-1.docker.io');
  });
});

describe('findCredentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the environment first, then docker config.json by registry (Docker Hub under its v1 URL)', () => {
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'ghcr.io': { auth: Buffer.from('me:pa:ss').toString('base64') },
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
          'https://registry.local:5000': { username: 'u', password: 'p' },
        },
      }),
    );
    const env = { DOCKER_CONFIG: dir };
    expect(findCredentials('ghcr.io', env)).toEqual({ kind: 'basic', username: 'me', password: 'pa:ss' });
    expect(findCredentials('docker.io', env)).toEqual({ kind: 'basic', username: 'hub', password: 'pw' });
    expect(findCredentials('registry.local:5000', env)).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    expect(findCredentials('quay.io', env)).toBeUndefined();
    expect(findCredentials('ghcr.io', { ...env, MLP_REGISTRY_USERNAME: 'ci', MLP_REGISTRY_PASSWORD: 'x' })).toEqual({ kind: 'basic', username: 'ci', password: 'x' });
    expect(findCredentials('ghcr.io', { ...env, MLP_REGISTRY_TOKEN: 'tok' })).toEqual({ kind: 'bearer', token: 'tok' });
  });

  test('a config.json that is not JSON is named, with what to do', () => {
    fs.writeFileSync(path.join(dir, 'config.json'), '{ not json');
    expect(() => findCredentials('ghcr.io', { DOCKER_CONFIG: dir })).toThrow(expect.objectContaining({ message: expect.stringContaining(`${path.join(dir, 'config.json')}: not valid JSON`), hint: expect.stringContaining('docker login') }));
  });
});
