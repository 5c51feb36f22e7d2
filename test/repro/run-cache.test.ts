/**
 * When stage execution uses the run-cache (DVC 3's `_can_hash`), and that an entry must record
 * exactly the outputs its stage declares.
 */
import fs from 'node:fs';
import { PipelineError } from '../../src/errors.js';
import type { Stage } from '../../src/pipeline/types.js';
import { Repo } from '../../src/repo/repo.js';
import { lookupRun, runCacheExclusion, runCacheKey, saveRun } from '../../src/repro/run-cache.js';
import { checkStage } from '../../src/repro/staleness.js';
import { toRepoPath } from '../../src/schema/repo-path.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function stage(overrides: Partial<Stage> = {}): Stage {
  return {
    name: 's',
    cmd: ['run-it'],
    wdir: '.',
    deps: [toRepoPath('in.txt')],
    outs: [{ path: toRepoPath('out.txt'), kind: 'out', cache: true, persist: false }],
    params: [],
    frozen: false,
    alwaysChanged: false,
    ...overrides,
  } as Stage;
}

describe('runCacheExclusion', () => {
  test('as in DVC: not for always_changed, no deps (nor params), no outs, or a persist output', () => {
    expect(runCacheExclusion(stage())).toBeUndefined();
    expect(runCacheExclusion(stage({ alwaysChanged: true }))).toBe('always-changed');
    expect(runCacheExclusion(stage({ deps: [] }))).toBe('no-deps');
    expect(runCacheExclusion(stage({ deps: [], params: [{ file: toRepoPath('params.yaml'), keys: ['n'] }] }))).toBeUndefined();
    expect(runCacheExclusion(stage({ outs: [] }))).toBe('no-outs');
    expect(runCacheExclusion(stage({ outs: [{ path: toRepoPath('log.txt'), kind: 'out', cache: true, persist: true }] }))).toBe('persist');
    // Outputs git tracks take part (they are stored in the cache too).
    expect(runCacheExclusion(stage({ outs: [{ path: toRepoPath('m.json'), kind: 'metric', cache: false, persist: false }] }))).toBeUndefined();
  });
});

describe('saveRun / lookupRun', () => {
  function repo(): Repo {
    const dir = tempDir('mlp-runcache-');
    dirs.push(dir);
    Repo.init(dir);
    writeFiles(dir, { 'in.txt': 'in\n', 'out.txt': 'out\n' });
    return new Repo(dir);
  }

  test('a saved run is found again when its objects are in the cache', async () => {
    const r = repo();
    const s = stage();
    const check = checkStage(r, s, undefined);
    const out = await r.workspace.hashAndSave(toRepoPath('out.txt'));
    const outs = [{ path: toRepoPath('out.txt'), hash: out!.hash, size: out!.size }];
    expect(saveRun(r, s, check, outs)).toBeUndefined();
    expect(r.runCache.read(runCacheKey(s, check))).toEqual(outs);
    expect(lookupRun(r, s, check)).toEqual(outs);
    r.close();
  });

  test('an excluded stage neither saves nor finds runs', async () => {
    const r = repo();
    const s = stage({ outs: [{ path: toRepoPath('out.txt'), kind: 'out', cache: true, persist: true }] });
    const check = checkStage(r, s, undefined);
    const out = await r.workspace.hashAndSave(toRepoPath('out.txt'));
    const outs = [{ path: toRepoPath('out.txt'), hash: out!.hash, size: out!.size }];
    saveRun(r, s, check, outs);
    expect(r.runCache.keys()).toEqual([]);
    r.runCache.write(runCacheKey(s, check), outs); // e.g. written by an older mlp
    expect(lookupRun(r, s, check)).toBeUndefined();
    r.close();
  });

  test('an entry that records an output the stage does not declare is a located error', async () => {
    const r = repo();
    const s = stage();
    const check = checkStage(r, s, undefined);
    const out = await r.workspace.hashAndSave(toRepoPath('out.txt'));
    r.runCache.write(runCacheKey(s, check), [{ path: toRepoPath('elsewhere.txt'), hash: out!.hash, size: out!.size }]);
    expect(() => lookupRun(r, s, check)).toThrow(PipelineError);
    expect(() => lookupRun(r, s, check)).toThrow(/\.mlp\/cache\/runs\/.*records output elsewhere\.txt, which stage 's' does not declare/);
    r.close();
  });
});
