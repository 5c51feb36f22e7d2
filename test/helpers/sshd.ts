/**
 * A private OpenSSH server for tests: `sshd -D -f <config>` on 127.0.0.1 with generated host and
 * client keys, its own port, `UsePAM no` and `Subsystem sftp internal-sftp`. It can be killed
 * (with its per-connection processes) and restarted on the same port.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from './cli.js';

export const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => fs.existsSync(p));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mlp-test', '-f', file]);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/** Pids of every descendant of `pid` (read from /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export interface SshdOptions {
  /** internal-sftp -R: every write is refused with "permission denied". */
  readOnly?: boolean;
}

export class Sshd {
  readonly dir: string;
  readonly clientKey: string;
  readonly knownHosts: string;
  readonly hostPublicKey: string;
  readonly user = os.userInfo().username;
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly options: SshdOptions,
  ) {
    this.dir = tempDir('mlp-sshd-');
    this.clientKey = path.join(this.dir, 'client_key');
    const clientPub = keygen(this.clientKey);
    this.hostPublicKey = keygen(path.join(this.dir, 'host_key'));
    fs.writeFileSync(path.join(this.dir, 'authorized_keys'), `${clientPub}\n`);
    this.knownHosts = path.join(this.dir, 'known_hosts');
    fs.writeFileSync(this.knownHosts, `[127.0.0.1]:${port} ${this.hostPublicKey}\n`);
    fs.writeFileSync(
      path.join(this.dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(this.dir, 'host_key')}`,
        `PidFile ${path.join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys')}`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'MaxStartups 100',
        'MaxSessions 100',
        'LogLevel ERROR',
        `Subsystem sftp internal-sftp${options.readOnly ? ' -R' : ''}`,
        '',
      ].join('\n'),
    );
  }

  static async start(options: SshdOptions = {}): Promise<Sshd> {
    if (!SSHD) throw new Error('sshd is not installed: apt-get install -y openssh-server');
    try {
      fs.mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation directory
    } catch {
      // not root: sshd then runs unprivileged for this user only, which is all the tests need
    }
    const sshd = new Sshd(await freePort(), options);
    await sshd.restart();
    return sshd;
  }

  /** A fresh directory on the "server" for a remote. */
  remoteDir(): string {
    return tempDir('mlp-remote-');
  }

  url(remotePath: string): string {
    return `ssh://${this.user}@127.0.0.1:${this.port}${remotePath}`;
  }

  /** Starts the server again; one still running (a kill that never came) is killed first, or it would outlive the tests. */
  async restart(): Promise<void> {
    const running = this.child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      this.kill();
      await exited; // its listening socket is closed only once it is gone
    }
    const child = spawn(SSHD as string, ['-D', '-e', '-f', path.join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    const deadline = Date.now() + 10000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
      const up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(this.port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > deadline) throw new Error(`sshd did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the server and every connection it serves, like a crash or a dropped network. */
  kill(): void {
    const pid = this.child?.pid;
    if (!pid) return;
    for (const p of [pid, ...descendants(pid)]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.child = undefined;
  }

  stop(): void {
    this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
