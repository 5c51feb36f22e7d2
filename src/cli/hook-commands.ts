/** `mlp install` (git hooks) and the hidden `mlp git-hook` that the installed hooks call. */
import type { Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import { print, printJson, withRepo } from './context.js';

export function registerHookCommands(program: Command): void {
  program
    .command('install')
    .description('install git hooks: post-checkout runs `mlp checkout`, pre-push `mlp push`, pre-commit `mlp status` (existing hooks keep working)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const fs = await import('node:fs');
        const path = await import('node:path');
        const { HOOK_PURPOSE, installHooks } = await import('../git/hooks.js');
        // The hook falls back to this very mlp when none is in node_modules or on PATH.
        const launcher = { node: process.execPath, script: fs.realpathSync(process.argv[1] ?? '') };
        const hooks = installHooks(repo.root, launcher);
        if (flags.json) {
          printJson(hooks);
          return;
        }
        for (const h of hooks) {
          const moved = h.moved ? ` (your hook was moved to ${path.relative(repo.root, h.moved)} and still runs)` : '';
          print(`${h.name}: ${h.action} ${path.relative(repo.root, h.file)}${moved} — ${HOOK_PURPOSE[h.name]}`);
        }
        print('Set MLP_NO_HOOKS=1 to skip them for one git command; delete the marked block in a hook to remove it.');
      });
    });

  program
    .command('git-hook', { hidden: true })
    .description('run what an installed git hook does (called by the hooks that `mlp install` writes)')
    .argument('<name>', 'post-checkout, pre-push or pre-commit')
    .argument('[args...]', 'the arguments git gave the hook')
    .action(async (name: string, args: string[]) => {
      const { isHookName, runGitHook } = await import('./git-hook.js');
      if (!isHookName(name)) throw new MlpError(`unknown git hook '${name}'`, { hint: 'mlp handles post-checkout, pre-push and pre-commit', exitCode: ExitCode.usage });
      const code = await withRepo(undefined, (repo) => runGitHook(name, args, { repo, log: (line) => process.stderr.write(`${line}\n`), runCommand }));
      process.exitCode = code;
    });
}

/** Runs another mlp command in this process, as `mlp <args>` would (errors reported the same way). */
async function runCommand(args: string[]): Promise<number | undefined> {
  const { buildProgram, main } = await import('./main.js');
  if (!buildProgram().commands.some((c) => c.name() === args[0])) return undefined;
  process.exitCode = undefined;
  const code = await main(['node', 'mlp', ...args]);
  process.exitCode = undefined;
  return code;
}
