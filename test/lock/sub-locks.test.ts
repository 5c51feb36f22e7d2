/** A pipeline.lock next to each pipeline file: stages keyed by address, paths relative to the lock's directory. */
import fs from 'node:fs';
import path from 'node:path';
import { LOCK_JOURNAL } from '../../src/lock/lock-journal.js';
import { Lockfile, type LockEntry } from '../../src/lock/lockfile.js';
import { toRepoPath as p } from '../../src/schema/repo-path.js';
import { toSha256 as h } from '../../src/schema/sha256.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const FILES = ['pipeline.yaml', 'nlp/pipeline.yaml'];
const entry: LockEntry = {
  cmd: ['train'],
  deps: [{ path: p('data/shared.txt'), hash: h('e'.repeat(64)), size: 1 }],
  params: { 'nlp/params.yaml': { lr: 0.1 } },
  outs: [{ path: p('nlp/model.txt'), hash: h('a'.repeat(64)), size: 5 }],
};

function repoDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'nlp'));
  return dir;
}

describe('lock files of sub-pipelines', () => {
  test('each stage is saved in the lock next to its pipeline file, under its plain name, with paths relative to it', () => {
    const dir = repoDir();
    const lock = Lockfile.load(dir, undefined, undefined, FILES);
    lock.set('nlp/pipeline.yaml:train', entry);
    lock.set('prepare', { ...entry, params: {}, outs: [{ path: p('data/shared.txt'), hash: h('e'.repeat(64)), size: 1 }], deps: [] });
    lock.save();
    const sub = fs.readFileSync(path.join(dir, 'nlp/pipeline.lock'), 'utf8');
    expect(sub).toContain('stages:\n  train:\n    cmd: train\n    deps:\n      - path: ../data/shared.txt\n');
    expect(sub).toContain('    params:\n      params.yaml:\n        lr: 0.1\n    outs:\n      - path: model.txt\n');
    expect(fs.readFileSync(path.join(dir, 'pipeline.lock'), 'utf8')).not.toContain('model.txt');
    const again = Lockfile.load(dir, undefined, undefined, FILES);
    expect(again.names().sort()).toEqual(['nlp/pipeline.yaml:train', 'prepare']);
    expect(again.get('nlp/pipeline.yaml:train')).toEqual(entry);
    // A subproject moved elsewhere: the same lock, read next to its new place.
    fs.renameSync(path.join(dir, 'nlp'), path.join(dir, 'text'));
    const moved = Lockfile.load(dir, undefined, undefined, ['pipeline.yaml', 'text/pipeline.yaml']).get('text/pipeline.yaml:train');
    expect(moved?.outs[0]?.path).toBe('text/model.txt');
    expect(moved?.deps[0]?.path).toBe('data/shared.txt');
    expect(moved?.params).toEqual({ 'text/params.yaml': { lr: 0.1 } });
  });

  test('a path in a sub lock that leaves the repository is refused', () => {
    const dir = repoDir();
    fs.writeFileSync(path.join(dir, 'nlp/pipeline.lock'), `schema: '1'\nstages:\n  t:\n    cmd: x\n    outs:\n      - {path: ../../x, sha256: ${'a'.repeat(64)}, size: 1}\n`);
    expect(() => Lockfile.load(dir, undefined, undefined, FILES)).toThrow(/climbs out.*relative to nlp\//s);
  });

  test('the journal records stages by address and applies them to the right lock file', () => {
    const dir = repoDir();
    const journal = path.join(dir, '.mlp', 'tmp', LOCK_JOURNAL);
    const writer = Lockfile.load(dir, undefined, journal, FILES);
    writer.record('nlp/pipeline.yaml:train', entry);
    expect(fs.readFileSync(journal, 'utf8')).toContain('"stage":"nlp/pipeline.yaml:train"');
    // Another process (a status during the run) sees the stage through the journal.
    expect(Lockfile.load(dir, undefined, journal, FILES).get('nlp/pipeline.yaml:train')).toEqual(entry);
    writer.flush();
    expect(fs.existsSync(journal)).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'nlp/pipeline.lock'), 'utf8')).toContain('  train:\n');
  });
});
