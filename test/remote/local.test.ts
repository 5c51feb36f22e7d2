/** push / pull / fetch / status --remote / repro --pull against a local-directory remote. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { count, git, makeRepo, read, runMlp, tempDir } from '../helpers/cli.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
import { cacheObjects, cloneWithoutData, json, objectsUnder, repoWithData } from './fixtures.js';

function withLocalRemote(): { dir: string; remote: string } {
  const dir = repoWithData();
  const remote = tempDir('mlp-local-remote-');
  expect(runMlp(dir, ['remote', 'add', '-d', 'store', remote]).code).toBe(0);
  git(dir, 'commit', '-qam', 'remote');
  return { dir, remote };
}

describe('local remote', () => {
  test('round trip of files and directories; a second push sends nothing', () => {
    const { dir, remote } = withLocalRemote();
    const pushed = json(runMlp(dir, ['push', '--json']));
    expect(pushed.failures).toEqual([]);
    expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
    expect(pushed.transferred).toBe(cacheObjects(dir).length);
    const again = json(runMlp(dir, ['push', '--json']));
    expect(again.transferred).toBe(0);
    expect(again.upToDate).toBe(cacheObjects(dir).length);

    const clone = cloneWithoutData(dir);
    const pulled = runMlp(clone, ['pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Fetched ${cacheObjects(dir).length} objects`);
    expect(read(clone, 'data/images/img3.bin')).toBe(read(dir, 'data/images/img3.bin'));
    expect(read(clone, 'data/images/sub/deep.bin')).toBe('deep');
    expect(read(clone, 'models/model.bin')).toBe('a,b\n1,2\ntrained\n');
    expect(runMlp(clone, ['status']).stdout).toBe('Pipeline and tracked data are up to date.\n');
    expect(cacheObjects(clone)).toEqual(cacheObjects(dir));
  });

  test('an output declared `push: false` is not pushed; the other outputs are', () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  s:\n    cmd: echo keep > keep.txt && echo local > local.txt\n    deps: [pipeline.yaml]\n    outs: [keep.txt, {local.txt: {push: false}}]\n',
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const remote = tempDir('mlp-local-remote-');
    expect(runMlp(dir, ['remote', 'add', '-d', 'store', remote]).code).toBe(0);
    expect(runMlp(dir, ['push']).code).toBe(0);
    const pushed = objectsUnder(remote);
    expect(pushed).toContain(sha256('keep\n'));
    expect(pushed).not.toContain(sha256('local\n'));
  });

  test('partial pull by stage and by tracked path', () => {
    const { dir } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const clone = cloneWithoutData(dir);
    expect(runMlp(clone, ['pull', 'train']).code).toBe(0);
    expect(fs.existsSync(path.join(clone, 'models/model.bin'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'data/images'))).toBe(false);
    expect(runMlp(clone, ['pull', 'data/labels.csv']).code).toBe(0);
    expect(fs.existsSync(path.join(clone, 'data/labels.csv'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'data/images'))).toBe(false);
    const fetched = runMlp(clone, ['fetch', 'data/images']);
    expect(fetched.code).toBe(0);
    expect(fs.existsSync(path.join(clone, 'data/images'))).toBe(false); // fetch fills the cache only
    expect(runMlp(clone, ['checkout', 'data/images']).code).toBe(0);
    expect(read(clone, 'data/images/sub/deep.bin')).toBe('deep');
  });

  test('status --remote says what is new, missing and in sync', () => {
    const { dir } = withLocalRemote();
    expect(runMlp(dir, ['push', 'data/images']).code).toBe(0);
    const status = runMlp(dir, ['status', '--remote']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/data\/images\s+in sync/);
    expect(status.stdout).toMatch(/data\/labels\.csv\s+new here, not pushed \(1 object\)/);
    const clone = cloneWithoutData(dir);
    const there = json(runMlp(clone, ['status', '--remote', '--json']));
    const items = there.items as { path: string; state: string }[];
    expect(items.find((i) => i.path === 'data/images')?.state).toBe('not-fetched');
    expect(items.find((i) => i.path === 'data/labels.csv')?.state).toBe('missing-everywhere');
  });

  test('status -c / -r NAME / --remote NAME only read: nothing enters the cache', () => {
    const { dir } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const clone = cloneWithoutData(dir);
    const cacheFiles = (): string[] => {
      const base = path.join(clone, '.mlp/cache');
      return fs.existsSync(base) ? (fs.readdirSync(base, { recursive: true }) as string[]).sort() : [];
    };
    const before = cacheFiles();
    for (const args of [['-c'], ['--cloud'], ['-r', 'store'], ['--remote', 'store'], ['--remote'], ['-c', '-r', 'store']]) {
      const status = runMlp(clone, ['status', ...args]);
      expect({ args, code: status.code, stderr: status.stderr }).toEqual({ args, code: 0, stderr: '' });
      // The directory's manifest is only on the remote: read from there, into memory.
      expect(status.stdout).toMatch(/data\/images\s+on the remote only \(32 objects\)/);
    }
    expect(cacheFiles()).toEqual(before);
    const wrong = runMlp(clone, ['status', '--remote', 'nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("remote 'nope' is not configured");
  });

  test('push creates a missing local remote directory (as DVC does); pull from a missing one is an error', () => {
    const { dir } = withLocalRemote();
    const remote = path.join(tempDir('mlp-new-remote-'), 'not', 'yet');
    expect(runMlp(dir, ['remote', 'modify', 'store', 'url', remote]).code).toBe(0);
    const pushed = runMlp(dir, ['push']);
    expect(pushed.code).toBe(0);
    expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
    fs.rmSync(path.dirname(remote), { recursive: true });
    const clone = cloneWithoutData(dir);
    expect(runMlp(clone, ['remote', 'modify', 'store', 'url', remote]).code).toBe(0);
    const pulled = runMlp(clone, ['pull']);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toContain(`error: local remote ${remote} does not exist`);
  });

  test('repro --pull fetches what stages need instead of rerunning them, with the run-cache', () => {
    const { dir } = withLocalRemote();
    expect(runMlp(dir, ['push', '--run-cache']).stdout).toContain('Sent 1 run-cache entry.');
    const clone = cloneWithoutData(dir);
    const runsBefore = count(clone);
    const result = runMlp(clone, ['repro', '--pull']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('restored models/model.bin');
    expect(result.stdout).toContain('Pipeline is up to date');
    expect(count(clone)).toBe(runsBefore); // the stage did not run
    expect(fs.readdirSync(path.join(clone, '.mlp/cache/runs')).length).toBe(1);
  });

  test('a remote object whose content does not match its name is refused on pull', () => {
    const { dir, remote } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const hash = (read(dir, 'data/labels.csv.mlp').match(/sha256: ([0-9a-f]{64})/) as RegExpMatchArray)[1] as string;
    const object = path.join(remote, 'files/sha256', hash.slice(0, 2), hash.slice(2));
    fs.chmodSync(object, 0o644);
    fs.writeFileSync(object, 'tampered');
    const clone = cloneWithoutData(dir);
    const result = runMlp(clone, ['pull']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`data/labels.csv: the remote object files/sha256/${hash.slice(0, 2)}/${hash.slice(2)}`);
    expect(result.stderr).toContain('is corrupted');
    expect(result.stderr).toContain('hint: nothing corrupted entered the local cache; `mlp remote verify --repair`');
    expect(cacheObjects(clone)).not.toContain(hash);
    expect(fs.existsSync(path.join(clone, 'data/labels.csv'))).toBe(false);
    expect(read(clone, 'data/images/sub/deep.bin')).toBe('deep'); // the rest is complete
    // No temp files are left in the cache.
    const shard = path.join(clone, '.mlp/cache/files/sha256', hash.slice(0, 2));
    expect(fs.existsSync(shard) ? fs.readdirSync(shard).filter((f) => f.endsWith('.tmp')) : []).toEqual([]);
  });

  test('pull of data that is not on the remote says to push it', () => {
    const { dir } = withLocalRemote();
    const clone = cloneWithoutData(dir);
    const result = runMlp(clone, ['pull', 'data/labels.csv']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('data/labels.csv: its data');
    expect(result.stderr).toContain('is not on the remote');
    expect(result.stderr).toContain('hint: push the data from the machine that produced it');
  });
});
