/** Repo (src/repo/repo.ts): finding and initialising a repository, user paths, pointers, the lock and close(). */
import fs from 'node:fs';
import path from 'node:path';
import { Repo } from '../../src/repo/repo.js';
import { tempDir, writeFiles } from '../helpers/cli.js';
import { coreRepo, removeCoreRepos, reopen } from '../helpers/core-repo.js';
import { thrownMlpError } from '../helpers/errors.js';

afterEach(removeCoreRepos);

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('Repo.init and Repo.find', () => {
  test('init creates .mlp with a config and a .gitignore; a second init keeps what is there', () => {
    const dir = tempDir('mlp-repo-');
    made.push(dir);
    const first = Repo.init(dir);
    expect(first.created).toBe(true);
    expect(first.repo.root).toBe(dir);
    expect(fs.readFileSync(path.join(dir, '.mlp/.gitignore'), 'utf8').split('\n')).toEqual(['/cache', '/tmp', '/config.local.yaml', '']);
    expect(first.repo.config.cache?.type).toEqual(['reflink', 'copy']);
    fs.writeFileSync(path.join(dir, '.mlp/config.yaml'), 'core:\n  jobs: 3\n');
    const second = Repo.init(dir);
    expect(second.created).toBe(false);
    expect(fs.readFileSync(path.join(dir, '.mlp/config.yaml'), 'utf8')).toBe('core:\n  jobs: 3\n');
  });

  test('find goes up from a subdirectory to the nearest .mlp', () => {
    const r = coreRepo();
    fs.mkdirSync(path.join(r.root, 'a/b'), { recursive: true });
    expect(Repo.find(path.join(r.root, 'a/b')).root).toBe(r.root);
    expect(Repo.find(r.root).root).toBe(r.root);
  });

  test('find outside any repository says to run mlp init', () => {
    const dir = tempDir('mlp-norepo-');
    made.push(dir);
    const error = thrownMlpError(() => Repo.find(dir));
    expect(error.message).toContain(`no .mlp/ directory in ${dir} or above`);
    expect(error.hint).toContain('mlp init');
  });
});

describe('relative paths', () => {
  test('a user path becomes a normalised repository path, from any working directory', () => {
    const { repo, root } = coreRepo();
    expect(repo.relative('data/./x.csv', root)).toBe('data/x.csv');
    expect(repo.relative('../x.csv', path.join(root, 'data'))).toBe('x.csv');
    expect(repo.relative(path.join(root, 'models', 'm.bin'), '/')).toBe('models/m.bin');
    expect(repo.relativeOrRoot('.', root)).toBe('.');
    expect(repo.relativeOrRoot('data/..', root)).toBe('.');
  });

  test.each([
    ['the root itself', '.', 'is the repository root itself'],
    ['a path outside', '../elsewhere', 'is outside the repository'],
    ['an absolute path outside', '/etc/passwd', 'is outside the repository'],
    ['a path inside .git', '.git/config', '.git'],
    ['a path inside .mlp', '.mlp/cache/x', '.mlp'],
  ])('%s is a usage error (exit 2)', (_name, userPath, message) => {
    const { repo, root } = coreRepo({}, false);
    const error = thrownMlpError(() => repo.relative(userPath, root));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(message);
  });
});

describe('pointers', () => {
  test('lists pointer files git knows of (committed or not, not ignored) that exist', () => {
    const r = coreRepo({ 'committed.mlp': pointerText('committed'), 'gone.mlp': pointerText('gone'), '.gitignore': 'ignored/\n' });
    fs.rmSync(path.join(r.root, 'gone.mlp'));
    writeFiles(r.root, { 'sub/new.mlp': pointerText('new'), 'ignored/hidden.mlp': pointerText('hidden'), 'not-a-pointer.txt': '' });
    expect(r.repo.pointers().map((p) => [p.file, p.path])).toEqual([
      ['committed.mlp', 'committed'],
      ['sub/new.mlp', 'sub/new'],
    ]);
  });

  test('without git, walks the tree, skipping .git, .mlp and node_modules', () => {
    const r = coreRepo({}, false);
    writeFiles(r.root, {
      'a.mlp': pointerText('a'),
      'deep/er/b.mlp': pointerText('b'),
      'node_modules/pkg/c.mlp': pointerText('c'),
      '.mlp/d.mlp': pointerText('d'),
    });
    expect(r.repo.pointers().map((p) => p.path)).toEqual(['a', 'deep/er/b']);
  });

  test('an invalid pointer file is a located error (exit 3)', () => {
    const r = coreRepo({}, false);
    writeFiles(r.root, { 'bad.mlp': 'outs:\n- path: ../escape\n  sha256: abc\n  size: 1\n' });
    const error = thrownMlpError(() => r.repo.pointers());
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/bad\.mlp:\d+:\d+/);
  });
});

describe('the repository lock', () => {
  test('a second Repo cannot take the lock while the first holds it; close() releases it', () => {
    const r = coreRepo();
    const lockFile = path.join(r.root, '.mlp/tmp/lock');
    r.repo.acquireLock('mlp repro', () => undefined);
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, command: 'mlp repro' });
    expect(r.repo.stageGroups?.env.MLP_RUN_ID).toMatch(/^[0-9a-f]{16}$/);
    const other = new Repo(r.root);
    const error = thrownMlpError(() => other.acquireLock('mlp gc', () => undefined));
    expect(error.exitCode).toBe(5);
    expect(error.message).toContain('`mlp repro`');
    r.repo.close();
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(r.repo.stageGroups).toBeUndefined();
    other.acquireLock('mlp gc', () => undefined);
    other.close();
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  test('close() without the lock leaves the journal of a repro still running alone; the writer folds it', () => {
    const r = coreRepo({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo\n    outs: [o]\n' });
    const journal = path.join(r.root, '.mlp/tmp/pipeline.lock.journal');
    const lockFile = path.join(r.root, 'pipeline.lock');
    const writer = new Repo(r.root);
    writer.lock.record('s', { cmd: ['echo'], deps: [], params: {}, outs: [] });
    expect(fs.existsSync(journal)).toBe(true);
    const reader = new Repo(r.root);
    expect(reader.lock.get('s')).toBeDefined(); // a reader sees the finished stage…
    reader.close(); // …and leaves the files to the writer
    expect(fs.existsSync(journal)).toBe(true);
    expect(fs.existsSync(lockFile)).toBe(false);
    writer.close();
    expect(fs.existsSync(journal)).toBe(false);
    expect(fs.readFileSync(lockFile, 'utf8')).toMatch(/^stages:\n  s:\n/m);
  });

  test('close() saves the hash state, so the next Repo does not rehash unchanged files', () => {
    const r = coreRepo();
    writeFiles(r.root, { 'f.txt': 'content' });
    const hash = r.repo.hasher.hash('f.txt' as never)?.hash;
    const next = reopen(r);
    expect(next.hashState.get('f.txt', fs.statSync(path.join(r.root, 'f.txt')))).toBe(hash);
  });
});

function pointerText(name: string): string {
  return `outs:\n- path: ${path.posix.basename(name)}\n  sha256: ${'a'.repeat(64)}\n  size: 1\n`;
}
