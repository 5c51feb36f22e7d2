/** `mlp add`, `checkout`, `gc`. */
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { commandLine, print, printJson, withRepo } from './context.js';

export function registerDataCommands(program: Command): void {
  program
    .command('add')
    .description('track data files or directories: store them in the cache and write <path>.mlp pointer files')
    .argument('<paths...>', 'files or directories to track')
    .action(async (paths: string[]) => {
      await withRepo(commandLine(), async (repo) => {
        const { addPaths } = await import('../data/add.js');
        const { formatBytes } = await import('../ui/render.js');
        const results = await addPaths(repo, paths.map((p) => repo.relative(p)));
        for (const r of results) {
          const files = r.info.nfiles === undefined ? '' : `, ${r.info.nfiles} files`;
          print(`Added ${r.path} (${formatBytes(r.info.size)}${files}) -> ${r.pointer}`);
        }
        const ignores = new Set(results.map((r) => path.posix.join(path.posix.dirname(r.path), '.gitignore')));
        print(`To track the changes with git, run:\n    git add ${results.map((r) => r.pointer).join(' ')} ${[...ignores].join(' ')}`);
      });
    });

  program
    .command('checkout')
    .description('make the workspace match pipeline.lock and the .mlp pointer files, restoring data from the cache')
    .argument('[targets...]', 'stages, outputs or tracked paths (default: everything)')
    .option('--json', 'print JSON')
    .action(async (targets: string[], flags: { json?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { checkoutWorkspace } = await import('../data/checkout-workspace.js');
        const items = checkoutWorkspace(repo, targets);
        const problems = items.filter((i) => i.outcome === 'missing' || i.outcome === 'failed');
        if (flags.json) printJson(items);
        else {
          for (const i of items) if (i.outcome === 'restored') print(`restored ${i.path}`);
          for (const p of problems) process.stderr.write(`error: ${p.message}\n`);
          const restored = items.filter((i) => i.outcome === 'restored').length;
          print(`${restored} restored, ${items.length - restored - problems.length} unchanged, ${problems.length} not available.`);
        }
        if (problems.length > 0) {
          if (!flags.json) process.stderr.write('hint: run `mlp pull` to fetch missing data from a remote, or `mlp repro` to rebuild it\n');
          process.exitCode = ExitCode.failure;
        }
      });
    });

  program
    .command('gc')
    .description('remove cache objects that the workspace (or any commit, with --all-commits) does not reference')
    .option('-A, --all-commits', 'keep everything referenced by any git commit')
    .option('-n, --dry', 'only report what would be removed')
    .option('--json', 'print JSON')
    .action(async (flags: { allCommits?: boolean; dry?: boolean; json?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { collectGarbage } = await import('../cache/gc.js');
        const { formatBytes } = await import('../ui/render.js');
        const result = collectGarbage(repo, { allCommits: flags.allCommits === true, dryRun: flags.dry === true });
        if (flags.json) printJson(result);
        else {
          print(`${flags.dry ? 'Would remove' : 'Removed'} ${result.removed} objects (${formatBytes(result.bytesFreed)}) and ${result.runsRemoved} run-cache entries; kept ${result.kept} objects.`);
          if (result.tempFiles > 0) print(`${flags.dry ? 'Would remove' : 'Removed'} ${result.tempFiles} temp files left by killed commands (${formatBytes(result.tempBytes)}).`);
        }
      });
    });
}
