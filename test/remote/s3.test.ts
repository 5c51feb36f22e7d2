/** push / pull against a private S3 server (fauxqs) on 127.0.0.1. */
import fs from 'node:fs';
import path from 'node:path';
import { git, read, runMlp, startMlp, writeFiles } from '../helpers/cli.js';
import { S3Server } from '../helpers/s3-server.js';
import { cacheObjects, cloneWithoutData, copyOf, json, repoWithData } from './fixtures.js';
import { freePort } from '../helpers/sshd.js';

let s3: S3Server;
let buckets = 0;

beforeAll(async () => {
  s3 = await S3Server.start();
  Object.assign(process.env, s3.env()); // inherited by mlp children, also those of startMlp
});
afterAll(async () => s3?.stop());

/** repoWithData with the S3 remote configured (three `mlp remote` runs), made once and copied per test. */
let configured: string | undefined;
const TEMPLATE_URL = 's3://template-bucket/team/cache';

async function withS3Remote(): Promise<{ dir: string; bucket: string; env: NodeJS.ProcessEnv }> {
  const bucket = `bucket${buckets++}`;
  await s3.createBucket(bucket);
  if (!configured) {
    configured = repoWithData();
    expect(runMlp(configured, ['remote', 'add', '-d', 'cloud', TEMPLATE_URL]).code).toBe(0);
    expect(runMlp(configured, ['remote', 'modify', 'cloud', 'endpoint_url', s3.endpoint]).code).toBe(0);
    expect(runMlp(configured, ['remote', 'modify', 'cloud', 'part_size', '5MiB']).code).toBe(0); // the server takes bodies up to 11 MiB
  }
  const dir = copyOf(configured);
  const config = path.join(dir, '.mlp/config.yaml');
  const text = fs.readFileSync(config, 'utf8');
  const next = text.replace(TEMPLATE_URL, `s3://${bucket}/team/cache`);
  expect(next).not.toBe(text);
  fs.writeFileSync(config, next);
  git(dir, 'commit', '-qam', 'remote');
  return { dir, bucket, env: s3.env() };
}

const objectKeys = async (bucket: string): Promise<string[]> =>
  (await s3.keys(bucket))
    .filter((k) => k.startsWith('team/cache/files/'))
    .map((k) => k.split('/').slice(-2).join(''))
    .sort();

describe('S3 remote', () => {
  test('round trip of files, directories and a multipart object; nothing re-sent on a second push', async () => {
    const { dir, bucket, env } = await withS3Remote();
    const big = Buffer.alloc(70 * 1024 * 1024 + 7); // > 64 MiB: multipart up (5 MiB parts), parallel ranges down
    for (let i = 0; i < big.length; i += 512) big.writeUInt32LE(i, i);
    fs.writeFileSync(path.join(dir, 'big.bin'), big);
    expect(runMlp(dir, ['add', 'big.bin']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'big');
    const pushed = json(runMlp(dir, ['push', '--json'], env));
    expect(pushed.failures).toEqual([]);
    expect(await objectKeys(bucket)).toEqual(cacheObjects(dir));
    const again = json(runMlp(dir, ['push', '--json'], env));
    expect(again.transferred).toBe(0);
    expect(again.upToDate).toBe(cacheObjects(dir).length);

    const clone = cloneWithoutData(dir);
    expect(runMlp(clone, ['pull', 'big.bin'], env).code).toBe(0);
    expect(fs.readFileSync(path.join(clone, 'big.bin')).equals(big)).toBe(true);
    expect(fs.existsSync(path.join(clone, 'data/images'))).toBe(false); // partial pull
    const pulled = runMlp(clone, ['pull'], env);
    expect(pulled.code).toBe(0);
    expect(read(clone, 'data/images/img9.bin')).toBe(read(dir, 'data/images/img9.bin'));
    expect(runMlp(clone, ['status']).stdout).toBe('Pipeline and tracked data are up to date.\n');
    expect(runMlp(clone, ['status', '--remote'], env).stdout).toContain('4 in sync, 0 to push, 0 to pull');
  });

  test('a push cut off by the server going away resumes by rerunning it', async () => {
    const { dir, bucket, env } = await withS3Remote();
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`many/f${i}.txt`] = `file ${i} `.repeat(50);
    writeFiles(dir, files);
    expect(runMlp(dir, ['add', 'many']).code).toBe(0);
    const { done } = startMlp(dir, ['push', '-j', '4']);
    let seen = 0;
    const started = Date.now();
    while ((seen = (await objectKeys(bucket)).length) < 200 && Date.now() - started < 30000) await new Promise((r) => setTimeout(r, 50));
    await s3.command('stop');
    const failed = await done;
    await s3.command('start');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/error: (the connection to the S3 endpoint was lost|cannot reach the S3 endpoint)/);
    expect(failed.stderr).toContain('rerun the same command');
    expect(seen).toBeGreaterThan(0);
    const resumed = json(runMlp(dir, ['push', '--json'], env));
    expect(resumed.failures).toEqual([]);
    expect(resumed.upToDate).toBeGreaterThanOrEqual(seen);
    expect(await objectKeys(bucket)).toEqual(cacheObjects(dir));
    // Pull everything back and verify every object.
    const clone = cloneWithoutData(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'many');
    const clone2 = cloneWithoutData(dir);
    expect(runMlp(clone2, ['pull'], env).code).toBe(0);
    expect(read(clone2, 'many/f2999.txt')).toBe(files['many/f2999.txt']);
    fs.rmSync(clone, { recursive: true, force: true });
  }, 120000);

  test('a corrupted remote object is detected on pull', async () => {
    const { dir, bucket, env } = await withS3Remote();
    expect(runMlp(dir, ['push'], env).code).toBe(0);
    const hash = (read(dir, 'data/labels.csv.mlp').match(/sha256: ([0-9a-f]{64})/) as RegExpMatchArray)[1] as string;
    await s3.command(`corrupt ${bucket} team/cache/files/sha256/${hash.slice(0, 2)}/${hash.slice(2)}`);
    const clone = cloneWithoutData(dir);
    const result = runMlp(clone, ['pull'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('data/labels.csv: the remote object');
    expect(result.stderr).toContain('is corrupted');
    expect(cacheObjects(clone)).not.toContain(hash);
    expect(fs.existsSync(path.join(clone, 'data/labels.csv'))).toBe(false);
  });

  test('wrong credentials, permission denied, missing bucket, unreachable endpoint', async () => {
    const { dir, env } = await withS3Remote();
    const before = cacheObjects(dir);
    const bad = runMlp(dir, ['push'], s3.env('nobody'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: S3 rejected the credentials for s3://');
    expect(bad.stderr).toContain('(InvalidAccessKeyId)');
    expect(bad.stderr).toContain('hint: check AWS_ACCESS_KEY_ID');

    const denied = runMlp(dir, ['push'], s3.env('readonly'));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/error: permission denied on s3:\/\/bucket\d+\/team\/cache\/: cannot upload/);
    expect(denied.stderr).toContain('s3:PutObject');

    runMlp(dir, ['remote', 'modify', 'cloud', 'url', 's3://no-such-bucket/x']);
    const missing = runMlp(dir, ['push'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error: the bucket 'no-such-bucket' does not exist");
    expect(missing.stderr).toContain('hint: create it');

    runMlp(dir, ['remote', 'modify', 'cloud', 'endpoint_url', `http://127.0.0.1:${await freePort()}`]);
    const down = runMlp(dir, ['push'], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/error: cannot reach the S3 endpoint .* \(ECONNREFUSED\)/);
    expect(cacheObjects(dir)).toEqual(before);
  });
});
