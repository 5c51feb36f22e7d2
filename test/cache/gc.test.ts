import { createHash } from 'node:crypto';
import { MlpError } from '../../src/errors.js';
import { checkScope, describeScope, keepSet, type GcScope } from '../../src/cache/gc.js';
import { toSha256 } from '../../src/schema/sha256.js';

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
