/** mlp remote add / list / remove / rename / default / modify. */
import { read, runMlp, makeRepo } from '../helpers/cli.js';
import fs from 'node:fs';
import path from 'node:path';

describe('mlp remote', () => {
  test('add, list, default, modify, remove', () => {
    const dir = makeRepo();
    expect(runMlp(dir, ['remote', 'add', '-d', 'origin', 'ssh://alice@example.com:2222/srv/mlp']).stdout).toBe(
      "Added remote 'origin' (ssh: ssh://alice@example.com:2222/srv/mlp) as the default to .mlp/config.yaml.\n",
    );
    expect(runMlp(dir, ['remote', 'add', 'bucket', 's3://my-bucket/cache']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'add', 'disk', '../shared-cache']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'list']).stdout).toBe(
      'bucket  s3://my-bucket/cache\ndisk    ../shared-cache\norigin  ssh://alice@example.com:2222/srv/mlp  (default)\n',
    );
    expect(runMlp(dir, ['remote', 'default', 'bucket']).stdout).toBe('Default remote: bucket.\n');
    expect(runMlp(dir, ['remote', 'modify', 'bucket', 'endpoint_url', 'http://127.0.0.1:9000']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', 'bucket', 'checksum', 'when_required']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', 'bucket', 'part_size', '16MiB']).code).toBe(0);
    const config = read(dir, '.mlp/config.yaml');
    expect(config).toContain('# mlp configuration'); // comments survive
    expect(config).toContain('endpoint_url: http://127.0.0.1:9000');
    expect(config).toContain('part_size: 16777216');
    expect(config).toContain('remote: bucket');

    const secret = runMlp(dir, ['remote', 'modify', 'bucket', 'secret_access_key', 'xyz']);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('secret_access_key is a secret and may not go into the committed config.yaml');
    expect(secret.stderr).toContain('hint: add --local');
    expect(runMlp(dir, ['remote', 'modify', '--local', 'bucket', 'secret_access_key', 'xyz']).stdout).not.toContain('xyz');
    expect(read(dir, '.mlp/config.local.yaml')).toContain('secret_access_key: xyz');
    expect(read(dir, '.mlp/config.yaml')).not.toContain('xyz');
    expect(read(dir, '.mlp/.gitignore')).toContain('/config.local.yaml');

    const unknown = runMlp(dir, ['remote', 'modify', 'origin', 'endpoint_url', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option 'endpoint_url' for ssh remote 'origin'");

    expect(runMlp(dir, ['remote', 'remove', 'bucket']).stdout).toBe("Removed remote 'bucket'.\n");
    expect(read(dir, '.mlp/config.yaml')).not.toContain('bucket');
    expect(fs.existsSync(path.join(dir, '.mlp/config.local.yaml')) ? read(dir, '.mlp/config.local.yaml') : '').not.toContain('xyz');
    expect(runMlp(dir, ['remote', 'list', '--json']).stdout).toContain('"name": "disk"');
  });

  test('add and modify keep the config file as the user wrote it', () => {
    const dir = makeRepo();
    const written = '# mine\ncache:\n  type: [reflink, copy]  # fastest first\nresources: {gpu: 2, memory: 32GB}\n';
    fs.writeFileSync(path.join(dir, '.mlp/config.yaml'), written);
    expect(runMlp(dir, ['remote', 'add', '-d', 'origin', '/tmp/somewhere']).code).toBe(0);
    expect(read(dir, '.mlp/config.yaml')).toBe(`${written}remotes:\n  origin:\n    url: /tmp/somewhere\ncore:\n  remote: origin\n`);
    // Padded flow collections stay padded.
    const padded = 'cache:\n  type: [ hardlink, copy ]\n';
    fs.writeFileSync(path.join(dir, '.mlp/config.yaml'), padded);
    expect(runMlp(dir, ['remote', 'add', 'b', '/tmp/b']).code).toBe(0);
    expect(read(dir, '.mlp/config.yaml')).toBe(`${padded}remotes:\n  b:\n    url: /tmp/b\n`);
  });

  test('rename: both config files, its place and options, and the default', () => {
    const dir = makeRepo();
    expect(runMlp(dir, ['remote', 'add', 'a', '/tmp/a']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'add', 'b', 's3://bucket/x']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'add', 'c', '/tmp/c']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', '--local', 'b', 'secret_access_key', 'xyz']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'default', '--local', 'b']).code).toBe(0);
    const renamed = runMlp(dir, ['remote', 'rename', 'b', 'store']);
    expect(renamed.stdout).toBe("Renamed remote 'b' to 'store'.\n");
    expect(read(dir, '.mlp/config.yaml')).toContain('remotes:\n  a:\n    url: /tmp/a\n  store:\n    url: s3://bucket/x\n  c:\n');
    expect(read(dir, '.mlp/config.local.yaml')).toContain('store:\n    secret_access_key: xyz');
    expect(read(dir, '.mlp/config.local.yaml')).toContain('remote: store');
    expect(runMlp(dir, ['remote', 'list']).stdout).toBe('a      /tmp/a\nc      /tmp/c\nstore  s3://bucket/x  (default)\n');
    const taken = runMlp(dir, ['remote', 'rename', 'a', 'c']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain("remote 'c' already exists");
    const missing = runMlp(dir, ['remote', 'rename', 'nope', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("remote 'nope' is not configured");
    expect(runMlp(dir, ['remote', 'rename', 'a', 'bad/name']).code).toBe(2);
  });

  test('modify --help lists every option, secrets marked', () => {
    const help = runMlp(makeRepo(), ['remote', 'modify', '--help']).stdout.replace(/\s+/g, ' ');
    for (const option of ['url', 'jobs', 'user', 'port', 'key_file', 'known_hosts', 'password_env', 'timeout', 'endpoint_url', 'region', 'profile', 'path_style', 'checksum', 'part_size']) {
      expect(help).toContain(option);
    }
    for (const secret of ['password', 'access_key_id', 'secret_access_key', 'session_token']) expect(help).toContain(`${secret} (secret: --local only)`);
  });

  test('errors: bad URL, duplicate name, no default among several', () => {
    const dir = makeRepo();
    const bad = runMlp(dir, ['remote', 'add', 'x', 'ftp://host/path']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unsupported remote URL 'ftp://host/path'");
    runMlp(dir, ['remote', 'add', 'a', '/tmp/a']);
    expect(runMlp(dir, ['remote', 'add', 'a', '/tmp/b']).stderr).toContain("remote 'a' already exists");
    runMlp(dir, ['remote', 'add', 'b', '/tmp/b']);
    const push = runMlp(dir, ['push']);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('error: no default remote among a, b');
    expect(push.stderr).toContain('hint: pass -r <name>');
    const none = runMlp(makeRepo(), ['pull']);
    expect(none.stderr).toContain('error: no remote is configured');
  });
});
