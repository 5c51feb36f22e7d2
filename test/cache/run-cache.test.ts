/** RunCache: the run-cache layout, locally and on remotes, and validation of every entry read. */
import fs from 'node:fs';
import path from 'node:path';
import { RunCache } from '../../src/cache/run-cache.js';
import { PipelineError } from '../../src/errors.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import type { LockedPath } from '../../src/lock/lockfile.js';
import { toRepoPath } from '../../src/schema/repo-path.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function cache(): { root: string; runs: RunCache } {
  const root = tempDir('mlp-runs-');
  dirs.push(root);
  return { root, runs: new RunCache(path.join(root, '.mlp', 'cache'), root) };
}

const KEY = hashBytes('a run');
const OTHER = hashBytes('another run');
const OUTS: LockedPath[] = [{ path: toRepoPath('out.txt'), hash: hashBytes('out'), size: 3 }];

describe('RunCache', () => {
  test('an entry lives at runs/<2 hex>/<62 hex>, locally and on remotes, and reads back as written', () => {
    const { root, runs } = cache();
    expect(runs.read(KEY)).toBeUndefined();
    runs.write(KEY, OUTS);
    expect(runs.file(KEY)).toBe(path.join(root, '.mlp/cache/runs', KEY.slice(0, 2), KEY.slice(2)));
    expect(RunCache.remoteKey(KEY)).toBe(`runs/${KEY.slice(0, 2)}/${KEY.slice(2)}`);
    expect(runs.read(KEY)).toEqual(OUTS);
    expect(runs.keys()).toEqual([KEY]);
  });

  test('keys() skips names that are not keys (temp files of interrupted writes, stray files)', () => {
    const { runs } = cache();
    runs.write(KEY, OUTS);
    fs.writeFileSync(`${runs.file(KEY)}.1234-abcd.tmp`, '{');
    fs.mkdirSync(path.join(runs.dir, 'zz'));
    fs.writeFileSync(path.join(runs.dir, 'notes.txt'), 'x');
    expect(runs.keys()).toEqual([KEY]);
  });

  test('an invalid entry is a located error when read, and gc sees it as having no outputs', () => {
    const { runs } = cache();
    runs.write(KEY, OUTS);
    runs.write(OTHER, OUTS);
    fs.writeFileSync(runs.file(OTHER), '{"outs": [{"path": "../escape", "hash": "x", "size": 1}]}');
    expect(() => runs.read(OTHER)).toThrow(PipelineError);
    expect(() => runs.read(OTHER)).toThrow(`.mlp/cache/runs/${OTHER.slice(0, 2)}/${OTHER.slice(2)}`);
    const entries = [...runs.entries()].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(entries).toEqual([KEY, OTHER].sort().map((key) => ({ key, outs: key === KEY ? OUTS : undefined })));
    runs.remove(OTHER);
    runs.remove(OTHER); // already gone: not an error
    expect(runs.keys()).toEqual([KEY]);
  });

  test('only valid entries are sent, and a downloaded entry is kept only when valid', () => {
    const { runs } = cache();
    runs.write(KEY, OUTS);
    expect(runs.sendable(KEY)).toEqual({ file: runs.file(KEY), size: fs.statSync(runs.file(KEY)).size });
    fs.writeFileSync(runs.file(KEY), 'not json');
    expect(() => runs.sendable(KEY)).toThrow(PipelineError);

    const good = runs.tempFile(OTHER);
    fs.writeFileSync(good, JSON.stringify({ outs: OUTS }));
    runs.adopt(good, OTHER, 'the remote');
    expect(runs.read(OTHER)).toEqual(OUTS);
    expect(fs.existsSync(good)).toBe(false);

    const bad = runs.tempFile(KEY);
    fs.writeFileSync(bad, '{"outs": 1}');
    expect(() => runs.adopt(bad, KEY, 'runs/xx on the remote r')).toThrow('runs/xx on the remote r');
  });

  test('remoteKeys() turns a listing into keys, skipping anything a server makes up', async () => {
    const listing: Record<string, string[]> = {
      runs: [KEY.slice(0, 2), '..', 'xyz'],
      [`runs/${KEY.slice(0, 2)}`]: [KEY.slice(2), `${KEY.slice(2)}.tmp`, '../../etc'],
    };
    expect(await RunCache.remoteKeys(async (dir) => listing[dir] ?? [])).toEqual([KEY]);
  });
});
