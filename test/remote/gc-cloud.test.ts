/**
 * `mlp gc -c`: cleaning a remote with the same scope rules as the cache, against a local
 * directory, a private OpenSSH server and an S3 server (fauxqs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { git, read, runMlp, tempDir, writeFiles } from '../helpers/cli.js';
import { S3Server } from '../helpers/s3-server.js';
import { Sshd } from '../helpers/sshd.js';
import { cloneWithoutData, objectsUnder, repoWithData } from './fixtures.js';

let sshd: Sshd;
let s3: S3Server;
beforeAll(async () => {
  sshd = await Sshd.start();
  s3 = await S3Server.start();
  Object.assign(process.env, s3.env());
});
afterAll(async () => {
  sshd?.stop();
  await s3?.stop();
});

interface Remote {
  /** Adds the remote as the default of `dir` (committed config, secrets in config.local.yaml). */
  configure(dir: string): void;
  objects(): Promise<string[]>;
}

/**
 * A repository whose remote holds: everything of the first commit, a second version of
 * data/labels.csv (the workspace's), and an object nothing references. Then, from a clone that
 * has no data at all (so directory manifests must be read from the remote):
 * `gc -c -A --dry` removes nothing, `gc -c -A -f` removes only the unreferenced object and older
 * commits can still be pulled; `gc -c -w -f` then removes the first labels.csv too.
 */
async function scenario(remote: Remote): Promise<void> {
  const dir = repoWithData();
  remote.configure(dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'remote');
  expect(runMlp(dir, ['push']).code).toBe(0);
  const first = (await remote.objects()).length;
  writeFiles(dir, { 'data/labels.csv': 'a,b\n3,4\n' });
  expect(runMlp(dir, ['add', 'data/labels.csv']).code).toBe(0);
  git(dir, 'commit', '-qam', 'labels v2');
  writeFiles(dir, { 'junk.bin': 'nobody needs this' });
  expect(runMlp(dir, ['add', 'junk.bin']).code).toBe(0);
  expect(runMlp(dir, ['push']).code).toBe(0);
  fs.rmSync(path.join(dir, 'junk.bin.mlp'));
  expect(await remote.objects()).toHaveLength(first + 2);

  const clone = cloneWithoutData(dir);
  const dry = runMlp(clone, ['gc', '-c', '-A', '--dry']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/Would remove from remote 'origin' \(.*\): 1 object \(17 B\); \d+ kept\./);
  expect(await remote.objects()).toHaveLength(first + 2);

  const all = runMlp(clone, ['gc', '-c', '-A', '-f']);
  expect(all.code).toBe(0);
  expect(all.stdout).toMatch(/Removed 1 object \(17 B\) from remote 'origin'/);
  expect(await remote.objects()).toHaveLength(first + 1);
  expect(runMlp(clone, ['pull']).code).toBe(0);
  expect(read(clone, 'data/images/img3.bin')).toBe(read(dir, 'data/images/img3.bin'));
  git(clone, 'checkout', '-q', 'HEAD~1');
  expect(runMlp(clone, ['pull']).code).toBe(0);
  expect(read(clone, 'data/labels.csv')).toBe('a,b\n1,2\n');

  const workspace = runMlp(dir, ['gc', '-c', '-w', '-f']);
  expect(workspace.code).toBe(0);
  expect(await remote.objects()).toHaveLength(first);
  const fresh = cloneWithoutData(dir);
  expect(runMlp(fresh, ['pull']).code).toBe(0);
  expect(read(fresh, 'data/labels.csv')).toBe('a,b\n3,4\n');
}

describe('mlp gc -c', () => {
  test('a local directory remote', async () => {
    const root = tempDir('mlp-gc-remote-');
    await scenario({
      configure: (dir) => expect(runMlp(dir, ['remote', 'add', '-d', 'origin', root]).code).toBe(0),
      objects: async () => objectsUnder(root),
    });
  });

  test('an SSH remote', async () => {
    const root = sshd.remoteDir();
    await scenario({
      configure: (dir) => {
        expect(runMlp(dir, ['remote', 'add', '-d', 'origin', sshd.url(root)]).code).toBe(0);
        expect(runMlp(dir, ['remote', 'modify', '--local', 'origin', 'key_file', sshd.clientKey]).code).toBe(0);
        expect(runMlp(dir, ['remote', 'modify', '--local', 'origin', 'known_hosts', sshd.knownHosts]).code).toBe(0);
      },
      objects: async () => objectsUnder(root),
    });
  });

  test('an S3 remote', async () => {
    await s3.createBucket('gcbucket');
    await scenario({
      configure: (dir) => {
        expect(runMlp(dir, ['remote', 'add', '-d', 'origin', 's3://gcbucket/team/cache']).code).toBe(0);
        expect(runMlp(dir, ['remote', 'modify', 'origin', 'endpoint_url', s3.endpoint]).code).toBe(0);
      },
      objects: async () => (await s3.keys('gcbucket')).filter((k) => k.startsWith('team/cache/files/')),
    });
  });

  test('-r without -c is a usage error', () => {
    const dir = repoWithData();
    const result = runMlp(dir, ['gc', '-w', '-r', 'origin']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('-r/--remote only applies with -c/--cloud');
  });
});
