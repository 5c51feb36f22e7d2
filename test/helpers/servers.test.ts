/**
 * The test servers themselves: a restart that comes when the server is still up (the kill a test
 * planned never came because the transfer finished first) must not leave a second server behind,
 * or jest never exits after the run.
 */
import fs from 'node:fs';
import { Sshd } from './sshd.js';
import { S3Server } from './s3-server.js';

/** Pids of the running processes whose command line mentions `needle`. */
function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

test('sshd: restarting a running server replaces it, and stop leaves no process', async () => {
  const sshd = await Sshd.start();
  const config = `${sshd.dir}/sshd_config`;
  try {
    await sshd.restart();
    await sshd.restart();
  } finally {
    sshd.stop();
  }
  for (let i = 0; i < 100 && processesWith(config).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(processesWith(config)).toEqual([]);
});

test('S3 server: "start" while it runs keeps the one server, which still answers', async () => {
  const s3 = await S3Server.start();
  try {
    await s3.command('start');
    await s3.createBucket('b');
    const response = await fetch(`${s3.endpoint}/b`);
    expect(response.status).toBeLessThan(500);
  } finally {
    await s3.stop();
  }
});

test('docker-registry (with its token service): stop leaves no process and no storage behind', async () => {
  const { startRegistry, REGISTRY_BIN } = await import('./registry.js');
  if (!REGISTRY_BIN) return; // not installed: test/e2e/image.test.ts says so
  const registry = await startRegistry({ tokenAuth: { username: 'u', password: 'p' } });
  const config = `${registry.dir}/config.yml`;
  expect(processesWith(config)).toHaveLength(1);
  expect(processesWith(`${registry.dir}/token-key.pem`)).toHaveLength(1);
  await registry.stop();
  expect(processesWith(config)).toEqual([]);
  expect(processesWith(`${registry.dir}/token-key.pem`)).toEqual([]);
  expect(fs.existsSync(registry.dir)).toBe(false);
});
