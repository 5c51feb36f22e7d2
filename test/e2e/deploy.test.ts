/**
 * `mlp deploy` in process mode against a private sshd on 127.0.0.1: the "host" is this machine,
 * whose mlp is the built one (bin/mlp.js). Container mode is not tested: no container runtime
 * runs here (see the README).
 */
import { jest } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { MLP_BIN, makeRepo, runMlp, tempDir, writeFiles } from '../helpers/cli.js';
import { Sshd, freePort } from '../helpers/sshd.js';

jest.setTimeout(180_000);

function corpus(extra: number): string {
  const spam = ['win a free prize now', 'free cash claim now', 'claim your free prize', 'urgent win cash now', 'free entry win prize'];
  const ham = ['see you at lunch', 'call mom tonight', 'meeting moved to noon', 'lunch at noon today', 'see you tonight mom'];
  const rows = ['text,label'];
  for (let i = 0; i < 6 + extra; i++) {
    for (const s of spam) rows.push(`${s} ${i},spam`);
    for (const h of ham) rows.push(`${h} ${i},ham`);
  }
  return `${rows.join('\n')}\n`;
}

let sshd: Sshd;
let repo: string;
let deployDir: string;
let port: number;
const cleanup: string[] = [];

/** Every process whose command line names the deploy directory (the supervisor and mlp serve). */
function processesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function mlp(...args: string[]): ReturnType<typeof runMlp> {
  return runMlp(repo, args);
}

/** GET on a fresh connection: a pooled one may lead to a server a deploy has stopped since. */
function get(route: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}${route}`, { agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function version(): Promise<string | undefined> {
  return (JSON.parse((await get('/version')).body) as { model?: { sha256?: string } }).model?.sha256;
}

function modelHash(dir: string): string {
  const result = mlp('deploy', 'prod', '--model', dir, '--json');
  return JSON.parse(result.stdout).version.sha256 as string;
}

beforeAll(async () => {
  sshd = await Sshd.start();
  port = await freePort();
  deployDir = path.join(tempDir('mlp-deploy-host-'), 'srv', 'spam');
  cleanup.push(path.dirname(path.dirname(deployDir)));
  const quote = (s: string): string => `'${s}'`;
  repo = makeRepo({
    'docs.csv': corpus(0),
    'docs2.csv': corpus(2),
    '.mlp/config.yaml': [
      'deploy:',
      '  prod:',
      `    url: ${sshd.url(deployDir)}`,
      `    http_port: ${port}`,
      '    health_timeout: 30',
      `    mlp: "${quote(process.execPath)} ${quote(MLP_BIN)}"`,
      '',
    ].join('\n'),
  });
  cleanup.push(repo);
  writeFiles(repo, { '.mlp/config.local.yaml': `deploy:\n  prod:\n    key_file: ${sshd.clientKey}\n    known_hosts: ${sshd.knownHosts}\n` });
  for (const [csv, out] of [
    ['docs.csv', 'v1'],
    ['docs2.csv', 'v2'],
  ] as const) {
    expect(mlp('-q', 'text', 'prepare', '--input', csv, '--out', `data-${out}`).code).toBe(0);
    expect(mlp('-q', 'text', 'train', '--data', `data-${out}`, '--out', `models/${out}`).stderr).toBe('');
  }
  // v3: v2 with its weights damaged, so that `mlp serve` refuses it (checksum) and never becomes ready.
  fs.cpSync(path.join(repo, 'models/v2'), path.join(repo, 'models/broken'), { recursive: true });
  const weights = path.join(repo, 'models/broken/weights.bin');
  const bytes = fs.readFileSync(weights);
  bytes[0] = bytes[0]! ^ 0xff;
  fs.writeFileSync(weights, bytes);
});


describe('mlp deploy (process mode over SSH)', () => {
  // Inside the describe block: it runs before the sshd helper's own afterAll stops the server.
  afterAll(() => {
    const stopped = repo ? runMlp(repo, ['deploy', 'stop', 'prod']) : undefined;
    const left = deployDir ? processesOf(deployDir) : [];
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    sshd?.stop();
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
    // No orphan: `deploy stop` stopped the supervisor and its mlp serve.
    expect([stopped?.stdout, stopped?.stderr, left]).toEqual(['Stopped prod\n', '', []]);
  });

  let v1 = '';
  let v2 = '';

  test('deploys a model: the host serves it under a supervisor and /health answers', async () => {
    const result = mlp('deploy', 'prod', '--model', 'models/v1');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Sending 3 of 3 model files \(.+\) to 127\.0\.0\.1$/m);
    expect(result.stdout).toMatch(new RegExp(`^Deployed version [0-9a-f]{12} \\(commit [0-9a-f]{7}\\) to prod: http://127\\.0\\.0\\.1:${port} answers /ready and /health \\(pid \\d+,`, 'm'));
    expect((await get('/health')).status).toBe(200);
    v1 = (await version())!;
    expect(fs.readlinkSync(path.join(deployDir, 'current'))).toBe(`versions/${v1.slice(0, 12)}`);
  });

  test('an unchanged redeploy sends nothing and restarts nothing', async () => {
    const before = JSON.parse(fs.readFileSync(path.join(deployDir, 'run/supervisor.json'), 'utf8')) as { serve_pid: number };
    const result = mlp('deploy', 'prod', '--model', 'models/v1', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ outcome: 'unchanged', sent: { files: 0, bytes: 0 }, present: 3, pid: before.serve_pid });
  });

  test('a new version goes live; a broken one is rolled back, exit non-zero, and the old one still answers', async () => {
    const next = mlp('deploy', 'prod', '--model', 'models/v2');
    expect(next.code).toBe(0);
    // v2 shares no file with v1 but model.json's format: only what differs is sent.
    expect(next.stdout).toMatch(/^Sending [23] of 3 model files/m);
    expect(next.stdout).toContain(`Previous version ${v1.slice(0, 12)} is kept`);
    v2 = (await version())!;
    expect(v2).not.toBe(v1);

    const broken = mlp('deploy', 'prod', '--model', 'models/broken');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^Sending 1 of 3 model files/m); // only the damaged weights
    expect(broken.stderr).toMatch(/error: version [0-9a-f]{12} of prod did not become healthy: mlp serve exited \(exit code \d+\) before it was ready; rolled back: version [0-9a-f]{12} is live again/);
    expect(broken.stderr).toMatch(/\| .*checksum/i);
    expect(broken.stderr).toContain('hint: ');
    expect(await version()).toBe(v2);
    expect((await get('/health')).status).toBe(200);
  });

  test('deploy status lists the versions, the live one, its pid and health', () => {
    const text = mlp('deploy', 'status', 'prod');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`live: ${v2.slice(0, 12)} at http://127\\.0\\.0\\.1:${port}, healthy, ready; pid \\d+ \\(supervisor \\d+, 0 restarts\\)`));
    expect(text.stdout).toMatch(new RegExp(`\\* ${v2.slice(0, 12)} .* ok .* live`));
    expect(text.stdout).toMatch(/failed/);
    const json = JSON.parse(mlp('deploy', 'status', 'prod', '--json').stdout);
    expect(json.status.versions.map((v: { sha256: string; status: string }) => [v.sha256, v.status])).toEqual([
      [expect.any(String), 'failed'],
      [v2, 'ok'],
      [v1, 'ok'],
    ]);
    expect(json.status.health).toMatchObject({ live: true, ready: true, sha256: v2 });
  });

  test('deploy rollback switches to the previous version', async () => {
    const result = mlp('deploy', 'rollback', 'prod');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^Rolled prod back from version ${v2.slice(0, 12)} to ${v1.slice(0, 12)}: `, 'm'));
    expect(await version()).toBe(v1);
    expect(fs.readlinkSync(path.join(deployDir, 'current'))).toBe(`versions/${v1.slice(0, 12)}`);
    // Nothing older than v1 that is healthy: a second rollback says so.
    const again = mlp('deploy', 'rollback', 'prod');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no earlier version to roll back to/);
  });

  test('the supervisor starts mlp serve again when it crashes', async () => {
    const state = (): { serve_pid?: number; restarts: number } => JSON.parse(fs.readFileSync(path.join(deployDir, 'run/supervisor.json'), 'utf8'));
    const before = state();
    process.kill(before.serve_pid!, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const now = state();
      if (now.serve_pid !== undefined && now.serve_pid !== before.serve_pid) {
        const ok = await get('/ready').then((r) => r.status === 200, () => false);
        if (ok) break;
      }
      if (Date.now() > deadline) throw new Error('mlp serve was not restarted');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(state().restarts).toBe(before.restarts + 1);
    expect(await version()).toBe(v1);
  });

  test('keeps --keep versions and removes the files only the others used', () => {
    const result = mlp('deploy', 'prod', '--model', 'models/v2', '--keep', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Removed 2 old versions/);
    expect(fs.readdirSync(path.join(deployDir, 'versions'))).toEqual([v2.slice(0, 12)]);
    const objects = fs.readdirSync(path.join(deployDir, 'files/sha256')).flatMap((s) => fs.readdirSync(path.join(deployDir, 'files/sha256', s)));
    expect(objects).toHaveLength(3);
  });

  test('a failed first deploy to an SSH URL leaves nothing running', async () => {
    const dir = path.join(path.dirname(deployDir), 'first');
    const url = sshd.url(dir);
    const other = String(await freePort());
    const result = mlp('deploy', url, '--model', 'models/broken', '--key-file', sshd.clientKey, '--known-hosts', sshd.knownHosts, '--mlp', `'${process.execPath}' '${MLP_BIN}'`, '--http-port', other);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/did not become healthy: mlp serve exited .*; nothing runs now \(there was no earlier version to go back to\)/);
    expect(fs.existsSync(path.join(dir, 'current'))).toBe(false);
    expect(processesOf(dir)).toEqual([]);
  });

  test('an unknown host key is refused, never trusted', () => {
    const other = tempDir('mlp-known-');
    cleanup.push(other);
    fs.writeFileSync(path.join(other, 'known_hosts'), '');
    const result = mlp('deploy', 'status', 'prod', '--known-hosts', path.join(other, 'known_hosts'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/host key of \[127\.0\.0\.1\]:\d+ .* is not in .*; refusing to connect/);
    expect(result.stderr).toMatch(/hint: .*deploy target 'prod'.*deploy\.prod\.known_hosts/);
  });
});
