/** `mlp migrate` (and `mlp init --from-dvc`): a DVC project → an mlp one. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import { commandLine, print, printJson, warn } from './context.js';

export interface MigrateFlags {
  dryRun?: boolean;
  removeDvc?: boolean;
  json?: boolean;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('convert the DVC project here: dvc.yaml, dvc.lock, *.dvc, .dvc/config remotes, .dvcignore and the DVC cache')
    .option('--dry-run', 'show what would be converted, without writing anything')
    .option('--remove-dvc', "then remove DVC's files (dvc.yaml, dvc.lock, *.dvc, .dvcignore, .dvc/)")
    .option('--json', 'print the report as JSON')
    .action(async (flags: MigrateFlags) => {
      process.exitCode = await runMigrate(flags);
    });
}

export async function runMigrate(flags: MigrateFlags): Promise<number> {
  const { findDvcRoot, isDvcProject, migrate } = await import('../migrate/migrate.js');
  const { Repo } = await import('../repo/repo.js');
  const cwd = process.cwd();
  const root = findDvcRoot(cwd) ?? (isDvcProject(cwd) ? cwd : undefined);
  if (root === undefined) {
    throw new MlpError(`no DVC project here: no .dvc/ directory in ${cwd} or above, and no dvc.yaml`, {
      hint: 'run `mlp migrate` inside a DVC project; to start a new mlp project, run `mlp init`',
      exitCode: ExitCode.usage,
    });
  }
  const dryRun = flags.dryRun === true;
  // A dry run writes nothing, not even .mlp/.
  const existed = fs.existsSync(path.join(root, '.mlp'));
  if (!dryRun) Repo.init(root);
  const repo = new Repo(root);
  if (existed || !dryRun) repo.validateConfig();
  if (!dryRun) repo.acquireLock(commandLine(), warn);
  let report;
  try {
    report = await migrate(repo, { dryRun, removeDvc: flags.removeDvc === true });
  } finally {
    if (!dryRun) repo.close();
  }
  if (flags.json) printJson(report);
  else {
    const { renderMigration } = await import('../ui/migrate.js');
    print(renderMigration(report));
  }
  for (const w of report.warnings) warn(w);
  return ExitCode.ok;
}
