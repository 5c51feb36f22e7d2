/** `mlp add`, `checkout`, `commit`, `gc` and cache safety, through the built CLI. */
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, read, runMlp, writeFiles } from '../helpers/cli.js';

function objectFiles(dir: string): string[] {
  const root = path.join(dir, '.mlp/cache/files/sha256');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).flatMap((p) => fs.readdirSync(path.join(root, p)).map((r) => p + r));
}

describe('mlp add / checkout', () => {
  test('tracks a directory and a file with pointer files, git-ignores the data, and restores it', () => {
    const dir = makeRepo({}, { 'data/images/a.bin': 'AAA', 'data/images/sub/b.bin': 'BB', 'data/labels.csv': 'x,y\n' });
    const added = runMlp(dir, ['add', 'data/images', 'data/labels.csv']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added data/images (5 B, 2 files) -> data/images.mlp');
    const pointer = read(dir, 'data/images.mlp');
    expect(pointer).toMatch(/path: images\n\s+sha256: [0-9a-f]{64}\n\s+size: 5\n\s+nfiles: 2/);
    expect(read(dir, 'data/.gitignore')).toBe('/images\n/labels.csv\n');
    expect(objectFiles(dir)).toHaveLength(4); // 3 files + 1 directory manifest

    fs.rmSync(path.join(dir, 'data/images'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data/labels.csv'), 'changed');
    const status = runMlp(dir, ['status']);
    expect(status.stdout).toContain('data/images.mlp: data/images missing');
    expect(status.stdout).toContain('data/labels.csv.mlp: data/labels.csv modified');
    const checkout = runMlp(dir, ['checkout', '--force']); // labels.csv was edited: discard the edit
    expect(checkout.code).toBe(0);
    expect(checkout.stdout).toContain('2 restored');
    expect(read(dir, 'data/images/sub/b.bin')).toBe('BB');
    expect(read(dir, 'data/labels.csv')).toBe('x,y\n');
    expect(runMlp(dir, ['status']).stdout).toBe('Tracked data is up to date (no pipeline.yaml).\n');
  });

  test('checkout follows git: switching commits switches the data', () => {
    const dir = makeRepo();
    writeFiles(dir, { 'data/d.txt': 'v1' });
    runMlp(dir, ['add', 'data/d.txt']);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'v1');
    fs.writeFileSync(path.join(dir, 'data/d.txt'), 'v2');
    runMlp(dir, ['add', 'data/d.txt']);
    git(dir, 'commit', '-qam', 'v2');
    git(dir, 'checkout', '-q', 'HEAD~1');
    expect(runMlp(dir, ['checkout']).stdout).toContain('restored data/d.txt');
    expect(read(dir, 'data/d.txt')).toBe('v1');
  });

  test('a directory checkout --force removes files that are not recorded and restores modified ones', () => {
    const dir = makeRepo({}, { 'd/a': '1', 'd/b': '2' });
    runMlp(dir, ['add', 'd']);
    fs.writeFileSync(path.join(dir, 'd/extra'), 'x');
    fs.writeFileSync(path.join(dir, 'd/a'), 'modified');
    runMlp(dir, ['checkout', '--force', 'd']);
    expect(fs.readdirSync(path.join(dir, 'd')).sort()).toEqual(['a', 'b']);
    expect(read(dir, 'd/a')).toBe('1');
  });

  test('adding a path that git tracks is refused with the command to untrack it', () => {
    const dir = makeRepo({ 'data/in-git.csv': 'a,b\n' });
    const result = runMlp(dir, ['add', 'data']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('data is already tracked by git');
    expect(result.stderr).toContain("git rm -r --cached 'data'");
    expect(fs.existsSync(path.join(dir, 'data.mlp'))).toBe(false);
  });

  test('adding a stage output is refused', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: mkdir -p out && touch out/x, outs: [out]}\n' });
    runMlp(dir, ['repro']);
    const result = runMlp(dir, ['add', 'out/x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("out/x overlaps output out of stage 's'");
  });

  test('checkout of data missing from the cache says to pull', () => {
    const dir = makeRepo({}, { 'f.txt': 'data' });
    runMlp(dir, ['add', 'f.txt']);
    fs.rmSync(path.join(dir, '.mlp/cache'), { recursive: true });
    fs.rmSync(path.join(dir, 'f.txt'));
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('f.txt: its data');
    expect(result.stderr).toContain('mlp pull');
  });
});

describe('cache safety', () => {
  test('editing a checked-out output in place never changes the cache', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: echo original > o.txt, outs: [o.txt]}\n' });
    runMlp(dir, ['repro']);
    fs.appendFileSync(path.join(dir, 'o.txt'), 'edited in place\n');
    const [object] = objectFiles(dir).map((h) => path.join(dir, '.mlp/cache/files/sha256', h.slice(0, 2), h.slice(2)));
    expect(fs.readFileSync(object as string, 'utf8')).toBe('original\n');
    runMlp(dir, ['checkout', '--force']);
    expect(read(dir, 'o.txt')).toBe('original\n');
  });

  test('cache objects are read-only', () => {
    const dir = makeRepo({}, { 'f.txt': 'data' });
    runMlp(dir, ['add', 'f.txt']);
    for (const h of objectFiles(dir)) {
      expect(fs.statSync(path.join(dir, '.mlp/cache/files/sha256', h.slice(0, 2), h.slice(2))).mode & 0o222).toBe(0);
    }
  });

  test('a corrupted cache object is detected on checkout, removed, and never copied into the workspace', () => {
    const dir = makeRepo({}, { 'f.txt': 'good data' });
    runMlp(dir, ['add', 'f.txt']);
    const [hash] = objectFiles(dir);
    const object = path.join(dir, '.mlp/cache/files/sha256', (hash as string).slice(0, 2), (hash as string).slice(2));
    fs.chmodSync(object, 0o644);
    fs.writeFileSync(object, 'bad data!');
    fs.rmSync(path.join(dir, 'f.txt'));
    const result = runMlp(dir, ['checkout']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is corrupted (its content does not match its hash)');
    expect(fs.existsSync(path.join(dir, 'f.txt'))).toBe(false);
    expect(fs.existsSync(object)).toBe(false);
  });

  test('with cache.type hardlink, outputs share the object and are read-only', () => {
    const dir = makeRepo({ '.mlp/config.yaml': 'cache:\n  type: [hardlink, copy]\n', 'pipeline.yaml': 'stages:\n  s: {cmd: echo x > o.txt, outs: [o.txt]}\n' });
    runMlp(dir, ['repro']);
    const stat = fs.statSync(path.join(dir, 'o.txt'));
    expect(stat.nlink).toBe(2);
    expect(stat.mode & 0o222).toBe(0);
    fs.rmSync(path.join(dir, 'o.txt'));
    runMlp(dir, ['checkout']);
    expect(fs.statSync(path.join(dir, 'o.txt')).nlink).toBe(2);
  });

  test('with hardlinks, an edit written through the link (root ignores read-only) is found: status says modified, push sends nothing of it', () => {
    // Above REMEMBER_CHECKS_ABOVE, so that its verification is remembered by signature: the edit
    // must be noticed through the signature change, not by a read that happens anyway.
    const dir = makeRepo({ '.mlp/config.yaml': 'cache:\n  type: [hardlink, copy]\n' }, { 'data.txt': 'tracked data\n'.repeat(30_000) });
    expect(runMlp(dir, ['add', 'data.txt']).code).toBe(0);
    expect(fs.statSync(path.join(dir, 'data.txt')).nlink).toBe(2);
    const remote = path.join(dir, '..', `${path.basename(dir)}-remote`);
    try {
      expect(runMlp(dir, ['remote', 'add', '-d', 'r', remote]).code).toBe(0);
      const fd = fs.openSync(path.join(dir, 'data.txt'), 'r+'); // what a tool running as root can do
      fs.writeSync(fd, 'EDITED');
      fs.closeSync(fd);
      expect(runMlp(dir, ['status']).stdout).toContain('data.txt modified');
      const push = runMlp(dir, ['push']);
      expect(push.code).toBe(1);
      expect(push.stderr).toContain('is corrupted (its content does not match its hash)');
      const sent = fs.existsSync(remote) ? fs.readdirSync(remote, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
      expect(sent).toEqual([]);
    } finally {
      fs.rmSync(remote, { recursive: true, force: true });
    }
  });

  test('with hardlinks, a persist output is unprotected before its stage appends to it', () => {
    const dir = makeRepo({
      '.mlp/config.yaml': 'cache:\n  type: [hardlink, copy]\n',
      'pipeline.yaml': 'stages:\n  s: {cmd: echo line >> log.txt, outs: [{log.txt: {persist: true}}], always_changed: true}\n',
    });
    runMlp(dir, ['repro']);
    const [first] = objectFiles(dir);
    runMlp(dir, ['repro']);
    expect(read(dir, 'log.txt')).toBe('line\nline\n');
    const object = path.join(dir, '.mlp/cache/files/sha256', (first as string).slice(0, 2), (first as string).slice(2));
    expect(fs.readFileSync(object, 'utf8')).toBe('line\n');
  });

  test('an unknown cache.type is a clear error', () => {
    const dir = makeRepo({ '.mlp/config.yaml': 'cache:\n  type: teleport\n' }, { 'f.txt': 'x' });
    const result = runMlp(dir, ['add', 'f.txt']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error: .mlp/config.yaml:2:9: cache.type: must be one or more of reflink, hardlink, symlink, copy, got "teleport"');
    expect(result.stderr).toContain('hint: e.g. type: [reflink, copy]');
  });
});

describe('mlp commit / gc', () => {
  test('commit records outputs produced by hand without running the stage', () => {
    const dir = makeRepo({ 'in.txt': 'x', 'pipeline.yaml': 'stages:\n  s: {cmd: echo ran >> runs.log && cp in.txt o.txt, deps: [in.txt], outs: [o.txt]}\n' });
    fs.writeFileSync(path.join(dir, 'o.txt'), 'made by hand');
    const result = runMlp(dir, ['commit']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Recorded s');
    expect(fs.existsSync(path.join(dir, 'runs.log'))).toBe(false);
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
  });

  test('gc -w removes unreferenced objects; --all-commits keeps what any commit references', () => {
    const dir = makeRepo({}, { 'd.txt': 'version one' });
    runMlp(dir, ['add', 'd.txt']);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'one');
    fs.writeFileSync(path.join(dir, 'd.txt'), 'version two');
    runMlp(dir, ['add', 'd.txt']);
    git(dir, 'commit', '-qam', 'two');
    expect(objectFiles(dir)).toHaveLength(2);
    const keep = runMlp(dir, ['gc', '--all-commits', '-f']);
    expect(keep.stdout).toContain('Nothing to remove.');
    expect(objectFiles(dir)).toHaveLength(2);
    const dry = runMlp(dir, ['gc', '-w', '-n']);
    expect(dry.stdout).toContain('Would remove from the cache: 1 object');
    expect(objectFiles(dir)).toHaveLength(2);
    const gc = runMlp(dir, ['gc', '-w', '-f']);
    expect(gc.stdout).toContain('Removed 1 object (11 B)');
    expect(objectFiles(dir)).toHaveLength(1);
    expect(runMlp(dir, ['checkout']).code).toBe(0);
  });
});

describe('mlp dag', () => {
  test('prints text, dot, mermaid and json', () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  a: {cmd: touch a, outs: [a]}\n  b: {cmd: touch b, deps: [a], outs: [b]}\n',
    });
    expect(runMlp(dir, ['dag']).stdout).toBe('a\nb <- a\n');
    expect(runMlp(dir, ['dag', '--dot']).stdout).toContain('"a" -> "b";');
    expect(runMlp(dir, ['dag', '--mermaid']).stdout).toContain('s0 --> s1');
    expect(JSON.parse(runMlp(dir, ['dag', '--json']).stdout)).toEqual({ stages: ['a', 'b'], edges: [{ from: 'a', to: 'b' }] });
  });

  test('status --json carries typed reasons', () => {
    const dir = makeRepo({ 'params.yaml': 'p: 1\n', 'pipeline.yaml': 'stages:\n  a: {cmd: touch a, outs: [a], params: [p]}\n' });
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'params.yaml': 'p: 2\n' });
    const json = JSON.parse(runMlp(dir, ['status', '--json']).stdout) as { stages: Record<string, { state: string; reasons: unknown[] }> };
    expect(json.stages.a).toEqual({
      state: 'stale',
      reasons: [{ kind: 'param-changed', file: 'params.yaml', key: 'p', old: 1, new: 2, text: 'param p changed: 1 -> 2' }],
    });
    expect(runMlp(dir, ['status', '-q']).code).toBe(1);
  });
});
