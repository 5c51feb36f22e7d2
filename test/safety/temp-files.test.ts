/**
 * Interrupted commands leave nothing behind for long: the partial files of a killed `mlp add`,
 * pull or push are removed by the next command of the same kind, and `mlp gc` removes every temp
 * file that no live mlp process owns.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, runMlp, startMlp, tempDir, waitFor } from '../helpers/cli.js';
import { HOST_TAG } from '../../src/util/temp-files.js';
import { cacheObjects, cloneWithoutData, objectsUnder } from '../remote/fixtures.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const MiB = 1024 * 1024;

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** Temp files (partial objects, owner markers) anywhere under `root`. */
function temps(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp') || f.endsWith('.owner') || /^tmp\/[0-9a-f]{8}-\d+-/.test(f));
}

function bigFile(file: string, size: number): void {
  const chunk = Buffer.alloc(MiB);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < size / MiB; i++) {
    chunk.writeUInt32LE(i, 0);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
}

describe('temp files of killed commands', () => {
  test('a killed `mlp add` leaves a partial object; the next add removes it', async () => {
    const dir = makeRepo({}, { 'small.txt': 'small\n' });
    made.push(dir);
    bigFile(path.join(dir, 'big.bin'), 400 * MiB);
    const { child, done } = startMlp(dir, ['add', 'big.bin']);
    const partial = (): string[] => temps(path.join(dir, '.mlp/cache')).filter((f) => f.startsWith('tmp/') && !f.endsWith('.owner'));
    await waitFor(() => partial().some((f) => fs.statSync(path.join(dir, '.mlp/cache', f)).size > 0), 30000);
    child.kill('SIGKILL');
    await done;
    expect(partial().length).toBe(1); // what a killed command leaves
    fs.rmSync(path.join(dir, '.mlp/tmp/lock'), { force: true });

    expect(runMlp(dir, ['add', 'small.txt']).code).toBe(0);
    expect(temps(path.join(dir, '.mlp/cache'))).toEqual([]);
  }, 60000);

  test('a killed pull: the next pull removes its partial objects', async () => {
    const dir = makeRepo();
    made.push(dir);
    const remote = tempDir('mlp-temp-remote-');
    made.push(remote);
    bigFile(path.join(dir, 'big.bin'), 300 * MiB);
    expect(runMlp(dir, ['add', 'big.bin']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'add', '-d', 'store', remote]).code).toBe(0);
    expect(runMlp(dir, ['push']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'big');
    const clone = cloneWithoutData(dir);
    made.push(path.dirname(clone));
    const cache = path.join(clone, '.mlp/cache');
    const { child, done } = startMlp(clone, ['pull']);
    await waitFor(() => temps(cache).some((f) => f.endsWith('.tmp')), 30000);
    child.kill('SIGKILL');
    await done;
    expect(temps(cache).filter((f) => f.endsWith('.tmp')).length).toBe(1);
    fs.rmSync(path.join(clone, '.mlp/tmp/lock'), { force: true });

    expect(runMlp(clone, ['pull']).code).toBe(0);
    expect(temps(cache)).toEqual([]);
    expect(cacheObjects(clone)).toEqual(cacheObjects(dir));
  }, 60000);

  test('a killed push leaves a partial upload on the remote; the next push removes it', async () => {
    const dir = makeRepo();
    made.push(dir);
    const remote = tempDir('mlp-temp-remote-');
    made.push(remote);
    bigFile(path.join(dir, 'big.bin'), 300 * MiB);
    expect(runMlp(dir, ['add', 'big.bin']).code).toBe(0);
    expect(runMlp(dir, ['remote', 'add', '-d', 'store', remote]).code).toBe(0);
    const { child, done } = startMlp(dir, ['push']);
    await waitFor(() => temps(remote).length > 0, 30000);
    child.kill('SIGKILL');
    await done;
    expect(temps(remote).length).toBe(1);
    fs.rmSync(path.join(dir, '.mlp/tmp/lock'), { force: true });

    expect(runMlp(dir, ['push']).code).toBe(0);
    expect(temps(remote)).toEqual([]);
    expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
  }, 60000);

  test('gc removes temp files no live process owns, and keeps those of live ones', () => {
    const dir = makeRepo({}, { 'f.txt': 'f\n' });
    made.push(dir);
    expect(runMlp(dir, ['add', 'f.txt']).code).toBe(0);
    const dead = deadPid();
    const cache = path.join(dir, '.mlp/cache');
    const shard = fs.readdirSync(path.join(cache, 'files/sha256'))[0] as string;
    const abandoned = [
      path.join(cache, 'tmp', `${HOST_TAG}-${dead}-0123abcd-0`),
      path.join(cache, 'files/sha256', shard, `${'0'.repeat(62)}.${HOST_TAG}-${dead}-0123abcd-1.tmp`),
      path.join(dir, '.mlp/tmp', `state.json.${HOST_TAG}-${dead}-0123abcd.tmp`),
    ];
    const live = path.join(cache, 'tmp', `${HOST_TAG}-${process.pid}-0123abcd-0`);
    for (const f of [...abandoned, live]) fs.writeFileSync(f, Buffer.alloc(1000));

    const dry = runMlp(dir, ['gc', '-w', '--dry']);
    expect(dry.stdout).toContain('Would remove from the cache: 0 objects (0 B) and 0 run-cache entries, and 3 temp files left by killed commands (2.9 KiB).');
    for (const f of abandoned) expect(fs.existsSync(f)).toBe(true);
    const result = runMlp(dir, ['gc', '-w', '-f']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Removed 0 objects (0 B) and 0 run-cache entries, and 3 temp files left by killed commands (2.9 KiB) from the cache.');
    for (const f of abandoned) expect(fs.existsSync(f)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });
});
