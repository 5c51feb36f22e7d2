/** src/util/fs.ts on real temp directories. */
import fs from 'node:fs';
import path from 'node:path';
import { fileSystemError } from '../../src/errors.js';
import { danglingSymlinkTarget, isSameOrInside, removePath, writeDirectoryAtomically, writeFileAtomic } from '../../src/util/fs.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('mlp-utilfs-');
  dirs.push(d);
  return d;
}

describe('writeFileAtomic', () => {
  test('creates parent directories, replaces the file whole, and leaves no temp file', () => {
    const d = dir();
    const file = path.join(d, 'a/b/c.txt');
    writeFileAtomic(file, 'first');
    const ino = fs.statSync(file).ino;
    writeFileAtomic(file, 'second');
    expect(fs.readFileSync(file, 'utf8')).toBe('second');
    expect(fs.statSync(file).ino).not.toBe(ino); // renamed into place, not rewritten
    expect(fs.readdirSync(path.dirname(file))).toEqual(['c.txt']);
  });

  test('with a mode, the file has it from the start', () => {
    const file = path.join(dir(), 'secret.yaml');
    writeFileAtomic(file, 'token: x', 0o600);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('a failure names the file, not its temp name, and leaves nothing behind', () => {
    const d = dir();
    fs.mkdirSync(path.join(d, 'taken'));
    const target = path.join(d, 'taken'); // a directory: the rename fails
    let error: unknown;
    try {
      writeFileAtomic(target, 'x');
    } catch (e) {
      error = e;
    }
    // What the user sees (the CLI renders errno errors through fileSystemError).
    const shown = fileSystemError(error)?.message ?? '';
    expect(shown).toContain(target);
    expect(shown).not.toContain('.tmp');
    expect(fs.readdirSync(d)).toEqual(['taken']);
  });
});

describe('paths', () => {
  test.each([
    ['data', 'data', true],
    ['data/x.csv', 'data', true],
    ['data/x.csv', 'data/', true],
    ['anything', '.', true],
    ['database', 'data', false],
    ['data', 'data/x.csv', false],
  ])('isSameOrInside(%s, %s) is %s', (child, parent, expected) => {
    expect(isSameOrInside(child, parent)).toBe(expected);
  });

  test('danglingSymlinkTarget: the target of a link to nothing; undefined for a good link or a file', () => {
    const d = dir();
    writeFiles(d, { 'real.txt': 'x' });
    fs.symlinkSync('nowhere', path.join(d, 'dangling'));
    fs.symlinkSync('real.txt', path.join(d, 'good'));
    expect(danglingSymlinkTarget(path.join(d, 'dangling'))).toBe('nowhere');
    expect(danglingSymlinkTarget(path.join(d, 'good'))).toBeUndefined();
    expect(danglingSymlinkTarget(path.join(d, 'real.txt'))).toBeUndefined();
    expect(danglingSymlinkTarget(path.join(d, 'missing'))).toBeUndefined();
  });

  test('removePath removes trees with read-only files, and a missing path quietly', () => {
    const d = dir();
    writeFiles(d, { 'tree/a/b.txt': 'b' });
    fs.chmodSync(path.join(d, 'tree/a/b.txt'), 0o444);
    removePath(path.join(d, 'tree'));
    removePath(path.join(d, 'never'));
    expect(fs.readdirSync(d)).toEqual([]);
  });
});

describe('writeDirectoryAtomically', () => {
  test('replaces the directory only once the new one is complete', async () => {
    const d = dir();
    const out = path.join(d, 'out');
    writeFiles(out, { 'old.txt': 'old' });
    const files = await writeDirectoryAtomically(out, async (tmp) => {
      expect(fs.readFileSync(path.join(out, 'old.txt'), 'utf8')).toBe('old'); // still there meanwhile
      fs.writeFileSync(path.join(tmp, 'b.txt'), 'b');
      fs.writeFileSync(path.join(tmp, 'a.txt'), 'a');
    });
    expect(files).toEqual([path.join(out, 'a.txt'), path.join(out, 'b.txt')]);
    expect(fs.readdirSync(out).sort()).toEqual(['a.txt', 'b.txt']);
    expect(fs.readdirSync(d)).toEqual(['out']);
  });

  test('a failed build keeps the previous directory and removes the half-built one', async () => {
    const d = dir();
    const out = path.join(d, 'out');
    writeFiles(out, { 'old.txt': 'old' });
    await expect(
      writeDirectoryAtomically(out, async (tmp) => {
        fs.writeFileSync(path.join(tmp, 'half.txt'), 'half');
        throw new Error('build failed');
      }),
    ).rejects.toThrow('build failed');
    expect(fs.readdirSync(out)).toEqual(['old.txt']);
    expect(fs.readdirSync(d)).toEqual(['out']);
  });
});
