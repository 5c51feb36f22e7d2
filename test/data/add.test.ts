/** addPaths (src/data/add.ts) on real temp repositories, without the CLI. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { addPaths } from '../../src/data/add.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import { git, read, writeFiles } from '../helpers/cli.js';
import { P, coreRepo, removeCoreRepos, reopen } from '../helpers/core-repo.js';
import { rejectedMlpError } from '../helpers/errors.js';

afterEach(removeCoreRepos);

describe('addPaths', () => {
  test('stores a file and a directory, writes their pointer files and git-ignores the data', async () => {
    const r = coreRepo();
    writeFiles(r.root, { 'data/labels.csv': 'a,b\n', 'data/images/1.bin': 'one', 'data/images/sub/2.bin': 'two' });
    const results = await addPaths(r.repo, [P('data/labels.csv'), P('data/images')]);
    expect(results.map((x) => [x.path, x.pointer])).toEqual([
      ['data/labels.csv', 'data/labels.csv.mlp'],
      ['data/images', 'data/images.mlp'],
    ]);
    const [file, dir] = results;
    expect(file?.info).toEqual({ hash: hashBytes('a,b\n'), size: 4 });
    expect(dir?.info).toMatchObject({ size: 6, nfiles: 2 });
    for (const hash of [hashBytes('a,b\n'), hashBytes('one'), hashBytes('two'), dir?.info.hash]) expect(r.repo.objects.has(hash as never)).toBe(true);
    expect(read(r.root, 'data/labels.csv.mlp')).toContain(`sha256: ${hashBytes('a,b\n')}`);
    expect(read(r.root, 'data/images.mlp')).toMatch(/path: images\n/);
    expect(read(r.root, 'data/.gitignore').split('\n')).toEqual(expect.arrayContaining(['/labels.csv', '/images']));
    // What the next command reads back is what was recorded.
    const pointers = reopen(r).pointers();
    expect(pointers.map((p) => [p.file, p.path, p.info])).toEqual([
      ['data/images.mlp', 'data/images', dir?.info],
      ['data/labels.csv.mlp', 'data/labels.csv', file?.info],
    ]);
    // git sees the pointer files, not the data.
    const untracked = git(r.root, 'status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean).map((l) => l.slice(3)).sort();
    expect(untracked).toEqual(['data/.gitignore', 'data/images.mlp', 'data/labels.csv.mlp']);
  });

  test('progress of one large file advances while it is read, not only when it is stored', async () => {
    const r = coreRepo();
    // Over SYNC_ADD_LIMIT (32 MiB): the file is copied and hashed in chunks.
    const size = 33 * 1024 * 1024;
    fs.writeFileSync(path.join(r.root, 'big.bin'), Buffer.alloc(size, 7));
    const reads: number[] = [];
    const events: string[] = [];
    await addPaths(r.repo, [P('big.bin')], {
      found: (files, bytes) => events.push(`found ${files} ${bytes}`),
      stored: (bytes) => events.push(`stored ${bytes}`),
      reading: (bytes) => reads.push(bytes),
    });
    expect(events).toEqual([`found 1 ${size}`, `stored ${size}`]);
    expect(reads.length).toBeGreaterThan(10);
    expect(reads.at(-1)).toBe(size);
    expect(reads.every((n, i) => i === 0 || n > (reads[i - 1] as number))).toBe(true);
  });

  test('adding again after a change records the new content; unchanged data keeps its hash', async () => {
    const r = coreRepo();
    writeFiles(r.root, { 'd/a.txt': 'v1', 'd/b.txt': 'same' });
    const [first] = await addPaths(r.repo, [P('d')]);
    const [again] = await addPaths(reopen(r), [P('d')]);
    expect(again?.info).toEqual(first?.info);
    writeFiles(r.root, { 'd/a.txt': 'v2' });
    const [changed] = await addPaths(reopen(r), [P('d')]);
    expect(changed?.info.hash).not.toBe(first?.info.hash);
    expect(r.repo.objects.has(hashBytes('v1'))).toBe(true);
    expect(r.repo.objects.has(hashBytes('v2'))).toBe(true);
    // One .gitignore line, however often it is added.
    expect(read(r.root, '.gitignore').split('\n').filter((l) => l === '/d')).toHaveLength(1);
  });

  test('an output of a stage is refused: pipeline.lock tracks it', async () => {
    const r = coreRepo({ 'pipeline.yaml': 'stages:\n  train:\n    cmd: echo\n    outs: [models]\n' });
    writeFiles(r.root, { 'models/m.bin': 'm' });
    for (const target of ['models', 'models/m.bin']) {
      const error = await rejectedMlpError(addPaths(reopen(r), [P(target)]));
      expect(error.message).toBe(`${target} overlaps output models of stage 'train'`);
      expect(error.hint).toContain('mlp commit');
    }
    expect(fs.existsSync(path.join(r.root, 'models.mlp'))).toBe(false);
  });

  test.each([
    ['a path that does not exist', (root: string) => void root, 'missing', 'missing does not exist'],
    ['a dangling symlink', (root: string) => fs.symlinkSync('nowhere', path.join(root, 'link')), 'link', 'link is a dangling symlink (to nowhere)'],
    ['a FIFO', (root: string) => execFileSync('mkfifo', [path.join(root, 'pipe')]), 'pipe', 'pipe is a FIFO (named pipe)'],
    ['a pointer file', (root: string) => writeFiles(root, { 'x.mlp': 'outs: []\n' }), 'x.mlp', 'cannot track x.mlp'],
  ])('%s is refused, and the valid paths before it are not added either', async (_name, make, target, message) => {
    const r = coreRepo();
    writeFiles(r.root, { 'good.txt': 'good' });
    make(r.root);
    const error = await rejectedMlpError(addPaths(r.repo, [P('good.txt'), P(target)]));
    expect(error.message).toContain(message);
    expect(fs.existsSync(path.join(r.root, 'good.txt.mlp'))).toBe(false);
    expect(r.repo.objects.has(hashBytes('good'))).toBe(false);
    expect(fs.existsSync(path.join(r.root, '.gitignore'))).toBe(false);
  });

  test('a path git already tracks is refused with the command that stops tracking it', async () => {
    const r = coreRepo({ 'data/committed.csv': 'x' });
    writeFiles(r.root, { 'data/new.csv': 'y' });
    const error = await rejectedMlpError(addPaths(r.repo, [P('data')]));
    expect(error.message).toBe('data is already tracked by git');
    expect(error.hint).toBe("stop tracking with git first: git rm -r --cached 'data'");
    expect(fs.existsSync(path.join(r.root, 'data.mlp'))).toBe(false);
  });

  test('works without git: the pointer is written and found by walking the tree', async () => {
    const r = coreRepo({}, false);
    writeFiles(r.root, { 'sub/f.txt': 'no git' });
    await addPaths(r.repo, [P('sub/f.txt')]);
    expect(reopen(r).pointers().map((p) => p.path)).toEqual(['sub/f.txt']);
  });
});
