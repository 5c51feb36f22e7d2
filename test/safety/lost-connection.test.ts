/**
 * Every lost connection ends non-zero with the documented message, and leaves no repository lock
 * behind: a real sshd (and the S3 test server) killed at random points of `mlp push` and `mlp
 * pull`, over many trials. Trials per case: MLP_FAULT_TRIALS (default 3).
 */
import fs from 'node:fs';
import path from 'node:path';
import { git, runMlp, startMlp, tempDir, waitFor, writeFiles, type RunResult } from '../helpers/cli.js';
import { S3Server } from '../helpers/s3-server.js';
import { Sshd } from '../helpers/sshd.js';
import { cacheObjects, cloneWithoutData, objectsUnder, repoWithData } from '../remote/fixtures.js';

const TRIALS = Number(process.env.MLP_FAULT_TRIALS ?? 3);
const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A repo with `n` small objects and a 24 MiB one (sent in parallel parts). */
function bigRepo(n: number): string {
  const dir = repoWithData();
  made.push(dir);
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`many/f${i}.txt`] = `file ${i} `.repeat(40);
  writeFiles(dir, files);
  const big = Buffer.alloc(24 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
  fs.writeFileSync(path.join(dir, 'big.bin'), big);
  expect(runMlp(dir, ['add', 'many', 'big.bin']).code).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'data');
  return dir;
}

const random = (n: number): number => Math.floor(Math.random() * n);

/**
 * Calls `kill` at a random point of the transfer: while mlp starts or connects, just after the
 * first object moved (the large one is then in flight), or once `progress()` reached a random
 * share of `total`.
 */
async function killAtRandomPoint(total: number, progress: () => number, kill: () => Promise<void> | void, done: Promise<RunResult>): Promise<void> {
  let finished = false;
  void done.then(() => (finished = true));
  const mode = random(4);
  if (mode === 0) await new Promise((r) => setTimeout(r, random(2500))); // starting, connecting
  else if (mode === 1) {
    await waitFor(() => finished || progress() >= 1, 60000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, random(500)));
  } else {
    const target = 1 + random(Math.floor(total * 0.9));
    await waitFor(() => finished || progress() >= target, 60000).catch(() => undefined);
  }
  await kill();
}

interface Tally {
  lost: number;
  finishedFirst: number;
  [k: string]: number;
}

function expectCleanOutcome(dir: string, result: RunResult, lostMessage: RegExp, tally: Tally, complete: () => boolean, json: boolean): void {
  // Never a silent success, never a stack trace, never a lock left behind.
  expect(fs.existsSync(path.join(dir, '.mlp/tmp/lock'))).toBe(false);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  if (result.code === 0) {
    expect(complete()).toBe(true); // it finished before the server went away
    tally.finishedFirst++;
    return;
  }
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(lostMessage);
  expect(result.stderr).toContain('hint: ');
  if (json) {
    const parsed = JSON.parse(result.stdout) as { error?: { message?: string } };
    expect(parsed.error?.message).toMatch(new RegExp(lostMessage.source.replace('error: ', '')));
  }
  tally.lost++;
}

describe('SSH server killed mid-transfer', () => {
  let sshd: Sshd;
  let dir: string;
  const lost = /error: (the connection to \S+ was lost (during the transfer|before the transfer started)|cannot reach the SSH server)/;

  beforeAll(async () => {
    sshd = await Sshd.start();
    dir = bigRepo(1000);
    expect(runMlp(dir, ['remote', 'add', '-d', 'origin', sshd.url('/nonexistent')]).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', '--local', 'origin', 'key_file', sshd.clientKey]).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', '--local', 'origin', 'known_hosts', sshd.knownHosts]).code).toBe(0);
  }, 120000);
  afterAll(() => sshd?.stop());

  test('push: non-zero exit with the message, no lock left, over many trials', async () => {
    const tally: Tally = { lost: 0, finishedFirst: 0 };
    const total = cacheObjects(dir).length;
    for (let trial = 0; trial < TRIALS; trial++) {
      const remote = sshd.remoteDir();
      made.push(remote);
      runMlp(dir, ['remote', 'modify', 'origin', 'url', sshd.url(remote)]);
      const json = trial % 2 === 1 && process.env.MLP_NO_JSON === undefined;
      const { done } = startMlp(dir, ['push', '-j', '8', ...(json ? ['--json'] : [])]);
      await killAtRandomPoint(total, () => objectsUnder(remote).length, () => sshd.kill(), done);
      const result = await done;
      await sshd.restart();
      expectCleanOutcome(dir, result, lost, tally, () => objectsUnder(remote).length === total, json);
      // The next push completes.
      expect(runMlp(dir, ['push']).code).toBe(0);
      expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
    }
    process.stderr.write(`sshd killed mid-push, ${TRIALS} trials: ${JSON.stringify(tally)}\n`);
  }, 120000 + TRIALS * 30000);

  test('pull: non-zero exit with the message, no lock left, over many trials', async () => {
    const remote = sshd.remoteDir();
    made.push(remote);
    runMlp(dir, ['remote', 'modify', 'origin', 'url', sshd.url(remote)]);
    git(dir, 'commit', '-qam', 'remote');
    expect(runMlp(dir, ['push']).code).toBe(0);
    const clone = cloneWithoutData(dir);
    made.push(path.dirname(clone));
    const total = cacheObjects(dir).length;
    const tally: Tally = { lost: 0, finishedFirst: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      fs.rmSync(path.join(clone, '.mlp/cache'), { recursive: true, force: true });
      for (const p of ['many', 'big.bin', 'data/images', 'data/labels.csv', 'models']) fs.rmSync(path.join(clone, p), { recursive: true, force: true });
      const json = trial % 2 === 1 && process.env.MLP_NO_JSON === undefined;
      const { done } = startMlp(clone, ['pull', '-j', '8', ...(json ? ['--json'] : [])]);
      await killAtRandomPoint(total, () => cacheObjects(clone).length, () => sshd.kill(), done);
      const result = await done;
      await sshd.restart();
      expectCleanOutcome(clone, result, lost, tally, () => cacheObjects(clone).length === total && fs.existsSync(path.join(clone, 'many/f999.txt')), json);
      expect(runMlp(clone, ['pull']).code).toBe(0);
      expect(cacheObjects(clone)).toEqual(cacheObjects(dir));
    }
    process.stderr.write(`sshd killed mid-pull, ${TRIALS} trials: ${JSON.stringify(tally)}\n`);
  }, 120000 + TRIALS * 30000);
});

describe('S3 server gone mid-transfer', () => {
  let s3: S3Server;
  let dir: string;
  let buckets = 0;
  const lost = /error: (the connection to the S3 endpoint was lost during the transfer|cannot reach the S3 endpoint)/;

  beforeAll(async () => {
    s3 = await S3Server.start();
    Object.assign(process.env, s3.env());
    dir = bigRepo(300);
    expect(runMlp(dir, ['remote', 'add', '-d', 'cloud', 's3://none/cache']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', 'cloud', 'endpoint_url', s3.endpoint]).code).toBe(0);
    expect(runMlp(dir, ['remote', 'modify', 'cloud', 'part_size', '5MiB']).code).toBe(0);
  }, 120000);
  afterAll(async () => s3?.stop());

  const keys = async (bucket: string): Promise<number> => (await s3.keys(bucket)).filter((k) => k.startsWith('cache/files/')).length;

  test('push and pull: non-zero exit with the message, no lock left', async () => {
    const total = cacheObjects(dir).length;
    const tally: Tally = { lost: 0, finishedFirst: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const bucket = `b${buckets++}`;
      await s3.createBucket(bucket);
      runMlp(dir, ['remote', 'modify', 'cloud', 'url', `s3://${bucket}/cache`]);
      const json = trial % 2 === 1 && process.env.MLP_NO_JSON === undefined;
      const { done } = startMlp(dir, ['push', '-j', '8', ...(json ? ['--json'] : [])]);
      // The server's control channel answers one command at a time: poll in one loop, and stop
      // polling before stopping the server.
      let seen = 0;
      let polling = true;
      const poller = (async () => {
        while (polling) {
          seen = await keys(bucket);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const stop = async (): Promise<void> => {
        polling = false;
        await poller;
        await s3.command('stop');
      };
      await killAtRandomPoint(total, () => seen, stop, done);
      const result = await done;
      await s3.command('start');
      expectCleanOutcome(dir, result, lost, tally, () => true, json);
      expect(runMlp(dir, ['push']).code).toBe(0);

      // Pull into a clone while the server goes away.
      git(dir, 'commit', '-qam', `bucket ${bucket}`);
      const clone = cloneWithoutData(dir);
      made.push(path.dirname(clone));
      const pulling = startMlp(clone, ['pull', '-j', '8']);
      await killAtRandomPoint(total, () => cacheObjects(clone).length, () => s3.command('stop').then(() => undefined), pulling.done);
      const pulled = await pulling.done;
      await s3.command('start');
      expectCleanOutcome(clone, pulled, lost, tally, () => cacheObjects(clone).length === total, false);
      expect(runMlp(clone, ['pull']).code).toBe(0);
    }
    process.stderr.write(`S3 server stopped mid-push/pull, ${TRIALS} trials each: ${JSON.stringify(tally)}\n`);
  }, 120000 + TRIALS * 60000);
});

void tempDir;
