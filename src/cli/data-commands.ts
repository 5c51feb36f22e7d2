/** `mlp add`, `checkout`, `gc`. */
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { commandLine, print, printJson, withRepo } from './context.js';
import { parsePositiveInt } from './options.js';
import { plural } from '../ui/plural.js';

export function registerDataCommands(program: Command): void {
  program
    .command('add')
    .description('track data files or directories: store them in the cache and write <path>.mlp pointer files')
    .argument('<paths...>', 'files or directories to track')
    .action(async (paths: string[]) => {
      await withRepo(commandLine(), async (repo) => {
        const { addPaths } = await import('../data/add.js');
        const { formatBytes } = await import('../ui/render.js');
        const { startStoreProgress } = await import('../ui/progress.js');
        const progress = await startStoreProgress('add');
        let results;
        try {
          results = await addPaths(
            repo,
            paths.map((p) => repo.relative(p)),
            progress,
          );
        } finally {
          progress.stop();
        }
        for (const r of results) {
          const files = r.info.nfiles === undefined ? '' : `, ${plural(r.info.nfiles, 'file')}`;
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
    .option('-f, --force', 'also overwrite and delete files whose content is not in the cache (discards unsaved changes)')
    .option('-R, --recursive', 'a directory target means every pipeline and pointer file below it')
    .option('--relink', 're-create the files from the cache with the configured cache.type even when they are up to date')
    .option('--json', 'print JSON')
    .action(async (targets: string[], flags: { json?: boolean; force?: boolean; recursive?: boolean; relink?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { checkoutWorkspace } = await import('../data/checkout-workspace.js');
        const { MISSING_DATA_HINT, renderUnsaved, tallyCheckout } = await import('../ui/unsaved.js');
        const { checkoutProgressUpdate, startProgress } = await import('../ui/progress.js');
        const progress = await startProgress({ mode: flags.json ? 'off' : 'auto' });
        let items;
        try {
          items = checkoutWorkspace(repo, targets, {
            force: flags.force === true,
            recursive: flags.recursive === true,
            relink: flags.relink === true,
            onProgress: (p) => progress.update(checkoutProgressUpdate(p)),
          });
        } finally {
          progress.done();
        }
        const tally = tallyCheckout(items);
        if (flags.json) printJson(items);
        else {
          for (const i of items) if (i.outcome === 'restored' || i.outcome === 'removed') print(`${i.outcome} ${i.path}`);
          for (const p of tally.problems) process.stderr.write(`error: ${p.message}\n`);
          print(`${tally.restored} restored, ${tally.unchanged} unchanged, ${tally.problems.length} not available${tally.removed ? `, ${tally.removed} removed (no longer tracked)` : ''}${tally.kept ? `, ${tally.kept} kept (unsaved changes)` : ''}.`);
          for (const line of renderUnsaved(items, ['mlp checkout --force', ...targets].join(' '))) process.stderr.write(`${line}\n`);
          if (tally.problems.length > 0) process.stderr.write(`${MISSING_DATA_HINT}\n`);
        }
        process.exitCode = tally.exitCode;
      });
    });

  program
    .command('remove')
    .description('stop tracking: delete .mlp pointer files, or remove stages from pipeline.yaml and pipeline.lock (the cache keeps the data)')
    .argument('<targets...>', 'pointer files (or the data they track), stage or foreach/matrix group names')
    .option('--outs', 'also delete the data / the stages\' outputs from the workspace (only what the cache holds, unless --force)')
    .option('-f, --force', 'with --outs: delete even content that is not saved in the cache')
    .action(async (targets: string[], flags: { outs?: boolean; force?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { removeTargets } = await import('../data/remove.js');
        for (const r of removeTargets(repo, targets, { outs: flags.outs === true, force: flags.force === true })) {
          print(`Removed ${r.kind === 'stage' ? `stage '${r.target}'` : r.target}${r.deleted.length > 0 ? ` and deleted ${r.deleted.join(', ')}` : ''}`);
        }
      });
    });

  program
    .command('move')
    .alias('mv')
    .description('move or rename data tracked by a .mlp file, with its pointer file and .gitignore line')
    .argument('<src>', 'the tracked data (or its .mlp file)')
    .argument('<dst>', 'the new path (or an existing directory to move it into)')
    .action(async (src: string, dst: string) => {
      await withRepo(commandLine(), async (repo) => {
        const { moveTracked } = await import('../data/remove.js');
        const moved = moveTracked(repo, src, dst);
        print(`Moved ${moved.from} -> ${moved.to} (${moved.pointerFrom} -> ${moved.pointerTo})`);
        print(`To track the change with git, run:\n    git add ${moved.pointerTo} && git rm --cached -q ${moved.pointerFrom}`);
      });
    });

  program
    .command('gc')
    .description('remove cache objects (and, with -c, remote objects) that nothing in the given scope uses; the workspace is always kept')
    .option('-w, --workspace', 'keep what the workspace uses (pipeline.lock and the .mlp files as they are now)')
    .option('-a, --all-branches', 'also keep what the tip of every local branch uses')
    .option('-T, --all-tags', 'also keep what every tag uses')
    .option('-A, --all-commits', 'also keep what any commit uses (the safe choice)')
    .option('--rev <rev>', 'also keep what this commit, branch or tag uses (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('-c, --cloud', 'also remove the unused objects from a remote')
    .option('-r, --remote <name>', 'the remote for --cloud (default: core.remote)')
    .option('-j, --jobs <n>', 'remote requests in flight (default: sized for the remote)', parsePositiveInt)
    .option('-f, --force', 'do not ask for confirmation')
    .option('-n, --dry', 'only show what would be removed')
    .option('--json', 'print JSON')
    .action(async (flags: GcFlags) => {
      process.exitCode = await runGc(flags);
    });
}

interface GcFlags {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  rev: string[];
  cloud?: boolean;
  remote?: string;
  jobs?: number;
  force?: boolean;
  dry?: boolean;
  json?: boolean;
}

async function runGc(flags: GcFlags): Promise<number> {
  const { applyLocalGc, checkScope, collectReferences, describeScope, keepSet, localManifest, planLocalGc } = await import('../cache/gc.js');
  const scope = { workspace: flags.workspace === true, allBranches: flags.allBranches === true, allTags: flags.allTags === true, allCommits: flags.allCommits === true, revs: flags.rev };
  checkScope(scope);
  if (flags.remote !== undefined && !flags.cloud) throw new MlpError('-r/--remote only applies with -c/--cloud', { hint: 'add -c to clean the remote too', exitCode: ExitCode.usage });
  return withRepo(commandLine(), async (repo) => {
    const { formatBytes } = await import('../ui/render.js');
    const { refs, commits, saved } = collectReferences(repo, scope);
    const remote = flags.cloud ? await openGcRemote(repo, flags.remote) : undefined;
    try {
      const jobs = flags.jobs ?? remote?.backend.defaultJobs ?? 1;
      const remotePlan = remote ? await (await import('../remote/remote-gc.js')).planRemoteGc(repo, remote.backend, refs, jobs) : undefined;
      // After the remote plan: it may have fetched manifests of directories the cache lacked.
      const keep = keepSet(refs, (hash) => localManifest(repo, hash));
      const local = planLocalGc(repo, keep.hashes);
      const objects = (n: number): string => `${n} object${n === 1 ? '' : 's'}`;
      const temps = (plan: typeof local): string =>
        plan.temps.files > 0 ? `, and ${plan.temps.files} temp file${plan.temps.files === 1 ? '' : 's'} left by killed commands (${formatBytes(plan.temps.bytes)})` : '';
      const runs = (n: number): string => `${n} run-cache entr${n === 1 ? 'y' : 'ies'}`;
      const where = remote ? `remote '${remote.spec.name}' (${remote.spec.url})` : '';
      const lines = [
        `Keeping what ${describeScope(scope)} use${commits > 0 ? ` (${commits} commit${commits === 1 ? '' : 's'})` : 's'}${saved > 0 ? `, and ${saved} saved output${saved === 1 ? '' : 's'} (.mlp/cache/saved)` : ''}: ${objects(local.kept)} in the cache.`,
        `${flags.dry ? 'Would remove' : 'To remove'} from the cache: ${objects(local.remove.length)} (${formatBytes(local.bytes)}) and ${runs(local.runs.length)}${temps(local)}.`,
      ];
      if (remotePlan) lines.push(`${flags.dry ? 'Would remove' : 'To remove'} from ${where}: ${objects(remotePlan.remove.length)} (${formatBytes(remotePlan.bytes)}); ${remotePlan.kept} kept.`);
      const unknown = remotePlan?.unknownManifests.length ?? keep.unknownManifests.length;
      const warning = unknown > 0
        ? `warning: the file lists of ${unknown} director${unknown === 1 ? 'y' : 'ies'} in the scope are not in the cache${remote ? ' nor on the remote' : ''}, so their files cannot be recognised: those that nothing else uses are removed`
        : undefined;
      const result = {
        scope: describeScope(scope),
        dryRun: flags.dry === true,
        removed: local.remove.length,
        bytesFreed: local.bytes,
        kept: local.kept,
        runsRemoved: local.runs.length,
        tempFiles: local.temps.files,
        tempBytes: local.temps.bytes,
        ...(remotePlan && remote ? { remote: { name: remote.spec.name, url: remote.spec.url, removed: remotePlan.remove.length, bytesFreed: remotePlan.bytes, kept: remotePlan.kept } } : {}),
      };
      const nothing = local.remove.length + local.runs.length + local.temps.files + (remotePlan?.remove.length ?? 0) === 0;
      if (!flags.json) {
        // With -f the plan is the result: only what is kept is said before removing.
        for (const line of flags.force && !flags.dry && !nothing ? lines.slice(0, 1) : lines) print(line);
        if (warning) process.stderr.write(`${warning}\n`);
      }
      if (flags.dry || nothing) {
        if (flags.json) printJson(result);
        else print(nothing ? 'Nothing to remove.' : 'Dry run: nothing was removed.');
        return ExitCode.ok;
      }
      if (!flags.force) {
        const { canAsk, confirm } = await import('./confirm.js');
        if (!canAsk()) {
          throw new MlpError('gc removes data for good and there is no terminal to ask for confirmation', {
            hint: 'pass -f/--force to remove it, or --dry to only see what would go',
            exitCode: ExitCode.usage,
          });
        }
        if (!(await confirm('Remove them?'))) {
          print('Nothing was removed.');
          return ExitCode.failure;
        }
      }
      if (remotePlan && remote) {
        const { applyRemoteGc } = await import('../remote/remote-gc.js');
        await applyRemoteGc(remote.backend, remotePlan, jobs);
      }
      applyLocalGc(repo, local);
      if (flags.json) printJson(result);
      else {
        print(`Removed ${objects(local.remove.length)} (${formatBytes(local.bytes)}) and ${runs(local.runs.length)}${temps(local)} from the cache.`);
        if (remotePlan) print(`Removed ${objects(remotePlan.remove.length)} (${formatBytes(remotePlan.bytes)}) from ${where}.`);
      }
      return ExitCode.ok;
    } finally {
      await remote?.backend.close();
    }
  });
}

async function openGcRemote(repo: Repo, name: string | undefined) {
  const { openRemote } = await import('./remote-commands.js');
  return openRemote(repo, name);
}
