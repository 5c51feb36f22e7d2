/**
 * DVC commands and their semantics (issue 11, "Commands DVC users reach for"): `checkout` after
 * a branch switch removes the data only the other branch tracks, `checkout --relink`, through
 * the built CLI in temporary git repositories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commitFiles, git, makeRepo, read, runMlp, tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string> = {}, untracked: Record<string, string> = {}): string {
  const dir = makeRepo(files, untracked);
  dirs.push(dir);
  return dir;
}

function exists(dir: string, file: string): boolean {
  return fs.existsSync(path.join(dir, file));
}

/** A repository whose branch `feature` tracks `data/feature.csv` (mlp add) and `out.txt` (a stage output); main tracks neither. */
function featureRepo(): string {
  const dir = repo({ 'keep.txt': 'in git\n' });
  git(dir, 'checkout', '-qb', 'feature');
  writeFiles(dir, { 'data/feature.csv': 'a,b\n', 'pipeline.yaml': 'stages:\n  s:\n    cmd: echo out > out.txt\n    outs: [out.txt]\n' });
  expect(runMlp(dir, ['add', 'data/feature.csv']).code).toBe(0);
  expect(runMlp(dir, ['repro']).code).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'feature data');
  return dir;
}

describe('checkout after a branch switch', () => {
  test('removes the data only the branch that was left tracks, and restores it on the way back', () => {
    const dir = featureRepo();
    git(dir, 'checkout', '-q', 'main');
    expect(exists(dir, 'data/feature.csv')).toBe(true); // git leaves ignored files alone

    const result = runMlp(dir, ['checkout']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('removed data/feature.csv\nremoved out.txt\n0 restored, 0 unchanged, 0 not available, 2 removed (no longer tracked).\n');
    expect(exists(dir, 'data/feature.csv')).toBe(false);
    expect(exists(dir, 'out.txt')).toBe(false);
    expect(read(dir, 'keep.txt')).toBe('in git\n');

    git(dir, 'checkout', '-q', 'feature');
    expect(runMlp(dir, ['checkout']).stdout).toContain('2 restored');
    expect(read(dir, 'data/feature.csv')).toBe('a,b\n');
    expect(read(dir, 'out.txt')).toBe('out\n');
    // Nothing left to remove: a second checkout changes nothing.
    expect(runMlp(dir, ['checkout']).stdout).toBe('0 restored, 2 unchanged, 0 not available.\n');
  });

  test('keeps content that is not in the cache (exit 6, says why) until --force', () => {
    const dir = featureRepo();
    fs.writeFileSync(path.join(dir, 'data/feature.csv'), 'edited, never added\n');
    git(dir, 'checkout', '-q', 'main');

    const kept = runMlp(dir, ['checkout']);
    expect(kept.code).toBe(6);
    expect(kept.stdout).toContain('1 removed (no longer tracked), 1 kept (unsaved changes).');
    expect(kept.stderr).toContain('error: left 1 file as it is: checking out would discard changes that are not saved in the cache:\n  data/feature.csv\n');
    expect(kept.stderr).toContain('hint: to keep them, record them with `mlp add data/feature.csv`; to discard them, run `mlp checkout --force`');
    expect(read(dir, 'data/feature.csv')).toBe('edited, never added\n');
    expect(exists(dir, 'out.txt')).toBe(false);

    const forced = runMlp(dir, ['checkout', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('removed data/feature.csv');
    expect(exists(dir, 'data/feature.csv')).toBe(false);
  });

  test('a checkout of targets removes nothing (as DVC)', () => {
    const dir = featureRepo();
    git(dir, 'checkout', '-q', 'main');
    writeFiles(dir, { 'other.txt': 'x' });
    runMlp(dir, ['add', 'other.txt']);
    expect(runMlp(dir, ['checkout', 'other.txt']).code).toBe(0);
    expect(exists(dir, 'data/feature.csv')).toBe(true);
  });

  test('never removes a file git tracks on the new branch, nor data the new branch names', () => {
    const dir = featureRepo();
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'checkout', '-qb', 'other');
    // git owns out.txt here; data/feature.csv is a dependency of a stage that is not run yet.
    fs.rmSync(path.join(dir, 'out.txt'));
    commitFiles(dir, { 'out.txt': 'committed\n', 'pipeline.yaml': 'stages:\n  use:\n    cmd: cat data/feature.csv > copy.txt\n    deps: [data/feature.csv]\n    outs: [copy.txt]\n' });
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('removed');
    expect(read(dir, 'out.txt')).toBe('committed\n');
    expect(read(dir, 'data/feature.csv')).toBe('a,b\n');
  });

  test('a directory: only its data goes; files .mlpignore leaves out of it stay', () => {
    const dir = repo({ '.mlpignore': '*.log\n' });
    git(dir, 'checkout', '-qb', 'feature');
    writeFiles(dir, { 'images/a.bin': 'A', 'images/sub/b.bin': 'B' });
    runMlp(dir, ['add', 'images']);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'images');
    writeFiles(dir, { 'images/sub/notes.log': 'mine' });
    git(dir, 'checkout', '-q', 'main');
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('removed images');
    expect(fs.readdirSync(path.join(dir, 'images'))).toEqual(['sub']);
    expect(fs.readdirSync(path.join(dir, 'images/sub'))).toEqual(['notes.log']);
  });

  test('fault: a symlink that now leads the path outside the repository: nothing outside is deleted', () => {
    const dir = repo();
    const outside = tempDir('mlp-outside-');
    dirs.push(outside);
    git(dir, 'checkout', '-qb', 'feature');
    writeFiles(dir, { 'data/x.txt': 'same\n' });
    runMlp(dir, ['add', 'data/x.txt']);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'x');
    git(dir, 'checkout', '-q', 'main');
    fs.rmSync(path.join(dir, 'data'), { recursive: true });
    writeFiles(outside, { 'x.txt': 'same\n' }); // same content: "in the cache"
    fs.symlinkSync(outside, path.join(dir, 'data'));
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('data/x.txt: not removed:');
    expect(read(outside, 'x.txt')).toBe('same\n');
    // Forgotten: the next checkout does not try again.
    expect(runMlp(dir, ['checkout']).code).toBe(0);
  });

  test('fault: a damaged record of placed paths is ignored (nothing removed), not an error', () => {
    const dir = featureRepo();
    git(dir, 'checkout', '-q', 'main');
    fs.writeFileSync(path.join(dir, '.mlp/tmp/placed.json'), JSON.stringify({ version: 1, paths: { '../escape': 'a'.repeat(64), 'data/feature.csv': 'not-a-hash', '/etc/passwd': 'b'.repeat(64) } }));
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('0 restored, 0 unchanged, 0 not available.\n');
    expect(exists(dir, 'data/feature.csv')).toBe(true);
  });
});

describe('checkout --relink', () => {
  function inode(dir: string, file: string): number {
    return fs.statSync(path.join(dir, file)).ino;
  }
  function objectInode(dir: string, pointer: string): number {
    const hash = /sha256: ([0-9a-f]{64})/.exec(read(dir, pointer))?.[1] as string;
    return fs.statSync(path.join(dir, '.mlp/cache/files/sha256', hash.slice(0, 2), hash.slice(2))).ino;
  }

  test('re-creates up-to-date files with the configured link type', () => {
    const dir = repo({}, { 'd/a.bin': 'AAA', 'f.txt': 'file' });
    runMlp(dir, ['add', 'd', 'f.txt']);
    expect(inode(dir, 'f.txt')).not.toBe(objectInode(dir, 'f.txt.mlp')); // [reflink, copy]: a copy
    expect(runMlp(dir, ['config', 'cache.type', 'hardlink']).code).toBe(0);
    expect(runMlp(dir, ['checkout']).stdout).toBe('0 restored, 2 unchanged, 0 not available.\n');
    expect(inode(dir, 'f.txt')).not.toBe(objectInode(dir, 'f.txt.mlp'));

    const relinked = runMlp(dir, ['checkout', '--relink']);
    expect(relinked.code).toBe(0);
    expect(relinked.stdout).toBe('restored d\nrestored f.txt\n2 restored, 0 unchanged, 0 not available.\n');
    expect(inode(dir, 'f.txt')).toBe(objectInode(dir, 'f.txt.mlp'));
    expect(fs.statSync(path.join(dir, 'd/a.bin')).nlink).toBe(2);
    expect(read(dir, 'f.txt')).toBe('file');
    // Relinking what already is a link leaves no temp file behind.
    expect(runMlp(dir, ['checkout', '--relink']).code).toBe(0);
    expect(fs.readdirSync(path.join(dir, '.mlp/cache/tmp'))).toEqual([]);
  });

  test('fault: the cache lacks the object: the workspace copy is left alone', () => {
    const dir = repo({}, { 'f.txt': 'only copy' });
    runMlp(dir, ['add', 'f.txt']);
    fs.rmSync(path.join(dir, '.mlp/cache/files'), { recursive: true, force: true });
    const result = runMlp(dir, ['checkout', '--relink']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('f.txt: its data');
    expect(read(dir, 'f.txt')).toBe('only copy');
  });
});

describe('per-output remote', () => {
  function remoteObjects(remote: string): string[] {
    const root = path.join(remote, 'files/sha256');
    if (!fs.existsSync(root)) return [];
    return fs.readdirSync(root).flatMap((p) => fs.readdirSync(path.join(root, p)).map((r) => p + r)).sort();
  }
  function hashOf(dir: string, file: string): string {
    return /sha256: ([0-9a-f]{64})/.exec(read(dir, file))?.[1] as string;
  }
  function setup(): { dir: string; origin: string; archive: string } {
    const dir = repo({
      'pipeline.yaml': 'stages:\n  a:\n    cmd: echo A > a.txt\n    outs: [a.txt]\n  b:\n    cmd: echo B > b.txt\n    outs:\n      - b.txt: {remote: archive}\n',
    });
    const origin = tempDir('mlp-origin-');
    const archive = tempDir('mlp-archive-');
    dirs.push(origin, archive);
    expect(runMlp(dir, ['remote', 'add', '-d', 'origin', origin]).code).toBe(0);
    expect(runMlp(dir, ['remote', 'add', 'archive', archive]).code).toBe(0);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    writeFiles(dir, { 'p.txt': 'P\n' });
    runMlp(dir, ['add', 'p.txt']);
    fs.appendFileSync(path.join(dir, 'p.txt.mlp'), '    remote: archive\n');
    return { dir, origin, archive };
  }

  test('push, status -c, pull: each output goes to and comes from the remote it names', () => {
    const { dir, origin, archive } = setup();
    const lock = read(dir, 'pipeline.lock');
    const hashes = (names: string[]): string[] => names.map((n) => new RegExp(`path: ${n}\\n\\s+sha256: ([0-9a-f]{64})`).exec(lock)?.[1] as string);
    const [a, b] = hashes(['a.txt', 'b.txt']);
    const p = hashOf(dir, 'p.txt.mlp');

    const pushed = runMlp(dir, ['push']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/^Pushed 1 object \(2 B\) to 'origin' in [\d.]+ s, .*; 0 already on the remote\.\nPushed 2 objects \(4 B\) to 'archive' in /);
    expect(remoteObjects(origin)).toEqual([a]);
    expect(remoteObjects(archive)).toEqual([b, p].sort());

    const status = runMlp(dir, ['status', '-c']);
    expect(status.stdout).toContain(`Remote 'origin' (${origin}):\n  a.txt  in sync\n`);
    expect(status.stdout).toContain(`Remote 'archive' (${archive}):`);
    expect(status.stdout).toMatch(/  b\.txt\s+in sync\n/);
    expect(status.stdout).toMatch(/  p\.txt\s+in sync\n/);

    fs.rmSync(path.join(dir, '.mlp/cache'), { recursive: true });
    for (const f of ['a.txt', 'b.txt', 'p.txt']) fs.rmSync(path.join(dir, f));
    const pulled = runMlp(dir, ['pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain("Fetched 1 object (2 B) from 'origin'");
    expect(pulled.stdout).toContain("Fetched 2 objects (4 B) from 'archive'");
    expect(pulled.stdout).toContain('Checkout: 3 restored');
    expect(read(dir, 'b.txt')).toBe('B\n');
    expect(read(dir, 'p.txt')).toBe('P\n');
  });

  test('-r NAME leaves out what names another remote (as DVC); re-adding keeps the remote', () => {
    const { dir, origin, archive } = setup();
    const pushed = runMlp(dir, ['push', '-r', 'origin', '--json']);
    expect(pushed.code).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ remote: 'origin', transferred: 1 });
    expect(remoteObjects(origin)).toHaveLength(1);
    expect(remoteObjects(archive)).toEqual([]);
    writeFiles(dir, { 'p.txt': 'P2\n' });
    runMlp(dir, ['add', 'p.txt']);
    expect(read(dir, 'p.txt.mlp')).toContain('remote: archive');
    // With -r, outputs that name no remote go there too (-r replaces the default), as in DVC.
    expect(runMlp(dir, ['push', '-r', 'archive']).stdout).toMatch(/^Pushed 3 objects \(7 B\) to 'archive'/);
  });

  test('an output naming a remote that is not configured: the error names the output', () => {
    const { dir } = setup();
    fs.writeFileSync(path.join(dir, 'p.txt.mlp'), read(dir, 'p.txt.mlp').replace('remote: archive', 'remote: nowhere'));
    const result = runMlp(dir, ['push']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: p.txt (p.txt.mlp) names the remote 'nowhere': remote 'nowhere' is not configured");
    expect(result.stderr).toContain('add it with `mlp remote add nowhere <url>`');
  });

  test('fault: a pointer whose remote is not a remote name is refused with its location (exit 3)', () => {
    const { dir } = setup();
    fs.writeFileSync(path.join(dir, 'p.txt.mlp'), read(dir, 'p.txt.mlp').replace('remote: archive', 'remote: ../../x'));
    const result = runMlp(dir, ['push']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/p\.txt\.mlp:\d+:\d+/);
    expect(result.stderr).toContain('must be a remote name');
  });
});
