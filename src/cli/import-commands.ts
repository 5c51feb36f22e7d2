/** `mlp get`, `mlp import`, `mlp update`: data from another mlp repository (src/data/import.ts). */
import path from 'node:path';
import type { Command } from 'commander';
import type { ImportResult } from '../remote/repo-import.js';
import { commandLine, print, printJson, withRepo } from './context.js';

interface ImportFlags {
  rev?: string;
  out?: string;
  json?: boolean;
}

export function registerImportCommands(program: Command): void {
  program
    .command('get')
    .description('copy data that another mlp repository tracks into the workspace (not tracked here)')
    .argument('<url>', 'the git repository: a URL, or a local path')
    .argument('<path>', 'the data, relative to the root of that repository')
    .option('--rev <rev>', 'a branch, tag or commit of that repository (default: its default branch)')
    .option('-o, --out <path>', 'where to put it (default: its name, in the current directory)')
    .option('--json', 'print JSON')
    .action(async (url: string, srcPath: string, flags: ImportFlags) => {
      const { getData, getDataOutsideRepo } = await import('../remote/repo-import.js');
      const { findRoot } = await import('../repo/repo.js');
      // Outside a repository (as `dvc get` allows) the data goes through a temporary cache.
      const result =
        findRoot(process.cwd()) === undefined
          ? await getDataOutsideRepo(url, srcPath, process.cwd(), { rev: flags.rev, out: flags.out })
          : await withRepo(commandLine(), (repo) => getData(repo, url, srcPath, { rev: flags.rev, out: flags.out }));
      if (flags.json) printJson(result);
      else print(`Got ${describe(result)} -> ${result.path}`);
    });

  program
    .command('import')
    .description('get data that another mlp repository tracks and track it here, with a .mlp pointer that records its source (`mlp update` refreshes it)')
    .argument('<url>', 'the git repository: a URL, or a local path')
    .argument('<path>', 'the data, relative to the root of that repository')
    .option('--rev <rev>', 'a branch, tag or commit of that repository to follow (default: its default branch)')
    .option('-o, --out <path>', 'where to put it (default: its name, in the current directory)')
    .option('--json', 'print JSON')
    .action(async (url: string, srcPath: string, flags: ImportFlags) => {
      await withRepo(commandLine(), async (repo) => {
        const { importData } = await import('../remote/repo-import.js');
        const result = await importData(repo, url, srcPath, { rev: flags.rev, out: flags.out });
        if (flags.json) printJson(result);
        else {
          print(`Imported ${describe(result)} -> ${result.path} (${result.pointer})`);
          print(`To track the changes with git, run:\n    git add ${result.pointer} ${path.posix.join(path.posix.dirname(result.path), '.gitignore')}`);
        }
      });
    });

  program
    .command('update')
    .description('bring data imported with `mlp import` to the newest commit of the revision it follows')
    .argument('<targets...>', 'pointer files written by `mlp import` (or the data they track)')
    .option('--rev <rev>', 'follow this branch, tag or commit from now on')
    .option('--json', 'print JSON')
    .action(async (targets: string[], flags: Pick<ImportFlags, 'rev' | 'json'>) => {
      await withRepo(commandLine(), async (repo) => {
        const { updateImport } = await import('../remote/repo-import.js');
        const results: ImportResult[] = [];
        for (const target of targets) results.push(await updateImport(repo, target, { rev: flags.rev }));
        if (flags.json) printJson(results);
        else for (const r of results) print(r.changed ? `Updated ${r.path} from ${describe(r)}` : `${r.path} is up to date (${describe(r)})`);
      });
    });
}

/** `data/x.csv of <url> (main, 1a2b3c4d5e6f)`. */
function describe(r: Pick<ImportResult, 'source'>): string {
  const { url, rev, rev_lock } = r.source.repo;
  return `${r.source.path} of ${url} (${rev === undefined ? '' : `${rev}, `}${rev_lock.slice(0, 12)})`;
}
