/**
 * A private OCI registry for tests: Debian's `docker-registry` (distribution v2.8) on 127.0.0.1
 * with its own port, a temp config and temp filesystem storage, optionally behind basic auth
 * (an htpasswd file with a bcrypt hash, made with the C library's crypt through Debian's python3).
 * Stopped by pid; its storage is removed with it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './cli.js';
import { freePort } from './sshd.js';

export const REGISTRY_BIN = ['/usr/bin/docker-registry', '/usr/bin/registry'].find((p) => fs.existsSync(p));

export interface RegistryServer {
  /** host:port, as an image reference names it. */
  host: string;
  url: string;
  dir: string;
  /** Blob upload requests the registry logged (POST …/blobs/uploads/). */
  uploads(): number;
  log(): string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  basicAuth?: { username: string; password: string };
  /** Bearer tokens from a token service (registry-token-server.mjs) that takes these credentials. */
  tokenAuth?: { username: string; password: string };
}

function bcrypt(password: string): string {
  const py = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))', password], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`cannot make a bcrypt hash: ${py.stderr}`);
  return py.stdout.trim();
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryServer> {
  if (!REGISTRY_BIN) throw new Error('docker-registry is not installed (Debian: apt-get install docker-registry)');
  const dir = tempDir('mlp-registry-');
  const port = await freePort();
  const auth = options.basicAuth
    ? `auth:\n  htpasswd:\n    realm: mlp-test\n    path: ${path.join(dir, 'htpasswd')}\n`
    : '';
  if (options.basicAuth) fs.writeFileSync(path.join(dir, 'htpasswd'), `${options.basicAuth.username}:${bcrypt(options.basicAuth.password)}\n`);
  let tokenServer: ChildProcess | undefined;
  let tokenConfig = '';
  if (options.tokenAuth) {
    const tokenPort = await freePort();
    const key = path.join(dir, 'token-key.pem');
    const cert = path.join(dir, 'token-cert.pem');
    const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=mlp-test-token'], { encoding: 'utf8' });
    if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
    tokenServer = spawn(process.execPath, [path.join(import.meta.dirname, 'registry-token-server.mjs'), String(tokenPort), key, cert, 'mlp-test-issuer', 'mlp-test-registry', options.tokenAuth.username, options.tokenAuth.password], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    await new Promise<void>((resolve, reject) => {
      tokenServer!.stdout!.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('listening')) resolve();
      });
      tokenServer!.on('exit', () => reject(new Error('the token server exited')));
    });
    tokenServer.stdout!.resume();
    tokenConfig = `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: mlp-test-registry\n    issuer: mlp-test-issuer\n    rootcertbundle: ${cert}\n`;
  }
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      auth || tokenConfig,
    ].join('\n'),
  );
  // The log goes to a file, not a pipe: tests run mlp with spawnSync, and a registry writing into a
  // pipe nobody reads meanwhile would block once the pipe filled.
  const logFile = path.join(dir, 'registry.log');
  const logFd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const readLog = (): string => fs.readFileSync(logFile, 'utf8');
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    if (tokenServer && tokenServer.exitCode === null && tokenServer.signalCode === null) {
      const gone = new Promise((resolve) => tokenServer!.on('exit', resolve));
      tokenServer.kill('SIGKILL');
      await gone;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const log = readLog();
      throw new Error(`docker-registry did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    dir,
    uploads: () => (readLog().match(/"POST \/v2\/[^"]*\/blobs\/uploads\/ HTTP/g) ?? []).length,
    log: readLog,
    stop,
  };
}
