import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MlpError } from '../../src/errors.js';
import {
  applyLocalGc,
  checkScope,
  collectReferences,
  describeScope,
  keepSet,
  localManifest,
  planLocalGc,
  type GcPlan,
  type GcScope,
} from '../../src/cache/gc.js';
import { writeSavedRecord } from '../../src/cache/saved.js';
import { addPaths } from '../../src/data/add.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import { toSha256, type Sha256 } from '../../src/schema/sha256.js';
import { HOST_TAG } from '../../src/util/temp-files.js';
import { writeFiles } from '../helpers/cli.js';
import { P, commitAll, coreRepo, removeCoreRepos, reopen, type CoreRepo } from '../helpers/core-repo.js';

const none: GcScope = { workspace: false, allBranches: false, allTags: false, allCommits: false, revs: [] };
const H = (label: string) => toSha256(createHash('sha256').update(label).digest('hex'));

describe('gc scope', () => {
  test('no scope is a usage error (exit 2) naming every scope flag', () => {
    let error: unknown;
    try {
      checkScope(none);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).exitCode).toBe(2);
    for (const flag of ['-w', '-a', '-T', '-A', '--rev']) expect((error as MlpError).hint).toContain(flag);
  });

  test.each<[Partial<GcScope>, string]>([
    [{ workspace: true }, 'the workspace'],
    [{ allCommits: true, allBranches: true }, 'the workspace and every git commit'],
    [{ allBranches: true, allTags: true }, 'the workspace, the tip of every branch and every tag'],
    [{ revs: ['v1', 'HEAD~2'] }, 'the workspace and v1, HEAD~2'],
  ])('%j keeps %s', (scope, text) => {
    const full = { ...none, ...scope };
    expect(() => checkScope(full)).not.toThrow();
    expect(describeScope(full)).toBe(text);
  });
});

describe('keepSet', () => {
  test('keeps files, directory manifests and their entries; reports manifests it cannot read', () => {
    const manifests = new Map([[H('d'), [H('1'), H('2')]]]);
    const keep = keepSet(
      [
        { hash: H('f'), size: 1 },
        { hash: H('d'), size: 2, nfiles: 2 },
        { hash: H('e'), size: 2, nfiles: 1 },
      ],
      (h) => manifests.get(h),
    );
    expect([...keep.hashes].sort()).toEqual([H('1'), H('2'), H('d'), H('e'), H('f')].sort());
    expect(keep.unknownManifests).toEqual([H('e')]);
  });
});

/**
 * The whole local gc on a real repository: what the scope references is kept (directories with
 * every file their manifest lists), saved outputs are always kept, everything else goes, and so
 * do run-cache entries whose outputs go and the temp files of killed commands.
 */
describe('local gc on a repository', () => {
  afterEach(removeCoreRepos);

  /**
   * Commit 1 records data v1 ({a: A1, b: B}); the workspace holds v2 ({a: A2, b: B}), added but
   * not committed. Also in the cache: an orphan, a saved output, run-cache entries and a killed
   * command's temp file.
   */
  async function scenario(): Promise<{ r: CoreRepo; v1: Sha256; v2: Sha256; runV1: string; runOrphan: string; deadTemp: string }> {
    const r = coreRepo();
    writeFiles(r.root, { 'data/a.txt': 'A1', 'data/b.txt': 'B' });
    const [v1] = await addPaths(r.repo, [P('data')]);
    commitAll(r.root, 'v1');
    writeFiles(r.root, { 'data/a.txt': 'A2' });
    const [v2] = await addPaths(reopen(r), [P('data')]);
    r.repo.objects.putBytes('orphan');
    const saved = r.repo.objects.putBytes('saved output');
    writeSavedRecord(r.repo.cacheDir, 'train', P('models/m.bin'), { hash: saved, size: 12 });
    r.repo.runCache.write(hashBytes('key v1'), [{ path: P('out'), hash: hashBytes('A1'), size: 2 }]);
    r.repo.runCache.write(hashBytes('key orphan'), [{ path: P('out'), hash: hashBytes('orphan'), size: 6 }]);
    const deadTemp = path.join(r.repo.objects.tmpDir, `${HOST_TAG}-${deadPid()}-0123abcd-0`);
    fs.mkdirSync(path.dirname(deadTemp), { recursive: true });
    fs.writeFileSync(deadTemp, 'partial');
    const run = (key: string): string => r.repo.runCache.file(hashBytes(key));
    return { r, v1: v1?.info.hash as Sha256, v2: v2?.info.hash as Sha256, runV1: run('key v1'), runOrphan: run('key orphan'), deadTemp };
  }

  function plan(r: CoreRepo, scope: Partial<GcScope>): { plan: GcPlan; unknown: Sha256[] } {
    const { refs } = collectReferences(r.repo, { ...none, ...scope });
    const keep = keepSet(refs, (h) => localManifest(r.repo, h));
    return { plan: planLocalGc(r.repo, keep.hashes), unknown: keep.unknownManifests };
  }

  test('-w keeps the workspace and saved outputs; the old version, the orphan, their run entries and dead temp files go', async () => {
    const s = await scenario();
    const { plan: p, unknown } = plan(s.r, { workspace: true });
    expect(unknown).toEqual([]);
    expect(p.remove.map((o) => o.hash).sort()).toEqual([s.v1, hashBytes('A1'), hashBytes('orphan')].sort());
    expect(p.bytes).toBe(p.remove.reduce((n, o) => n + o.size, 0));
    expect(p.kept).toBe(4); // v2's manifest, A2, B, the saved output
    expect(p.runs.map((k) => s.r.repo.runCache.file(k)).sort()).toEqual([s.runV1, s.runOrphan].sort());
    expect(p.temps).toEqual({ files: 1, bytes: 7 });
    // Planning removes nothing.
    expect(s.r.repo.objects.has(hashBytes('orphan'))).toBe(true);
    expect(fs.existsSync(s.deadTemp)).toBe(true);

    applyLocalGc(s.r.repo, p);
    const left = new Set(s.r.repo.objects.listObjects());
    expect([...left].sort()).toEqual([s.v2, hashBytes('A2'), hashBytes('B'), hashBytes('saved output')].sort());
    expect(fs.existsSync(s.runV1) || fs.existsSync(s.runOrphan) || fs.existsSync(s.deadTemp)).toBe(false);
    // The workspace can still be checked out from what is left.
    fs.rmSync(path.join(s.r.root, 'data'), { recursive: true });
    expect(reopen(s.r).workspace.checkout(P('data'), { hash: s.v2, size: 3, nfiles: 2 })).toBe('restored');
  });

  test('-A (and --rev of the old commit) also keeps what the commits recorded', async () => {
    const s = await scenario();
    for (const scope of [{ allCommits: true }, { revs: ['HEAD'] }, { allBranches: true }]) {
      const { plan: p } = plan(s.r, scope);
      expect(p.remove.map((o) => o.hash)).toEqual([hashBytes('orphan')]);
      expect(p.runs.map((k) => s.r.repo.runCache.file(k))).toEqual([s.runOrphan]);
    }
  });

  test('a directory whose manifest is missing is reported: its files cannot be told apart', async () => {
    const s = await scenario();
    fs.rmSync(s.r.repo.objects.objectPath(s.v2));
    const { unknown } = plan(s.r, { workspace: true });
    expect(unknown).toEqual([s.v2]);
  });

  test('a scope naming commits outside a git repository is a usage error', () => {
    const r = coreRepo({}, false);
    let error: unknown;
    try {
      collectReferences(r.repo, { ...none, allCommits: true });
    } catch (e) {
      error = e;
    }
    expect((error as MlpError).exitCode).toBe(2);
    expect(collectReferences(r.repo, { ...none, workspace: true }).commits).toBe(0);
  });
});

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}
