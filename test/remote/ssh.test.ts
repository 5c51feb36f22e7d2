/** push / pull against a private OpenSSH server (SFTP) on 127.0.0.1. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { git, read, runMlp, startMlp, waitFor, writeFiles } from '../helpers/cli.js';
import { badObjects } from '../helpers/invariants.js';
import { Sshd, type SshdOptions } from '../helpers/sshd.js';
import { cacheObjects, cloneWithoutData, copyOf, json, objectsUnder, repoWithData } from './fixtures.js';

let sshd: Sshd;

beforeAll(async () => {
  sshd = await Sshd.start();
});
afterAll(() => sshd?.stop());

/**
 * Servers of single tests (killed and restarted, or read-only). Stopped after each test, also
 * when the test timed out: a timed-out test never reaches its own `finally`, and its sshd kept
 * running after jest finished (a child process holding jest open).
 */
const ownServers: Sshd[] = [];
afterEach(() => {
  for (const server of ownServers.splice(0)) server.stop();
});
async function ownServer(options?: SshdOptions): Promise<Sshd> {
  const server = await Sshd.start(options);
  ownServers.push(server);
  return server;
}

/** repoWithData with an SSH remote configured (three `mlp remote` runs), made once per server and copied. */
const configured = new Map<Sshd, { dir: string; remote: string }>();

function withSshRemote(server = sshd): { dir: string; remote: string } {
  let template = configured.get(server);
  if (!template) {
    const dir = repoWithData();
    const remote = server.remoteDir();
    expect(runMlp(dir, ['remote', 'add', '-d', 'origin', server.url(remote)]).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', '--local', 'origin', 'key_file', server.clientKey]).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', '--local', 'origin', 'known_hosts', server.knownHosts]).code).toBe(0);
    git(dir, 'commit', '-qam', 'remote');
    template = { dir, remote };
    configured.set(server, template);
  }
  // A copy with a remote directory of its own.
  const dir = copyOf(template.dir);
  const remote = server.remoteDir();
  const config = path.join(dir, '.mlp/config.yaml');
  const text = fs.readFileSync(config, 'utf8');
  const next = text.replace(server.url(template.remote), server.url(remote));
  expect(next).not.toBe(text);
  fs.writeFileSync(config, next);
  git(dir, 'commit', '-qam', 'remote');
  return { dir, remote };
}

describe('SSH remote', () => {
  test('round trip of files and directories; nothing re-sent on a second push', () => {
    const { dir, remote } = withSshRemote();
    const pushed = json(runMlp(dir, ['push', '--json']));
    expect(pushed.failures).toEqual([]);
    expect(pushed.transferred).toBe(cacheObjects(dir).length);
    expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
    // No temp names left behind by the rename-into-place uploads.
    expect(execFileSync('find', [remote, '-name', '*.tmp'], { encoding: 'utf8' })).toBe('');
    const again = json(runMlp(dir, ['push', '--json']));
    expect(again.transferred).toBe(0);
    expect(again.upToDate).toBe(cacheObjects(dir).length);

    const clone = cloneWithoutData(dir);
    const pulled = runMlp(clone, ['pull']);
    expect(pulled.code).toBe(0);
    expect(read(clone, 'data/images/img7.bin')).toBe(read(dir, 'data/images/img7.bin'));
    expect(read(clone, 'models/model.bin')).toBe(read(dir, 'models/model.bin'));
    expect(runMlp(clone, ['status']).stdout).toBe('Pipeline and tracked data are up to date.\n');
  });

  test('partial pull by target, and a large file in parallel parts', () => {
    const { dir } = withSshRemote();
    const big = Buffer.alloc(9 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    fs.writeFileSync(path.join(dir, 'big.bin'), big);
    expect(runMlp(dir, ['add', 'big.bin']).code).toBe(0);
    expect(runMlp(dir, ['push']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'big');
    const clone = cloneWithoutData(dir);
    expect(runMlp(clone, ['pull', 'big.bin']).code).toBe(0);
    expect(fs.readFileSync(path.join(clone, 'big.bin')).equals(big)).toBe(true);
    expect(fs.existsSync(path.join(clone, 'data/images'))).toBe(false);
    expect(runMlp(clone, ['pull', 'train']).code).toBe(0);
    expect(read(clone, 'models/model.bin')).toBe(read(dir, 'models/model.bin'));
    expect(fs.existsSync(path.join(clone, 'data/images'))).toBe(false);
  });

  test('a push interrupted by the server dying resumes by rerunning it', async () => {
    const server = await ownServer();
    try {
      const { dir, remote } = withSshRemote(server);
      const files: Record<string, string> = {};
      for (let i = 0; i < 3000; i++) files[`many/f${i}.txt`] = `file ${i} `.repeat(50);
      writeFiles(dir, files);
      expect(runMlp(dir, ['add', 'many']).code).toBe(0);
      const total = cacheObjects(dir).length;
      const { done } = startMlp(dir, ['push', '-j', '8']);
      await waitFor(() => objectsUnder(remote).length > 200, 30000);
      server.kill();
      const failed = await done;
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/error: the connection to .* was lost during the transfer/);
      expect(failed.stderr).toContain('hint: rerun the same command');
      const partial = objectsUnder(remote).length;
      expect(partial).toBeLessThan(total);
      await server.restart();
      const resumed = json(runMlp(dir, ['push', '--json']));
      expect(resumed.failures).toEqual([]);
      expect(resumed.upToDate).toBeGreaterThanOrEqual(partial);
      expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
      // Every object on the remote has the content its name says (hashed here: one sha256sum
      // process per object cost a minute on a loaded machine).
      expect(badObjects(remote)).toEqual([]);
    } finally {
      server.stop();
    }
  }, 120000);

  test('a pull cut off by the server dying leaves only verified objects and resumes by rerunning it', async () => {
    const server = await ownServer();
    try {
      const { dir } = withSshRemote(server);
      const files: Record<string, string> = {};
      for (let i = 0; i < 3000; i++) files[`many/f${i}.txt`] = `pull ${i} `.repeat(40);
      writeFiles(dir, files);
      expect(runMlp(dir, ['add', 'many']).code).toBe(0);
      expect(runMlp(dir, ['push']).code).toBe(0);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'many');
      const clone = cloneWithoutData(dir);
      const { done } = startMlp(clone, ['pull', '-j', '8']);
      await waitFor(() => cacheObjects(clone).length > 200, 30000);
      server.kill();
      const failed = await done;
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/error: the connection to .* was lost during the transfer/);
      const partial = cacheObjects(clone);
      expect(partial.length).toBeLessThan(cacheObjects(dir).length);
      expect(badObjects(path.join(clone, '.mlp/cache'))).toEqual([]);
      expect(fs.existsSync(path.join(clone, 'many'))).toBe(false); // nothing half checked out
      await server.restart();
      const resumed = json(runMlp(clone, ['pull', '--json']));
      expect(resumed.failures).toEqual([]);
      expect(resumed.upToDate).toBeGreaterThanOrEqual(partial.length);
      expect(cacheObjects(clone)).toEqual(cacheObjects(dir));
      expect(read(clone, 'many/f2999.txt')).toBe(files['many/f2999.txt']);
    } finally {
      server.stop();
    }
  }, 120000);

  test('a corrupted remote object is detected on pull and never enters the cache', () => {
    const { dir, remote } = withSshRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const hash = (read(dir, 'data/labels.csv.mlp').match(/sha256: ([0-9a-f]{64})/) as RegExpMatchArray)[1] as string;
    fs.writeFileSync(path.join(remote, 'files/sha256', hash.slice(0, 2), hash.slice(2)), 'tampered');
    const clone = cloneWithoutData(dir);
    const result = runMlp(clone, ['pull']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('data/labels.csv: the remote object');
    expect(result.stderr).toContain('is corrupted');
    expect(cacheObjects(clone)).not.toContain(hash);
    expect(fs.existsSync(path.join(clone, 'data/labels.csv'))).toBe(false);
  });

  test('an unknown or changed host key is refused and the message says how to add it', () => {
    const { dir } = withSshRemote();
    const empty = path.join(sshd.dir, 'empty_known_hosts');
    fs.writeFileSync(empty, '');
    runMlp(dir, ['remote', 'modify', '--local', 'origin', 'known_hosts', empty]);
    const unknown = runMlp(dir, ['push']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(new RegExp(`error: the host key of \\[127\\.0\\.0\\.1\\]:${sshd.port} \\(SHA256:\\S+\\) is not in ${empty}; refusing to connect`));
    expect(unknown.stderr).toContain(`hint: check the fingerprint with the server admin, then add it: ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${empty}`);

    const wrong = path.join(sshd.dir, 'wrong_known_hosts');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sshd.dir, 'other_host_key')]);
    fs.writeFileSync(wrong, `[127.0.0.1]:${sshd.port} ${fs.readFileSync(path.join(sshd.dir, 'other_host_key.pub'), 'utf8')}`);
    runMlp(dir, ['remote', 'modify', '--local', 'origin', 'known_hosts', wrong]);
    const changed = runMlp(dir, ['push']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/error: the host key of \[127\.0\.0\.1\]:\d+ has CHANGED/);
    expect(changed.stderr).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
  });

  test('authenticates with ssh-agent when no key file is configured', () => {
    const { dir, remote } = withSshRemote();
    runMlp(dir, ['remote', 'modify', '--local', '--unset', 'origin', 'key_file']);
    const socket = path.join(sshd.dir, `agent-${process.pid}.sock`);
    const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    try {
      execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const emptyHome = path.join(sshd.dir, 'empty-home');
      fs.mkdirSync(emptyHome, { recursive: true });
      const result = runMlp(dir, ['push'], { SSH_AUTH_SOCK: socket, HOME: emptyHome });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
    } finally {
      if (agentPid) process.kill(agentPid);
    }
  });

  test('an encrypted default key does not stop login when ssh-agent holds a usable key', () => {
    const { dir, remote } = withSshRemote();
    runMlp(dir, ['remote', 'modify', '--local', '--unset', 'origin', 'key_file']);
    const home = path.join(sshd.dir, `encrypted-home-${process.pid}`);
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    const socket = path.join(sshd.dir, `agent-enc-${process.pid}.sock`);
    let agentPid = 0;
    try {
      // The default key has a passphrase (and is not the one the server accepts).
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret passphrase', '-f', path.join(home, '.ssh', 'id_ed25519')]);
      const withoutAgent = runMlp(dir, ['push'], { SSH_AUTH_SOCK: '', HOME: home });
      expect(withoutAgent.code).toBe(1);
      expect(withoutAgent.stderr).toContain(`skipped ${path.join(home, '.ssh', 'id_ed25519')}: it needs a passphrase, which mlp cannot ask for`);
      expect(withoutAgent.stderr).toContain(`hint: add the key to your ssh-agent (ssh-add ${path.join(home, '.ssh', 'id_ed25519')}): mlp tries the agent first`);

      const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
      agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
      execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const result = runMlp(dir, ['push'], { SSH_AUTH_SOCK: socket, HOME: home });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
    } finally {
      if (agentPid) process.kill(agentPid);
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('wrong credentials', () => {
    const { dir } = withSshRemote();
    const other = path.join(sshd.dir, 'stranger_key');
    if (!fs.existsSync(other)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    runMlp(dir, ['remote', 'modify', '--local', 'origin', 'key_file', other]);
    const result = runMlp(dir, ['push'], { SSH_AUTH_SOCK: '', HOME: sshd.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: SSH authentication failed for ${sshd.user}@127.0.0.1:${sshd.port}`);
    expect(result.stderr).toContain(`hint: check the user and the key (key_file ${other})`);
  });

  test('unreachable host', async () => {
    const { dir } = withSshRemote();
    const { freePort } = await import('../helpers/sshd.js');
    runMlp(dir, ['remote', 'modify', 'origin', 'url', `ssh://127.0.0.1:${await freePort()}/srv`]);
    const result = runMlp(dir, ['pull']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: cannot reach the SSH server 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(result.stderr).toContain('hint: check the host and port');
  });

  test('permission denied on the server', async () => {
    const readOnly = await ownServer({ readOnly: true });
    try {
      const { dir } = withSshRemote(readOnly);
      const before = cacheObjects(dir);
      const result = runMlp(dir, ['push']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error: permission denied on .*127\.0\.0\.1:\d+ while trying to/);
      expect(result.stderr).toContain('hint: check that');
      expect(cacheObjects(dir)).toEqual(before);
    } finally {
      readOnly.stop();
    }
  });
});
