/**
 * `mlp git-hook <name> [args…]`: what the hooks written by `mlp install` do. Only pre-push can
 * stop git (a non-zero exit); the others always exit 0, since a failed data checkout or a stale
 * stage should be reported, not turn `git checkout` or `git commit` into a failure.
 */
import { ExitCode } from '../errors.js';
import { HOOK_NAMES, rebaseInProgress, type HookName } from '../git/hooks.js';
import type { Repo } from '../repo/repo.js';

export interface HookContext {
  repo: Repo;
  /** Runs an mlp command in this process: its exit code, or undefined if this mlp has no such command. */
  runCommand(args: string[]): Promise<number | undefined>;
  /** Writes a line to stderr (hooks talk to the user through git's stderr). */
  log(line: string): void;
}

export function isHookName(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

export async function runGitHook(name: HookName, args: readonly string[], ctx: HookContext): Promise<number> {
  switch (name) {
    case 'post-checkout':
      return postCheckout(args, ctx);
    case 'pre-push':
      return prePush(ctx);
    case 'pre-commit':
      return preCommit(ctx);
  }
}

async function postCheckout(args: readonly string[], ctx: HookContext): Promise<number> {
  // Args: previous HEAD, new HEAD, and 1 for a branch checkout (0 for `git checkout -- file`).
  if (args[2] !== '1') return ExitCode.ok;
  // A rebase checks out commit after commit; restoring data for each would be slow and pointless.
  if (rebaseInProgress(ctx.repo.root)) return ExitCode.ok;
  // Never with --force: files whose content is not in the cache are kept, and listed.
  const code = await ctx.runCommand(['checkout']);
  if (code === ExitCode.unsavedChanges) {
    ctx.log('mlp: warning: kept your unsaved changes (listed above), so that data does not match this commit yet; git checkout itself succeeded');
  } else if (code !== undefined && code !== ExitCode.ok) ctx.log('mlp: some data could not be checked out (see above); git checkout itself succeeded');
  return ExitCode.ok;
}

async function prePush(ctx: HookContext): Promise<number> {
  const remote = ctx.repo.config.core?.remote;
  if (remote === undefined || remote === '') {
    ctx.log('mlp: no default remote configured (core.remote in .mlp/config.yaml), so no data was pushed; the git push goes ahead.');
    ctx.log('mlp: set one with `mlp remote default <name>` to push data with every git push.');
    return ExitCode.ok;
  }
  const code = await ctx.runCommand(['push']);
  if (code === undefined) {
    ctx.log('mlp: this version of mlp has no `push` command, so no data was pushed; the git push goes ahead.');
    return ExitCode.ok;
  }
  if (code !== ExitCode.ok) {
    ctx.log(`mlp: \`mlp push\` to '${remote}' failed, so the git push was stopped: the pushed commits would refer to data that is not on the remote.`);
    ctx.log('mlp: fix the problem above and push again, or push without the data: git push --no-verify');
  }
  return code;
}

async function preCommit(ctx: HookContext): Promise<number> {
  try {
    const { status } = await import('../repro/status.js');
    const { renderStatus } = await import('../ui/render.js');
    const report = status(ctx.repo, []);
    const stale = report.stages.some((s) => s.state === 'stale') || report.data.some((d) => d.state !== 'up-to-date');
    if (stale) {
      ctx.log('mlp: warning: the pipeline or tracked data differ from pipeline.lock and the .mlp files:');
      for (const line of renderStatus(report).trimEnd().split('\n')) ctx.log(`  ${line}`);
      ctx.log('mlp: run `mlp repro` (or `mlp commit`) to record them; committing anyway.');
    }
  } catch (error) {
    ctx.log(`mlp: warning: could not check the pipeline status: ${error instanceof Error ? error.message : String(error)}`);
  }
  return ExitCode.ok;
}
