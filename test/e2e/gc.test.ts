/** `mlp gc`: an explicit scope as in DVC, a plan shown first, confirmation, --dry. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLP_BIN, git, makeRepo, read, runMlp } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function objectFiles(dir: string): string[] {
  const root = path.join(dir, '.mlp/cache/files/sha256');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).flatMap((p) => fs.readdirSync(path.join(root, p)).map((r) => p + r));
}

/**
 * Three commits of d.txt (v1, v2 on main; v3 on branch `exp`, tagged `t3`), then back on main
 * with v2 in the workspace: four objects in the cache (v1, v2, v3, and old.txt's).
 */
function history(): string {
  const dir = makeRepo({}, { 'd.txt': 'version 1' });
  made.push(dir);
  runMlp(dir, ['add', 'd.txt']);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'v1');
  fs.writeFileSync(path.join(dir, 'd.txt'), 'version 2');
  runMlp(dir, ['add', 'd.txt']);
  git(dir, 'commit', '-qam', 'v2');
  git(dir, 'checkout', '-qb', 'exp');
  fs.writeFileSync(path.join(dir, 'd.txt'), 'version 3');
  runMlp(dir, ['add', 'd.txt']);
  git(dir, 'commit', '-qam', 'v3');
  git(dir, 'tag', 't3');
  git(dir, 'checkout', '-q', 'main');
  expect(runMlp(dir, ['checkout']).code).toBe(0);
  // Data nothing references any more.
  fs.writeFileSync(path.join(dir, 'old.txt'), 'unreferenced');
  runMlp(dir, ['add', 'old.txt']);
  fs.rmSync(path.join(dir, 'old.txt.mlp'));
  fs.rmSync(path.join(dir, 'old.txt'));
  expect(objectFiles(dir)).toHaveLength(4);
  return dir;
}

describe('mlp gc', () => {
  test('without a scope it is a usage error that lists the scopes, and removes nothing', () => {
    const dir = history();
    const result = runMlp(dir, ['gc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('gc needs an explicit scope');
    for (const flag of ['-w/--workspace', '-a/--all-branches', '-T/--all-tags', '-A/--all-commits', '--rev']) expect(result.stderr).toContain(flag);
    expect(objectFiles(dir)).toHaveLength(4);
  });

  test('without a terminal and without -f it shows the plan and refuses', () => {
    const dir = history();
    const result = runMlp(dir, ['gc', '-w']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('To remove from the cache: 3 objects (30 B)');
    expect(result.stderr).toContain('pass -f/--force');
    expect(objectFiles(dir)).toHaveLength(4);
  });

  test('--dry removes nothing', () => {
    const dir = history();
    const result = runMlp(dir, ['gc', '-w', '--dry']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Would remove from the cache: 3 objects (30 B) and 0 run-cache entries.');
    expect(result.stdout).toContain('Dry run: nothing was removed.');
    expect(objectFiles(dir)).toHaveLength(4);
    expect(JSON.parse(runMlp(dir, ['gc', '-A', '--dry', '--json']).stdout)).toMatchObject({ dryRun: true, removed: 1, kept: 3 });
    expect(objectFiles(dir)).toHaveLength(4);
  });

  test('-A keeps every commit: `git checkout HEAD~1 && mlp checkout` still works', () => {
    const dir = history();
    const result = runMlp(dir, ['gc', '-A', '-f']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Keeping what the workspace and every git commit use (4 commits): 3 objects in the cache.');
    expect(result.stdout).toContain('Removed 1 object (12 B) and 0 run-cache entries from the cache.');
    git(dir, 'checkout', '-q', 'HEAD~1');
    expect(runMlp(dir, ['checkout']).code).toBe(0);
    expect(read(dir, 'd.txt')).toBe('version 1');
    git(dir, 'checkout', '-q', 'exp');
    expect(runMlp(dir, ['checkout']).code).toBe(0);
    expect(read(dir, 'd.txt')).toBe('version 3');
  });

  test('-w keeps only the workspace: older commits lose their data', () => {
    const dir = history();
    expect(runMlp(dir, ['gc', '-w', '-f']).code).toBe(0);
    expect(objectFiles(dir)).toHaveLength(1);
    git(dir, 'checkout', '-q', 'HEAD~1');
    expect(runMlp(dir, ['checkout']).code).toBe(1);
  });

  test('-a keeps branch tips, -T tags, --rev the named revisions', () => {
    const branches = history();
    expect(runMlp(branches, ['gc', '-a', '-f']).code).toBe(0);
    expect(objectFiles(branches)).toHaveLength(2); // v2 (main, workspace), v3 (exp)

    const tags = history();
    git(tags, 'branch', '-D', 'exp');
    expect(runMlp(tags, ['gc', '-T', '-f']).code).toBe(0);
    expect(objectFiles(tags)).toHaveLength(2); // v2 (workspace), v3 (t3)

    const revs = history();
    expect(runMlp(revs, ['gc', '--rev', 'HEAD~1', '--rev', 'exp', '-f']).code).toBe(0);
    expect(objectFiles(revs)).toHaveLength(3); // v1, v2, v3
    expect(runMlp(revs, ['gc', '--rev', 'no-such-branch', '-f']).code).toBe(1);
  });

  test('run-cache entries whose outputs are removed go too', () => {
    const dir = makeRepo({ 'in.txt': '1', 'pipeline.yaml': 'stages:\n  s: {cmd: cp in.txt o.txt, deps: [in.txt], outs: [o.txt]}\n' });
    made.push(dir);
    runMlp(dir, ['repro']);
    fs.writeFileSync(path.join(dir, 'in.txt'), '2');
    runMlp(dir, ['repro']);
    const result = runMlp(dir, ['gc', '-w', '-f']);
    expect(result.stdout).toContain('Removed 1 object (1 B) and 1 run-cache entry from the cache.');
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  (hasScript ? test : test.skip)('on a terminal it asks, and only "y" removes', () => {
    const dir = history();
    const ask = (answer: string): string =>
      spawnSync('script', ['-qec', `${process.execPath} ${MLP_BIN} gc -w`, '/dev/null'], { cwd: dir, input: `${answer}\n`, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } }).stdout;
    const no = ask('n');
    expect(no).toContain('Remove them? [y/N]');
    expect(no).toContain('Nothing was removed.');
    expect(objectFiles(dir)).toHaveLength(4);
    expect(ask('y')).toContain('Removed 3 objects');
    expect(objectFiles(dir)).toHaveLength(1);
  });
});
