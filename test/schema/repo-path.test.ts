import fs from 'node:fs';
import path from 'node:path';
import {
  InvalidPathError,
  PathEscapeError,
  SymlinkGuard,
  checkedInside,
  isEntryPath,
  isRepoPath,
  joinEntry,
  joinInside,
  normalizeRepoPath,
  repoPathProblem,
  toRepoPath,
  type EntryPath,
} from '../../src/schema/repo-path.js';
import { tempDir } from '../helpers/cli.js';

describe('RepoPath', () => {
  test.each(['a', 'data/raw/x.csv', 'a.mlp', '.gitignore', '.github/workflows/ci.yml', 'sub/.git-keep', 'x/.mlp', 'with space/é'])('%s is a repository path', (value) => {
    expect(isRepoPath(value)).toBe(true);
    expect(toRepoPath(value)).toBe(value);
  });

  test.each([
    ['', 'is empty'],
    ['.', 'is the repository root itself'],
    ['..', "climbs out with '..'"],
    ['../victim', "climbs out with '..'"],
    ['a/../../x', "climbs out with '..'"],
    ['a/../b', "climbs out with '..'"],
    ['/etc/passwd', 'is absolute'],
    ['a//b', "is not normalised (write it as 'a/b')"],
    ['./a', "is not normalised (write it as 'a')"],
    ['a/', "is not normalised (write it as 'a')"],
    ['a\0b', 'contains a NUL byte'],
    ['.git', 'is inside .git/'],
    ['.git/hooks/post-checkout', 'is inside .git/'],
    ['.mlp/cache/x', 'is inside .mlp/'],
  ])('%j is refused: %s', (value, problem) => {
    expect(isRepoPath(value)).toBe(false);
    expect(repoPathProblem(value)).toContain(problem);
    expect(() => toRepoPath(value)).toThrow(InvalidPathError);
  });

  test('values that are not strings are refused', () => {
    for (const value of [undefined, null, 3, ['a'], { path: 'a' }]) expect(isRepoPath(value)).toBe(false);
  });

  test('normalizeRepoPath resolves what users write, but not a way out', () => {
    expect(normalizeRepoPath('data/./x/')).toEqual({ path: 'data/x' });
    expect(normalizeRepoPath('a/../b')).toEqual({ path: 'b' });
    expect(normalizeRepoPath('a/../../b')).toEqual({ problem: 'is outside the repository' });
    expect(normalizeRepoPath('/abs')).toEqual({ problem: expect.stringContaining('is absolute') });
    expect(normalizeRepoPath('a/..')).toEqual({ problem: 'is the repository root itself' });
    expect(normalizeRepoPath('.mlp/../.git/x')).toEqual({ problem: expect.stringContaining('.git') });
  });

  test('manifest entry paths may start with .git or .mlp (data inside a tracked directory), nothing else changes', () => {
    expect(isEntryPath('.git/config')).toBe(true);
    expect(isEntryPath('../x')).toBe(false);
    expect(isEntryPath('/x')).toBe(false);
    expect(joinEntry(toRepoPath('data'), '.git/config' as EntryPath)).toBe('data/.git/config');
  });
});

describe('symlinks at the point of use', () => {
  let base: string;
  let root: string;
  beforeEach(() => {
    base = tempDir('mlp-symlink-');
    root = path.join(base, 'repo');
    fs.mkdirSync(path.join(root, 'real/sub'), { recursive: true });
    fs.mkdirSync(path.join(base, 'outside'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const guard = (): SymlinkGuard => new SymlinkGuard(root);

  test('plain paths, missing paths and symlinks that stay inside are fine', () => {
    fs.symlinkSync('real', path.join(root, 'inside-link'));
    fs.symlinkSync(path.join(root, 'real/sub'), path.join(root, 'abs-inside-link'));
    fs.symlinkSync('../real/new-file', path.join(root, 'real/sub/dangling-inside'));
    fs.writeFileSync(path.join(root, 'real/file'), 'x');
    for (const p of ['real/sub/x', 'missing/deeper/x', 'real/file/below', 'inside-link/sub/x', 'abs-inside-link/x', 'real/sub/dangling-inside']) {
      expect(() => guard().check(toRepoPath(p))).not.toThrow();
    }
    expect(checkedInside(root, toRepoPath('inside-link/x'))).toBe(path.join(root, 'inside-link/x'));
    expect(joinInside(root, toRepoPath('a/b'))).toBe(path.join(root, 'a/b'));
  });

  test('a symlinked directory that leads outside is refused, naming the link and its target', () => {
    fs.symlinkSync('../outside', path.join(root, 'ext'));
    expect(() => guard().check(toRepoPath('ext/out.txt'))).toThrow(PathEscapeError);
    expect(() => guard().check(toRepoPath('ext/out.txt'))).toThrow(`ext/out.txt: ext is a symlink to ${fs.realpathSync(path.join(base, 'outside'))}, outside the repository`);
    expect(() => checkedInside(root, toRepoPath('ext'))).toThrow(PathEscapeError);
  });

  test('a deeper symlink, a chain through an inside link, and the root itself as a link target are judged by where they end', () => {
    fs.symlinkSync('../../../outside', path.join(root, 'real/sub/out'));
    expect(() => guard().check(toRepoPath('real/sub/out/x'))).toThrow(PathEscapeError);
    fs.symlinkSync('real/sub/out', path.join(root, 'chain'));
    expect(() => guard().check(toRepoPath('chain/x'))).toThrow(PathEscapeError);
    fs.symlinkSync('..', path.join(root, 'real/up'));
    expect(() => guard().check(toRepoPath('real/up/real/x'))).not.toThrow(); // back at the root: inside
    fs.symlinkSync('../..', path.join(root, 'real/up2'));
    expect(() => guard().check(toRepoPath('real/up2/outside/x'))).toThrow(PathEscapeError);
  });

  test('a dangling symlink that points outside is refused (a write would create its target)', () => {
    fs.symlinkSync('../outside/new.txt', path.join(root, 'out.txt'));
    expect(() => guard().check(toRepoPath('out.txt'))).toThrow('out.txt is a symlink to');
    expect(fs.existsSync(path.join(base, 'outside/new.txt'))).toBe(false);
  });

  test('a symlink loop is refused', () => {
    fs.symlinkSync('loop2', path.join(root, 'loop1'));
    fs.symlinkSync('loop1', path.join(root, 'loop2'));
    expect(() => guard().check(toRepoPath('loop1/x'))).toThrow('symlink loop');
  });

  test('a repository reached through a symlinked path is checked against its real location', () => {
    const alias = path.join(base, 'alias');
    fs.symlinkSync(root, alias);
    fs.symlinkSync('real', path.join(root, 'inside-link'));
    fs.symlinkSync('../outside', path.join(root, 'ext'));
    expect(() => new SymlinkGuard(alias).check(toRepoPath('inside-link/x'))).not.toThrow();
    expect(() => new SymlinkGuard(alias).check(toRepoPath('ext/x'))).toThrow(PathEscapeError);
  });
});
