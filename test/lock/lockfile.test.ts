import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../src/errors.js';
import { Lockfile, type LockEntry } from '../../src/lock/lockfile.js';
import { toRepoPath as p } from '../../src/schema/repo-path.js';
import { toSha256 as h } from '../../src/schema/sha256.js';
import { tempDir } from '../helpers/cli.js';

const entry = (n: number): LockEntry => ({
  cmd: [`cp a${n} b${n}`],
  deps: [
    { path: p('z'), hash: h('f'.repeat(64)), size: 2 },
    { path: p('a'), hash: h('e'.repeat(64)), size: 1, nfiles: 3 },
  ],
  params: { 'params.yaml': { zeta: 1, alpha: { yy: 2, xx: [1, 2] } } },
  outs: [{ path: p(`b${n}`), hash: h('a'.repeat(64)), size: 5 }],
});

describe('pipeline.lock', () => {
  test('serialisation is deterministic: sorted stages, paths and keys, whatever the insertion order', () => {
    const dir1 = tempDir();
    const dir2 = tempDir();
    const a = Lockfile.load(dir1);
    const b = Lockfile.load(dir2);
    a.set('train', entry(1));
    a.set('prepare', entry(2));
    b.set('prepare', entry(2));
    b.set('train', entry(1));
    expect(a.serialize()).toBe(b.serialize());
    const text = a.serialize();
    expect(text.indexOf('prepare:')).toBeLessThan(text.indexOf('train:'));
    expect(text.indexOf('path: a')).toBeLessThan(text.indexOf('path: z'));
    expect(text.indexOf('alpha')).toBeLessThan(text.indexOf('zeta'));
    expect(text.indexOf('xx:')).toBeLessThan(text.indexOf('yy:'));
  });

  test('round-trips through the file', () => {
    const dir = tempDir();
    const lock = Lockfile.load(dir);
    lock.set('s', entry(1));
    lock.save();
    const again = Lockfile.load(dir);
    expect(again.get('s')).toEqual(lock.get('s'));
    expect(again.serialize()).toBe(fs.readFileSync(path.join(dir, 'pipeline.lock'), 'utf8'));
  });

  test('merge conflict markers give the resolution command', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'pipeline.lock'), "schema: '1'\nstages:\n<<<<<<< HEAD\n  a: {}\n=======\n  b: {}\n>>>>>>> other\n");
    expect(() => Lockfile.load(dir)).toThrow(PipelineError);
    try {
      Lockfile.load(dir);
    } catch (error) {
      expect((error as PipelineError).hint).toContain('git checkout --theirs pipeline.lock && mlp repro');
    }
  });

  test('a damaged lockfile is a clear error', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'pipeline.lock'), "schema: '1'\nstages:\n  a:\n    cmd: x\n    outs: [{path: o}]\n");
    expect(() => Lockfile.load(dir)).toThrow("pipeline.lock:5:12: missing key 'sha256' in stages.a.outs[0]");
  });
});
