/**
 * SSH remote over SFTP (ssh2). One connection, one SFTP channel, many requests in flight on it.
 * Small objects go as open → write → close → rename (pipelined across objects); large ones with
 * fastPut/fastGet (parallel ranges). Uploads land under a temp name and are renamed into place,
 * so an interrupted push never leaves a truncated object under its final name. The host key is
 * checked against known_hosts and never trusted silently.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ConnectConfig, SFTPWrapper } from 'ssh2';
import { MlpError } from '../errors.js';
import { isAbandoned, isTempName, tempOwnerTag } from '../util/temp-files.js';
import { runWorkers } from '../util/pool.js';
import type { BytesProgress, PutSource, RemoteBackend, RemoteFile } from './backend.js';
import { fingerprint, hostPattern, preferredHostKeyAlgorithms, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import type { RemoteSpec, SshLocation } from './remote-config.js';

const { Client } = ssh2;

/** Objects above this go with fastPut/fastGet (parallel ranges). */
const LARGE = 4 * 1024 * 1024;
/** Objects up to this size are read and written locally with synchronous calls (one syscall each instead of four thread-pool round trips). */
const SYNC_LIMIT = 256 * 1024;
/** OpenSSH's largest read/write (limits@openssh.com): fewer, larger requests are faster. */
const CHUNK = 255 * 1024;
const PARALLEL_READS = 16;
const STATUS_NO_SUCH_FILE = 2;
const STATUS_PERMISSION_DENIED = 3;
const STATUS_FAILURE = 4;
const SERVER_CLOSED = 'the server closed the connection';
/** How long a server may take to answer the probe after a failed request before it counts as gone. */
const PROBE_TIMEOUT_MS = 5000;

/** GCM ciphers run in OpenSSL (AES-NI); ssh2's chacha20 falls back to JavaScript without its addon. */
const CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'] as const;

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

export class SshBackend implements RemoteBackend {
  readonly defaultJobs = 64;
  private readonly madeDirs = new Set<string>();
  /** Temp names carry their owner, so that a later push can tell abandoned ones (src/util/temp-files.ts). */
  private readonly tmpTag = `.${tempOwnerTag()}`;
  private counter = 0;
  private lost: Error | undefined;
  /**
   * Rejecters of every request in flight. ssh2 does not always answer the requests in flight
   * when the connection dies (fastPut's never settle): left alone, those promises would never
   * settle, the event loop would drain and mlp would exit 0 with nothing said. A lost connection
   * rejects them all instead.
   */
  private readonly inFlight = new Set<(error: Error) => void>();

  private constructor(
    readonly label: string,
    private readonly where: string,
    private readonly client: InstanceType<typeof Client>,
    private readonly sftp: SFTPWrapper,
    private readonly root: string,
  ) {
    client.on('close', () => this.connectionLost(new Error('connection closed')));
    client.on('error', (error: Error) => this.connectionLost(error));
    sftp.on('close', () => this.connectionLost(new Error('SFTP channel closed')));
    sftp.on('error', (error: Error) => this.connectionLost(error));
  }

  private connectionLost(error: Error): void {
    if (this.closing) return;
    this.lost ??= error;
    const rejecters = [...this.inFlight];
    this.inFlight.clear();
    for (const reject of rejecters) reject(this.lostError());
  }

  private closing = false;

  static async connect(spec: RemoteSpec, location: SshLocation, repoRoot: string): Promise<SshBackend> {
    const o = spec.options;
    const port = typeof o.port === 'number' ? o.port : location.port;
    const user = location.user ?? (typeof o.user === 'string' ? o.user : undefined) ?? os.userInfo().username;
    const where = `${user}@${location.host}:${port}`;
    const knownHostsFiles =
      typeof o.known_hosts === 'string'
        ? [path.resolve(repoRoot, expandHome(o.known_hosts))]
        : [path.join(os.homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];

    const config: ConnectConfig = {
      host: location.host,
      port,
      username: user,
      readyTimeout: (typeof o.timeout === 'number' ? o.timeout : 20) * 1000,
      keepaliveInterval: 15000,
      algorithms: { cipher: [...CIPHERS] },
    };
    const hostKeys = preferredHostKeyAlgorithms(knownHostsFiles, location.host, port);
    if (hostKeys) config.algorithms = { ...config.algorithms, serverHostKey: hostKeys as never };
    const keyFile = typeof o.key_file === 'string' ? path.resolve(repoRoot, expandHome(o.key_file)) : undefined;
    const passwordEnv = typeof o.password_env === 'string' ? o.password_env : 'MLP_SSH_PASSWORD';
    const password = process.env[passwordEnv] ?? (typeof o.password === 'string' ? o.password : undefined);
    const auth = authMethods(spec, user, keyFile, password);
    config.authHandler = auth.methods;

    let verdict: HostKeyVerdict | undefined;
    let offered: Buffer | undefined;
    config.hostVerifier = (key: Buffer) => {
      offered = key;
      verdict = verifyHostKey(knownHostsFiles, location.host, port, key);
      return verdict.kind === 'known';
    };

    const client = new Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
        client.once('close', () => reject(new Error(SERVER_CLOSED)));
        client.connect(config);
      });
    } catch (error) {
      client.end();
      throw connectError(error, { spec, where, host: location.host, port, verdict, offered, knownHostsFiles, keyFile, passwordEnv, tried: auth.tried, encrypted: auth.encrypted });
    }
    let sftp: SFTPWrapper;
    try {
      sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
        client.once('close', () => reject(new Error('connection closed')));
        client.sftp((err, s) => (err ? reject(err) : resolve(s)));
      });
    } catch (error) {
      client.end();
      throw new MlpError(`the connection to ${where} was lost before the transfer started (${(error as Error).message})`, {
        hint: 'rerun the same command when the server is reachable (check that it runs an SFTP subsystem)',
        cause: error,
      });
    }
    return new SshBackend(spec.url, where, client, sftp, location.path);
  }

  private abs(key: string): string {
    return path.posix.join(this.root, key);
  }

  /**
   * One SFTP request. It settles however the connection ends: with its answer, with its error
   * in mlp's words, or with "connection lost" when the connection dies first.
   */
  private call<T>(what: string, key: string, op: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    return this.request<T>((succeed, fail) =>
      op((err, value) => {
        if (!err) succeed(value as T);
        else this.classify(err, what, key).then(fail, fail);
      }),
    );
  }

  /**
   * A request over the connection that settles exactly once: with `succeed`, with `fail`, or with
   * "connection lost" when the connection dies first (every request in flight is failed then).
   */
  private request<T>(start: (succeed: (value: T) => void, fail: (error: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.lost) {
        reject(this.lostError());
        return;
      }
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(fail);
        reject(error);
      };
      const succeed = (value: T): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(fail);
        resolve(value);
      };
      this.inFlight.add(fail);
      start(succeed, fail);
    });
  }

  private lostError(): MlpError {
    return new MlpError(`the connection to ${this.where} was lost during the transfer`, {
      hint: 'rerun the same command when the server is reachable: finished objects are kept and nothing is sent twice',
      cause: this.lost,
    });
  }

  /**
   * mlp's words for a failed request. A server going away often fails the requests in flight
   * with a bare "Failure" a moment before the connection drops: a generic failure is reported
   * only once a probe shows the connection still works; otherwise it is the lost connection.
   */
  private async classify(err: Error, what: string, key: string): Promise<Error> {
    const code = (err as { code?: unknown }).code;
    if (code === STATUS_NO_SUCH_FILE || code === 1) return err; // 1: end of file
    if (this.lost || code === undefined || /no response|not connected|channel/i.test(err.message)) {
      this.connectionLost(err);
      return this.lostError();
    }
    if (code !== STATUS_PERMISSION_DENIED && !(await this.stillConnected())) return this.lostError();
    return this.wrap(err, what, key);
  }

  /** Whether the server still answers (a `realpath` of its root within a few seconds). */
  private stillConnected(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.lost) {
        resolve(false);
        return;
      }
      const timer = setTimeout(() => {
        this.connectionLost(new Error('the server stopped answering'));
        resolve(false);
      }, PROBE_TIMEOUT_MS);
      const done = (alive: boolean): void => {
        clearTimeout(timer);
        this.inFlight.delete(onLost);
        resolve(alive);
      };
      const onLost = (): void => done(false);
      this.inFlight.add(onLost);
      this.sftp.realpath('.', (error) => done(!error && !this.lost));
    });
  }

  private wrap(err: Error, what: string, key: string): Error {
    const code = (err as { code?: unknown }).code;
    if (code === STATUS_NO_SUCH_FILE || code === 1) return err; // 1: end of file
    if (this.lost) return this.lostError();
    const where = key.startsWith('/') ? key : this.abs(key);
    if (code === STATUS_PERMISSION_DENIED) {
      return new MlpError(`permission denied on ${this.where} while trying to ${what} ${where}`, {
        hint: `check that ${this.where.split('@')[0]} may write to ${this.root} on the server (or pick another path in the remote's url)`,
        cause: err,
      });
    }
    if (code === STATUS_FAILURE && what === 'write') {
      return new MlpError(`the SSH server ${this.where} failed to write ${where} (disk full or quota exceeded?)`, {
        hint: 'free space on the server, then rerun the same command: what was sent is kept',
        cause: err,
      });
    }
    return new MlpError(`SFTP ${what} of ${where} failed on ${this.where}: ${err.message}`, { hint: 'rerun the same command; add -v for details', cause: err });
  }

  async list(dir: string): Promise<string[]> {
    try {
      const entries = await this.call<{ filename: string }[]>('list', dir, (cb) => this.sftp.readdir(this.abs(dir), cb));
      return entries.map((e) => e.filename).filter((n) => n !== '.' && n !== '..');
    } catch (error) {
      if ((error as { code?: unknown }).code === STATUS_NO_SUCH_FILE) return [];
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.call('stat', key, (cb) => this.sftp.stat(this.abs(key), cb));
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === STATUS_NO_SUCH_FILE) return false;
      throw error;
    }
  }

  async listFiles(dir: string): Promise<RemoteFile[]> {
    try {
      const entries = await this.call<Array<{ filename: string; attrs: { size: number; isFile(): boolean } }>>('list', dir, (cb) => this.sftp.readdir(this.abs(dir), cb));
      return entries.filter((e) => e.attrs.isFile()).map((e) => ({ name: e.filename, size: e.attrs.size }));
    } catch (error) {
      if ((error as { code?: unknown }).code === STATUS_NO_SUCH_FILE) return [];
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.call('delete', key, (cb) => this.sftp.unlink(this.abs(key), cb));
    } catch (error) {
      if ((error as { code?: unknown }).code !== STATUS_NO_SUCH_FILE) throw error;
    }
  }

  private async mkdirs(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    try {
      await this.call('mkdir', dir, (cb) => this.sftp.mkdir(dir, cb));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === STATUS_NO_SUCH_FILE) {
        await this.mkdirs(path.posix.dirname(dir));
        await this.mkdirs(dir);
        return;
      }
      // Failure here usually means it exists; stat decides.
      const isDir = await this.call<{ isDirectory(): boolean }>('stat', dir, (cb) => this.sftp.stat(dir, cb)).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (this.lost) throw this.lostError();
      if (!isDir) throw error instanceof MlpError ? error : this.wrap(error as Error, 'mkdir', dir);
    }
    this.madeDirs.add(dir);
  }

  async put(key: string, source: PutSource, progress: BytesProgress): Promise<void> {
    const { file, size } = source;
    const dest = this.abs(key);
    await this.mkdirs(path.posix.dirname(dest));
    const tmp = `${dest}${this.tmpTag}-${this.counter++}.tmp`;
    try {
      if (size > LARGE && !source.data) {
        await this.call('write', key, (cb) =>
          this.sftp.fastPut(file, tmp, { concurrency: 32, chunkSize: CHUNK, step: (_total, chunk) => progress(chunk) }, (err) => cb(err)),
        );
      } else {
        const data = source.data ?? (size <= SYNC_LIMIT ? fs.readFileSync(file) : await fs.promises.readFile(file));
        const handle = await this.call<Buffer>('write', key, (cb) => this.sftp.open(tmp, 'w', cb));
        try {
          if (data.length > 0) await this.call('write', key, (cb) => this.sftp.write(handle, data, 0, data.length, 0, (err) => cb(err)));
        } finally {
          await this.call('write', key, (cb) => this.sftp.close(handle, cb));
        }
        progress(data.length);
      }
      await this.renameIntoPlace(key, tmp, dest);
    } catch (error) {
      if (!this.lost) this.sftp.unlink(tmp, () => {});
      throw error;
    }
  }

  /**
   * OpenSSH's posix-rename replaces an existing object atomically (another push may have sent
   * the same one meanwhile); servers without it get a plain rename, and an object already in
   * place is fine: same name, same content.
   */
  private async renameIntoPlace(key: string, tmp: string, dest: string): Promise<void> {
    if (this.posixRename) {
      try {
        await this.call<void>('rename', key, (cb) => this.sftp.ext_openssh_rename(tmp, dest, (err) => cb(err)));
        return;
      } catch (error) {
        if (error instanceof MlpError || !/not support/i.test((error as Error).message)) throw error;
        this.posixRename = false;
      }
    }
    try {
      await this.call('rename', key, (cb) => this.sftp.rename(tmp, dest, cb));
    } catch (error) {
      if (!(await this.exists(key))) throw error;
      this.sftp.unlink(tmp, () => {});
    }
  }

  private posixRename = true;

  async get(key: string, dest: string, size: number | undefined, progress: BytesProgress): Promise<false | { hash?: string; readOnly?: boolean }> {
    const src = this.abs(key);
    try {
      if (size !== undefined && size > LARGE) return await this.getLarge(key, src, dest, size, progress);
      const handle = await this.call<Buffer>('read', key, (cb) => this.sftp.open(src, 'r', cb));
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      try {
        let position = 0;
        for (;;) {
          const want = Math.max(size !== undefined ? size - position : 0, 0) || 64 * 1024;
          const buf = Buffer.allocUnsafe(Math.min(want + 1, 256 * 1024)); // +1: learns about EOF in the same read when it can
          const n = await this.call<number>('read', key, (cb) => this.sftp.read(handle, buf, 0, buf.length, position, (err, bytes) => cb(err, bytes)));
          if (!n) break;
          const chunk = buf.subarray(0, n);
          chunks.push(chunk);
          hash.update(chunk);
          position += n;
          progress(n);
          if (size !== undefined && position >= size && n < buf.length) break;
        }
      } catch (error) {
        // ssh2 reports end of file on a read as an error with no code on some servers.
        if ((error as { code?: unknown }).code !== 1) throw error;
      } finally {
        if (!this.lost) this.sftp.close(handle, () => {});
      }
      const body = Buffer.concat(chunks);
      if (body.length <= SYNC_LIMIT) fs.writeFileSync(dest, body, { mode: 0o444 });
      else await fs.promises.writeFile(dest, body, { mode: 0o444 });
      return { hash: hash.digest('hex'), readOnly: true };
    } catch (error) {
      if ((error as { code?: unknown }).code === STATUS_NO_SUCH_FILE) return false;
      throw error;
    }
  }

  /**
   * Parallel ranged reads, hashed and written in order as they complete (a reorder window keeps
   * memory bounded), so a large object is verified without a second pass over it.
   */
  private async getLarge(key: string, src: string, dest: string, size: number, progress: BytesProgress): Promise<{ hash: string; readOnly: boolean }> {
    const handle = await this.call<Buffer>('read', key, (cb) => this.sftp.open(src, 'r', cb));
    const out = await fs.promises.open(dest, 'w', 0o444);
    const hash = createHash('sha256');
    const pending = new Map<number, Buffer>();
    let next = 0;
    let flushed = 0;
    let truncated = false;
    let writing: Promise<unknown> = Promise.resolve();
    /** Workers waiting for the reorder window to drain. */
    const waiters: (() => void)[] = [];
    const flush = (): void => {
      for (let buf = pending.get(flushed); buf; buf = pending.get(flushed)) {
        pending.delete(flushed);
        hash.update(buf);
        const at = flushed;
        flushed += buf.length;
        writing = writing.then(() => out.write(buf, 0, buf.length, at));
        progress(buf.length);
      }
      for (const wake of waiters.splice(0)) wake();
    };
    const worker = async (stopped: () => boolean): Promise<void> => {
      while (next < size && !truncated && !stopped()) {
        while (pending.size > 4 * PARALLEL_READS) await new Promise<void>((r) => waiters.push(r));
        if (next >= size || truncated || stopped()) return;
        const offset = next;
        const length = Math.min(CHUNK, size - offset);
        next += length;
        const buf = Buffer.allocUnsafe(length);
        for (let got = 0; got < length; ) {
          let n = 0;
          try {
            n = await this.call<number>('read', key, (cb) => this.sftp.read(handle, buf, got, length - got, offset + got, (err, bytes) => cb(err, bytes)));
          } catch (error) {
            if ((error as { code?: unknown }).code !== 1) throw error; // 1: end of file
          }
          if (n === 0) {
            truncated = true; // shorter than recorded: corrupted
            return;
          }
          got += n;
        }
        pending.set(offset, buf);
        flush();
      }
    };
    try {
      await runWorkers(PARALLEL_READS, worker);
      await writing;
    } finally {
      await writing.catch(() => {}); // no write may outlive the file handle
      await out.close();
      if (!this.lost) this.sftp.close(handle, () => {});
    }
    return { hash: truncated ? 'truncated' : hash.digest('hex'), readOnly: true };
  }

  async sweepTemps(dir: string): Promise<number> {
    let entries: { filename: string; attrs: { mtime: number } }[];
    try {
      entries = await this.call('list', dir, (cb) => this.sftp.readdir(this.abs(dir), cb));
    } catch (error) {
      if ((error as { code?: unknown }).code === STATUS_NO_SUCH_FILE) return 0;
      throw error;
    }
    const now = Date.now();
    const abandoned = entries.filter((e) => isTempName(e.filename) && isAbandoned(e.filename, e.attrs.mtime * 1000, now));
    await Promise.all(
      abandoned.map((e) =>
        this.call('delete', dir, (cb) => this.sftp.unlink(path.posix.join(this.abs(dir), e.filename), cb)).catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== STATUS_NO_SUCH_FILE) throw error; // removed meanwhile: fine
        }),
      ),
    );
    return abandoned.length;
  }

  /**
   * Runs `command` on the server (a shell command line: the caller quotes its arguments), with
   * `stdin` as its input, over this same connection (its host key already checked). Resolves
   * with its exit code and output; a lost connection rejects like any request.
   */
  exec(command: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.request((succeed, fail) => {
      this.client.exec(command, (err, stream) => {
        if (err) {
          fail(new MlpError(`cannot run a command on ${this.where}: ${err.message}`, { hint: 'check that the account may run commands (not an SFTP-only login)', cause: err }));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | undefined;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (exitCode: number | null, signal?: string) => (code = exitCode ?? (signal ? 128 : 1)));
        stream.on('close', () => succeed({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') }));
        stream.end(stdin ?? '');
      });
    });
  }

  /** The server as `user@host:port`, for messages. */
  get address(): string {
    return this.where;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.end();
  }
}

type AuthMethod =
  | { type: 'agent'; username: string; agent: string }
  | { type: 'publickey'; username: string; key: Buffer }
  | { type: 'password'; username: string; password: string };

/**
 * The ways to log in, in OpenSSH's order: the agent first, then key files, then a password.
 * An encrypted key (one with a passphrase) is skipped, not fatal: mlp cannot ask for the
 * passphrase, and the agent usually holds that very key already unlocked.
 */
function authMethods(
  spec: RemoteSpec,
  username: string,
  keyFile: string | undefined,
  password: string | undefined,
): { methods: AuthMethod[]; tried: string[]; encrypted: string[] } {
  const methods: AuthMethod[] = [];
  const tried: string[] = [];
  const encrypted: string[] = [];
  const agent = process.env.SSH_AUTH_SOCK;
  if (agent) {
    methods.push({ type: 'agent', username, agent });
    tried.push('ssh-agent');
  }
  const candidates = keyFile ? [keyFile] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => path.join(os.homedir(), '.ssh', name));
  for (const file of candidates) {
    let key: Buffer;
    try {
      key = fs.readFileSync(file);
    } catch (error) {
      if (!keyFile) continue; // a default key that is not there
      throw new MlpError(`cannot read the SSH key file ${keyFile}`, { hint: `fix key_file with ${settingCommand(spec, 'key_file', '<path>')}`, cause: error });
    }
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) {
      if (/passphrase/i.test(parsed.message)) encrypted.push(file);
      else if (keyFile) throw new MlpError(`the SSH key file ${keyFile} is not a private key ssh2 can read: ${parsed.message}`, { hint: `fix key_file with ${settingCommand(spec, 'key_file', '<path>')}` });
      continue;
    }
    methods.push({ type: 'publickey', username, key });
    tried.push(file);
  }
  if (password !== undefined) {
    methods.push({ type: 'password', username, password });
    tried.push('password');
  }
  return { methods, tried, encrypted };
}

/** How the user sets `option` of this connection's configuration, in backquotes (a remote's or a deploy target's). */
function settingCommand(spec: RemoteSpec, option: string, placeholder: string): string {
  return spec.settingCommand ? spec.settingCommand(option, placeholder) : `\`mlp remote modify --local ${spec.name} ${option} ${placeholder}\``;
}

interface ConnectContext {
  spec: RemoteSpec;
  where: string;
  host: string;
  port: number;
  verdict: HostKeyVerdict | undefined;
  offered: Buffer | undefined;
  knownHostsFiles: string[];
  keyFile: string | undefined;
  passwordEnv: string;
  /** The agent, key files and password that were offered, in order. */
  tried: string[];
  /** Key files skipped because they need a passphrase. */
  encrypted: string[];
}

function connectError(error: unknown, c: ConnectContext): MlpError {
  const err = error as Error & { level?: string; code?: string };
  const pattern = hostPattern(c.host, c.port);
  const knownHosts = c.knownHostsFiles[0] ?? '~/.ssh/known_hosts';
  if (c.verdict && c.verdict.kind !== 'known' && c.offered) {
    const fp = fingerprint(c.offered);
    if (c.verdict.kind === 'changed') {
      return new MlpError(`the host key of ${pattern} has CHANGED (now ${fp}, ${c.verdict.file}:${c.verdict.line} says otherwise); refusing to connect`, {
        hint: `if the server was reinstalled, remove the old key with \`ssh-keygen -R '${pattern}' -f ${c.verdict.file}\` and add the new one; otherwise someone may be intercepting the connection`,
        cause: error,
      });
    }
    if (c.verdict.kind === 'revoked') {
      return new MlpError(`the host key of ${pattern} (${fp}) is marked @revoked in known_hosts; refusing to connect`, { hint: 'ask the server admin for the current key', cause: error });
    }
    return new MlpError(`the host key of ${pattern} (${fp}) is not in ${c.knownHostsFiles.join(' or ')}; refusing to connect`, {
      hint: `check the fingerprint with the server admin, then add it: ssh-keyscan ${c.port === 22 ? '' : `-p ${c.port} `}${c.host} >> ${knownHosts} (or point ${c.spec.what ?? 'the remote'} at another file: ${settingCommand(c.spec, 'known_hosts', '<file>')})`,
      cause: error,
    });
  }
  if (err.level === 'client-authentication') {
    const tried = c.tried.length > 0 ? `tried ${c.tried.join(', ')}` : 'no ssh-agent ($SSH_AUTH_SOCK), key file or password to try';
    const locked = c.encrypted.length > 0 ? `; skipped ${c.encrypted.join(', ')}: it needs a passphrase, which mlp cannot ask for` : '';
    return new MlpError(`SSH authentication failed for ${c.where} (${tried}${locked})`, {
      hint:
        (c.encrypted.length > 0 ? `add the key to your ssh-agent (ssh-add ${c.encrypted[0]}): mlp tries the agent first; or ` : '') +
        `check the user and the key (${c.keyFile ? `key_file ${c.keyFile}` : 'ssh-agent or ~/.ssh/id_*'}), or set the password in $${c.passwordEnv}; set the key with ${settingCommand(c.spec, 'key_file', '<path>')}`,
      cause: error,
    });
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'].includes(err.code ?? '') || /timed out/i.test(err.message)) {
    return new MlpError(`cannot reach the SSH server ${c.host}:${c.port} (${err.code ?? err.message})`, {
      hint: 'check the host and port in the remote url (`mlp remote list`), and that the server is up and reachable',
      cause: error,
    });
  }
  // The server went away during the handshake (killed, restarted, a dropped network).
  if (err.message === SERVER_CLOSED || ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(err.code ?? '')) {
    return new MlpError(`the connection to ${c.where} was lost before the transfer started (${err.code ?? err.message})`, {
      hint: 'rerun the same command when the server is reachable',
      cause: error,
    });
  }
  return new MlpError(`SSH connection to ${c.where} failed: ${err.message}`, { hint: 'check the remote url and your SSH settings; add -v for details', cause: error });
}
