/** What each installed hook does (`mlp git-hook`), with the mlp commands it runs recorded. */
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { makeRepo, writeFiles } from '../helpers/cli.js';

// src/version.ts finds package.json relative to the built dist/ layout, not to src/.
jest.unstable_mockModule('../../src/version.js', () => ({ mlpVersion: () => 'test' }));
const { runGitHook } = await import('../../src/cli/git-hook.js');
const { Repo } = await import('../../src/repo/repo.js');

/** `exitCode` is what the commands the hook runs exit with; 'none' means this mlp lacks the command. */
function context(dir: string, exitCode: number | 'none' = 0) {
  const calls: string[][] = [];
  const lines: string[] = [];
  return {
    calls,
    lines,
    ctx: {
      repo: new Repo(dir),
      runCommand: async (args: string[]) => {
        calls.push(args);
        return exitCode === 'none' ? undefined : exitCode;
      },
      log: (line: string) => lines.push(line),
    },
  };
}

describe('mlp git-hook', () => {
  test('post-checkout checks out data after a branch checkout only, and never fails git', async () => {
    const dir = makeRepo();
    const ok = context(dir);
    expect(await runGitHook('post-checkout', ['a', 'b', '0'], ok.ctx)).toBe(0);
    expect(ok.calls).toEqual([]);
    expect(await runGitHook('post-checkout', ['a', 'b', '1'], ok.ctx)).toBe(0);
    expect(ok.calls).toEqual([['checkout']]);

    const failing = context(dir, 1);
    expect(await runGitHook('post-checkout', ['a', 'b', '1'], failing.ctx)).toBe(0);
    expect(failing.lines.join('\n')).toContain('some data could not be checked out');

    // Unsaved changes were kept: a warning, and git still succeeds.
    const kept = context(dir, 6);
    expect(await runGitHook('post-checkout', ['a', 'b', '1'], kept.ctx)).toBe(0);
    expect(kept.calls).toEqual([['checkout']]);
    expect(kept.lines.join('\n')).toContain('kept your unsaved changes');
  });

  test('post-checkout does nothing while a rebase is in progress', async () => {
    const dir = makeRepo();
    fs.mkdirSync(path.join(dir, '.git/rebase-merge'));
    const { ctx, calls } = context(dir);
    expect(await runGitHook('post-checkout', ['a', 'b', '1'], ctx)).toBe(0);
    expect(calls).toEqual([]);
  });

  test('pre-push pushes to the default remote, and a failed push stops the git push', async () => {
    const dir = makeRepo();
    writeFiles(dir, { '.mlp/config.yaml': 'core:\n  remote: storage\nremotes:\n  storage: {url: /tmp/nowhere}\n' });
    const ok = context(dir, 0);
    expect(await runGitHook('pre-push', ['origin', 'url'], ok.ctx)).toBe(0);
    expect(ok.calls).toEqual([['push']]);

    const failed = context(dir, 1);
    expect(await runGitHook('pre-push', ['origin', 'url'], failed.ctx)).toBe(1);
    expect(failed.lines.join('\n')).toContain("`mlp push` to 'storage' failed, so the git push was stopped");
    expect(failed.lines.join('\n')).toContain('git push --no-verify');

    const noPushCommand = context(dir, 'none');
    expect(await runGitHook('pre-push', ['origin', 'url'], noPushCommand.ctx)).toBe(0);
    expect(noPushCommand.lines.join('\n')).toContain('has no `push` command');
  });

  test('pre-push without a default remote lets the push through without running anything', async () => {
    const dir = makeRepo();
    const { ctx, calls, lines } = context(dir);
    expect(await runGitHook('pre-push', ['origin', 'url'], ctx)).toBe(0);
    expect(calls).toEqual([]);
    expect(lines[0]).toContain('no default remote configured');
  });

  test('pre-commit only warns, even when the pipeline is invalid', async () => {
    const dir = makeRepo();
    writeFiles(dir, { 'pipeline.yaml': 'stages: [oops\n' });
    const { ctx, lines } = context(dir);
    expect(await runGitHook('pre-commit', [], ctx)).toBe(0);
    expect(lines.join('\n')).toMatch(/mlp: warning: could not check the pipeline status: pipeline\.yaml:\d+:\d+: invalid YAML/);
  });
});
