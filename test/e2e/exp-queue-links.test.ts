/**
 * A queued job's worktree gets its outputs linked from the shared cache, not copied, and a job
 * cannot leave a damaged object behind (through the built CLI, `exp run --temp`: the queue's job
 * in the foreground).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, read, runMlp } from '../helpers/cli.js';

// `prep` writes data/prep.txt; `train` reports how its input reached it (inode, links, mode) and,
// with lr = 0.9, writes into it in place (what a careless script might do to an input).
const PROJECT = {
  'prep.js': "require('fs').mkdirSync('data', { recursive: true });\nrequire('fs').writeFileSync('data/prep.txt', 'prepared rows\\n'.repeat(1000));\n",
  'train.js': `const fs = require('fs');
const lr = Number(/lr: ([^ #\\n]+)/.exec(fs.readFileSync('params.yaml', 'utf8'))[1]);
const st = fs.statSync('data/prep.txt');
fs.writeFileSync('info.json', JSON.stringify({ ino: st.ino, nlink: st.nlink, mode: st.mode & 0o777 }) + '\\n');
if (lr === 0.9) {
  try { fs.chmodSync('data/prep.txt', 0o644); } catch {}
  fs.appendFileSync('data/prep.txt', 'tampered\\n');
}
fs.writeFileSync('model.txt', 'lr=' + lr + '\\n');
`,
  'params.yaml': 'train:\n  lr: 0.1\n',
  'pipeline.yaml':
    'stages:\n  prep:\n    cmd: node prep.js\n    deps: [prep.js]\n    outs: [data/prep.txt]\n  train:\n    cmd: node train.js\n    deps: [train.js, data/prep.txt]\n    params: [train]\n    outs: [model.txt]\n    metrics: [{info.json: {cache: false}}]\n',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const objectPath = (dir: string, hash: string): string => path.join(dir, '.mlp/cache/files/sha256', hash.slice(0, 2), hash.slice(2));

/** Every object in the cache holds what its name says. */
function corruptObjects(dir: string): string[] {
  const root = path.join(dir, '.mlp/cache/files/sha256');
  const bad: string[] = [];
  for (const shard of fs.readdirSync(root)) {
    for (const rest of fs.readdirSync(path.join(root, shard))) {
      if (sha256(fs.readFileSync(path.join(root, shard, rest))) !== shard + rest) bad.push(shard + rest);
    }
  }
  return bad;
}

describe('queue jobs and the shared cache', () => {
  test('a job\'s outputs are read-only hardlinks of the cache objects; a job writing into one fails and leaves no damaged object', () => {
    const dir = makeRepo(PROJECT);
    dirs.push(dir);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'baseline');
    const prepHash = sha256(read(dir, 'data/prep.txt'));
    const object = fs.statSync(objectPath(dir, prepHash));

    const run = runMlp(dir, ['exp', 'run', '--temp', '-S', 'train.lr=0.2', '-n', 'linked']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('restored data/prep.txt');
    // The experiment's info.json says how data/prep.txt looked inside the job's worktree.
    const info = JSON.parse(git(dir, 'show', 'refs/exps/' + git(dir, 'rev-parse', 'HEAD').trim().replace(/^(..)/, '$1/') + '/linked:info.json')) as { ino: number; nlink: number; mode: number };
    expect(info.ino).toBe(object.ino);
    expect(info.nlink).toBeGreaterThanOrEqual(2);
    expect(info.mode & 0o222).toBe(0);
    expect(corruptObjects(dir)).toEqual([]);
    // The user's workspace file is the default cache.type's private copy, untouched.
    expect(fs.statSync(path.join(dir, 'data/prep.txt')).ino).not.toBe(object.ino);

    const tamper = runMlp(dir, ['exp', 'run', '--temp', '-S', 'train.lr=0.9', '-n', 'tamper']);
    expect(tamper.code).not.toBe(0);
    expect(tamper.stderr).toContain("error: experiment 'tamper' failed: not saved");
    if (process.getuid?.() === 0) {
      // Root ignores the read-only bit: the write went through, was found, and the object is gone.
      expect(tamper.stdout).toContain('error: the job wrote into a cache object through a hardlink (data/prep.txt): it was removed from the cache');
      expect(fs.existsSync(objectPath(dir, prepHash))).toBe(false);
    } else {
      expect(tamper.stdout).toContain('EACCES');
      expect(fs.existsSync(objectPath(dir, prepHash))).toBe(true);
    }
    expect(corruptObjects(dir)).toEqual([]);
    expect(read(dir, 'data/prep.txt')).toBe('prepared rows\n'.repeat(1000));
    expect(git(dir, 'status', '--porcelain')).toBe('');
  }, 90_000);
});
