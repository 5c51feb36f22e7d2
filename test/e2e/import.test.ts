/**
 * `mlp get`, `mlp import`, `mlp update` and `mlp list <url>` (DVC's commands of the same names):
 * data of another mlp repository, by local path or file:// URL and a local remote (no network),
 * through the built CLI; with the safety rules of a source that cannot be trusted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commitFiles, git, makeRepo, read, runMlp, tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function track<T extends string>(dir: T): T {
  dirs.push(dir);
  return dir;
}

/** A source repository: `data/file.csv` and `data/images/` added, `model.txt` a stage output, README in git. */
function source(): string {
  const src = track(makeRepo({ 'README.md': 'source\n', 'pipeline.yaml': 'stages:\n  train:\n    cmd: echo model > model.txt\n    outs: [model.txt]\n' }));
  writeFiles(src, { 'data/file.csv': 'a,b\n1,2\n', 'data/images/x.bin': 'X', 'data/images/sub/y.bin': 'YY' });
  expect(runMlp(src, ['add', 'data/file.csv', 'data/images']).code).toBe(0);
  expect(runMlp(src, ['repro']).code).toBe(0);
  git(src, 'add', '-A');
  git(src, 'commit', '-qm', 'data');
  return src;
}

function head(dir: string): string {
  return git(dir, 'rev-parse', 'HEAD').trim();
}

/** mlp with its own temp directory, to see that every clone is removed. */
function mlp(dir: string, tmp: string, args: string[]) {
  return runMlp(dir, args, { TMPDIR: tmp });
}

describe('mlp get / import / update', () => {
  test('get copies the data (not tracked here); import tracks it with its source; update follows the source', () => {
    const src = source();
    const dest = track(makeRepo());
    const tmp = track(tempDir('mlp-tmp-'));

    const got = mlp(dest, tmp, ['get', src, 'data/file.csv']);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(got.stdout).toBe(`Got data/file.csv of ${src} (${head(src).slice(0, 12)}) -> file.csv\n`);
    expect(read(dest, 'file.csv')).toBe('a,b\n1,2\n');
    expect(fs.existsSync(path.join(dest, 'file.csv.mlp'))).toBe(false);
    // Not tracked: a checkout leaves it alone.
    expect(mlp(dest, tmp, ['checkout']).code).toBe(0);
    expect(read(dest, 'file.csv')).toBe('a,b\n1,2\n');

    const url = `file://${src}`;
    const imported = mlp(dest, tmp, ['import', url, 'data/images', '-o', 'in/images']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(`Imported data/images of ${url} (${head(src).slice(0, 12)}) -> in/images (in/images.mlp)\nTo track the changes with git, run:\n    git add in/images.mlp in/.gitignore\n`);
    expect(read(dest, 'in/images/sub/y.bin')).toBe('YY');
    expect(read(dest, 'in/.gitignore')).toBe('/images\n');
    const pointer = read(dest, 'in/images.mlp');
    expect(pointer).toContain(`deps:\n  - path: data/images\n    repo:\n      url: ${url}\n      rev_lock: ${head(src)}\n`);
    expect(pointer).toContain('frozen: true');
    expect(pointer).toMatch(/outs:\n  - path: images\n    sha256: [0-9a-f]{64}\n    size: 3\n    nfiles: 2\n/);

    // A stage output of the source, followed as it changes.
    expect(mlp(dest, tmp, ['import', src, 'model.txt']).code).toBe(0);
    expect(read(dest, 'model.txt')).toBe('model\n');
    expect(mlp(dest, tmp, ['update', 'model.txt.mlp']).stdout).toBe(`model.txt is up to date (model.txt of ${src} (${head(src).slice(0, 12)}))\n`);
    commitFiles(src, { 'pipeline.yaml': 'stages:\n  train:\n    cmd: echo model v2 > model.txt\n    outs: [model.txt]\n' });
    expect(runMlp(src, ['repro']).code).toBe(0);
    git(src, 'commit', '-qam', 'v2');
    const updated = mlp(dest, tmp, ['update', 'model.txt']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toBe(`Updated model.txt from model.txt of ${src} (${head(src).slice(0, 12)})\n`);
    expect(read(dest, 'model.txt')).toBe('model v2\n');
    expect(read(dest, 'model.txt.mlp')).toContain(`rev_lock: ${head(src)}`);
    expect(mlp(dest, tmp, ['status']).stdout).not.toContain('model.txt');
    expect(fs.readdirSync(tmp)).toEqual([]); // every temp clone removed
  });

  test('--rev: a tag (followed by update) or a commit id', () => {
    const src = source();
    const first = head(src);
    git(src, 'tag', 'v1');
    fs.writeFileSync(path.join(src, 'data/file.csv'), 'changed\n');
    runMlp(src, ['add', 'data/file.csv']);
    git(src, 'commit', '-qam', 'v2');
    const dest = track(makeRepo());
    const tmp = track(tempDir('mlp-tmp-'));

    expect(mlp(dest, tmp, ['import', src, 'data/file.csv', '--rev', 'v1']).code).toBe(0);
    expect(read(dest, 'file.csv')).toBe('a,b\n1,2\n');
    expect(read(dest, 'file.csv.mlp')).toContain(`      rev: v1\n      rev_lock: ${first}\n`);
    expect(mlp(dest, tmp, ['update', 'file.csv.mlp']).stdout).toContain('is up to date');
    const moved = mlp(dest, tmp, ['update', 'file.csv.mlp', '--rev', 'main']);
    expect(moved.stdout).toContain('Updated file.csv');
    expect(read(dest, 'file.csv')).toBe('changed\n');

    expect(mlp(dest, tmp, ['get', src, 'data/file.csv', '--rev', first, '-o', 'old.csv']).code).toBe(0);
    expect(read(dest, 'old.csv')).toBe('a,b\n1,2\n');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  test('a relative path to the source is recorded relative to the repository root, so update works from anywhere', () => {
    const src = source();
    const dest = track(makeRepo());
    fs.mkdirSync(path.join(dest, 'sub'));
    const sub = path.join(dest, 'sub');
    expect(runMlp(sub, ['import', path.relative(sub, src), 'data/file.csv']).code).toBe(0);
    expect(read(dest, 'sub/file.csv.mlp')).toContain(`url: ${path.relative(dest, src)}\n`);
    fs.writeFileSync(path.join(src, 'data/file.csv'), 'new\n');
    runMlp(src, ['add', 'data/file.csv']);
    git(src, 'commit', '-qam', 'new');
    expect(runMlp(dest, ['update', 'sub/file.csv']).code).toBe(0);
    expect(read(dest, 'sub/file.csv')).toBe('new\n');
  });

  test("the objects come from the source's default remote when its cache is not here", () => {
    const src = source();
    const remote = track(tempDir('mlp-src-remote-'));
    runMlp(src, ['remote', 'add', '-d', 'origin', remote]);
    git(src, 'commit', '-qam', 'remote');
    expect(runMlp(src, ['push']).code).toBe(0);
    fs.rmSync(path.join(src, '.mlp/cache'), { recursive: true });
    const dest = track(makeRepo());
    const result = runMlp(dest, ['import', src, 'data/images']);
    expect(result.code).toBe(0);
    expect(read(dest, 'images/x.bin')).toBe('X');
  });

  test('list <url> [path]: the other repository at a revision', () => {
    const src = source();
    const dest = track(makeRepo());
    const all = runMlp(dest, ['ls', `file://${src}`]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^\.gitignore +git\n/);
    expect(all.stdout).toMatch(/\ndata\/ +git\n/);
    expect(all.stdout).toMatch(/\nmodel\.txt +mlp {2}6 B {2}\(train\)\n/);
    const data = runMlp(dest, ['ls', src, 'data', '--mlp-only', '--json']);
    expect(JSON.parse(data.stdout)).toEqual([
      { path: 'data/file.csv', type: 'file', tracked: 'mlp', source: 'data/file.csv.mlp', size: 8 },
      { path: 'data/images', type: 'dir', tracked: 'mlp', source: 'data/images.mlp', size: 3 },
    ]);
    // Without a URL, the local repository as before.
    expect(runMlp(dest, ['ls']).stdout).not.toContain('model.txt');
  });

  test('get works outside any repository (as dvc get does), and never replaces what is there', () => {
    const src = source();
    const here = track(tempDir('mlp-get-here-'));
    const tmp = track(tempDir('mlp-tmp-'));
    const got = mlp(here, tmp, ['get', src, 'data/images']);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^Got data\/images of .* -> images\n$/);
    expect(read(here, 'images/sub/y.bin')).toBe('YY');
    expect(mlp(here, tmp, ['get', src, 'data/file.csv', '-o', 'sub/f.csv']).code).toBe(0);
    expect(read(here, 'sub/f.csv')).toBe('a,b\n1,2\n');
    expect(fs.readdirSync(here).sort()).toEqual(['images', 'sub']); // no .mlp/ left here
    fs.writeFileSync(path.join(here, 'file.csv'), 'mine\n');
    const again = mlp(here, tmp, ['get', src, 'data/file.csv']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('file.csv already exists: mlp get does not replace it');
    expect(read(here, 'file.csv')).toBe('mine\n');
    expect(fs.readdirSync(tmp)).toEqual([]); // the clone and the temporary cache are gone
  });

  test('errors: a path the source does not track, one inside a tracked directory, a git file, an option-like revision', () => {
    const src = source();
    const dest = track(makeRepo());
    const tmp = track(tempDir('mlp-tmp-'));
    const none = mlp(dest, tmp, ['import', src, 'data/nothing']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`error: ${src} tracks nothing at data/nothing`);
    const inside = mlp(dest, tmp, ['get', src, 'data/images/x.bin']);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('data/images/x.bin is inside data/images');
    expect(mlp(dest, tmp, ['get', src, 'README.md']).stderr).toContain('README.md is tracked by git in');
    const option = mlp(dest, tmp, ['get', src, 'data/file.csv', '--rev=--upload-pack=touch /tmp/x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('invalid revision');
    const outside = mlp(dest, tmp, ['get', src, '../etc/passwd']);
    expect(outside.code).toBe(2);
    expect(mlp(dest, tmp, ['import', '/nonexistent/repo', 'x']).stderr).toContain('could not clone /nonexistent/repo');
    expect(fs.readdirSync(tmp)).toEqual([]); // removed after every failure too
  });

  test('fault: a pointer of the source that leads outside its root is a located error; nothing is written', () => {
    const src = source();
    commitFiles(src, { 'evil.mlp': `outs:\n  - path: ../../../outside.txt\n    sha256: ${'a'.repeat(64)}\n    size: 1\n` });
    const dest = track(makeRepo());
    const tmp = track(tempDir('mlp-tmp-'));
    const result = mlp(dest, tmp, ['import', src, 'data/file.csv']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/evil\.mlp:2:\d+/);
    expect(result.stderr).toContain('outside');
    expect(fs.existsSync(path.join(dest, 'file.csv'))).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  test('fault: a source object whose bytes do not match its hash is refused; nothing is placed or cached', () => {
    const src = source();
    const hash = /sha256: ([0-9a-f]{64})/.exec(read(src, 'data/file.csv.mlp'))?.[1] as string;
    const object = path.join(src, '.mlp/cache/files/sha256', hash.slice(0, 2), hash.slice(2));
    fs.chmodSync(object, 0o644);
    fs.writeFileSync(object, 'tampered');
    const dest = track(makeRepo());
    const result = runMlp(dest, ['import', src, 'data/file.csv']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is corrupted');
    expect(fs.existsSync(path.join(dest, 'file.csv'))).toBe(false);
    expect(fs.existsSync(path.join(dest, 'file.csv.mlp'))).toBe(false);
    expect(fs.existsSync(path.join(dest, '.mlp/cache/files/sha256', hash.slice(0, 2), hash.slice(2)))).toBe(false);
  });

  test('fault: the destination holds unsaved work: import keeps it (exit 6)', () => {
    const src = source();
    const dest = track(makeRepo({}, { 'file.csv': 'my own work\n' }));
    const result = runMlp(dest, ['import', src, 'data/file.csv']);
    expect(result.code).toBe(6);
    expect(read(dest, 'file.csv')).toBe('my own work\n');
    expect(fs.existsSync(path.join(dest, 'file.csv.mlp'))).toBe(false);
  });
});
