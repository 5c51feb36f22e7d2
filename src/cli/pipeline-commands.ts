/** `mlp init`, `repro`, `status`, `dag`, `commit`. */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ExitCode } from '../errors.js';
import { commandLine, print, printJson, warn, withRepo } from './context.js';
import { parsePositiveInt } from './options.js';
import { EXECUTOR_NAMES, type ExecutorName } from '../pipeline/types.js';

interface ReproFlags {
  force?: boolean;
  singleItem?: boolean;
  dry?: boolean;
  jobs?: number;
  explain?: boolean;
  runCache: boolean;
  keepGoing?: boolean;
  pull?: boolean;
  remote?: string;
  verbose?: boolean;
  downstream?: boolean;
  recursive?: boolean;
  glob?: boolean;
  allPipelines?: boolean;
  quiet?: boolean;
  track?: string;
  executor?: ExecutorName;
}

function parseExecutorName(value: string): ExecutorName {
  if ((EXECUTOR_NAMES as readonly string[]).includes(value)) return value as ExecutorName;
  throw new InvalidArgumentError(`must be one of ${EXECUTOR_NAMES.join(', ')}`);
}

export function registerPipelineCommands(program: Command): void {
  program
    .command('init')
    .description('create .mlp/ in the current directory')
    .option('--from-dvc', 'convert the DVC project here (the same as `mlp migrate`)')
    .option('--dry-run', 'with --from-dvc: show what would be converted, without writing anything')
    .action(async (flags: { fromDvc?: boolean; dryRun?: boolean }) => {
      if (flags.fromDvc) {
        const { runMigrate } = await import('./migrate-command.js');
        process.exitCode = await runMigrate({ dryRun: flags.dryRun === true });
        return;
      }
      const { Repo } = await import('../repo/repo.js');
      const enclosing = enclosingRepoRoot(Repo, process.cwd());
      if (enclosing !== undefined) {
        // A second .mlp/ here would split one project's cache, config and lock in two.
        print(`Already inside the mlp repository at ${enclosing}: mlp commands here use its .mlp/; nothing to do.`);
        return;
      }
      const { created } = Repo.init(process.cwd());
      print(created ? 'Initialized mlp repository in .mlp/ — commit .mlp/config.yaml and .mlp/.gitignore.' : '.mlp/ already exists; nothing to do.');
      const { isDvcProject } = await import('../migrate/migrate.js');
      if (isDvcProject(process.cwd()) && !fs.existsSync('pipeline.yaml')) {
        // An empty mlp repository next to a DVC pipeline would report "up to date" for nothing.
        print('This is a DVC project: `mlp migrate` converts dvc.yaml, dvc.lock, the .dvc files, remotes and the DVC cache (`--dry-run` shows what it would do).');
      }
    });

  program
    .command('repro')
    .description('run the stale stages of the pipeline (or of the targets and what they depend on)')
    .argument('[targets...]', 'stages (name, group, pipeline.yaml:name), output paths, pipeline or pointer files')
    .option('-f, --force', 'run the selected stages even if they are up to date')
    .option('-s, --single-item', 'run only the targets, not the stages they depend on')
    .option('--downstream', 'run the targets and the stages that depend on them, not the stages they depend on')
    .option('-R, --recursive', 'a directory target means every pipeline and pointer file below it')
    .option('--glob', 'targets may use shell-style wildcards (*, ?, [abc]) to match stage names')
    .option('-P, --all-pipelines', 'run every stage of every pipeline, whatever the targets')
    .option('-q, --quiet', "print nothing but errors (stage commands' own output still shows)")
    .option('--dry', 'show what would run, and why, without running anything')
    .option('-j, --jobs <n>', 'stages to run at once (default: core.jobs, else the number of CPUs)', parsePositiveInt)
    .option('--explain', 'print why each stage is stale or up to date')
    .option('-k, --keep-going', 'after a failure, keep running stages that do not depend on it')
    .option('--no-run-cache', 'always run stale stages instead of restoring known results from the cache')
    .option('--pull', 'first fetch missing deps, outputs and run-cache entries from the remote')
    .option('-r, --remote <name>', 'the remote for --pull (default: core.remote)')
    .option('--track <backend>', 'log every stage that runs to this tracking backend (none, mlflow, wandb) instead of tracking.backend')
    .option('--executor <name>', 'run every selected stage with this executor (local, slurm), whatever pipeline.yaml and the config say', parseExecutorName)
    .option('-v, --verbose', 'print the stack trace of an internal error')
    .action(async (targets: string[], _flags: ReproFlags, command: Command) => {
      // -v may also come before `repro`, as a global option.
      const flags = command.optsWithGlobals<ReproFlags>();
      const track = flags.track === undefined ? undefined : (await import('../tracking/settings.js')).parseBackend(flags.track);
      process.exitCode = await withRepo(flags.dry ? undefined : commandLine(), async (repo) => {
        if (flags.pull) {
          const { pullBeforeRepro } = await import('./remote-commands.js');
          await pullBeforeRepro(repo, targets, flags.remote, flags.singleItem === true, flags.runCache);
        }
        const { runRepro } = await import('./repro-command.js');
        return runRepro(repo, targets, {
          force: flags.force === true,
          single: flags.singleItem === true,
          downstream: flags.downstream === true,
          recursive: flags.recursive === true,
          glob: flags.glob === true,
          allPipelines: flags.allPipelines === true,
          quiet: flags.quiet === true,
          dry: flags.dry === true,
          jobs: flags.jobs,
          explain: flags.explain === true,
          keepGoing: flags.keepGoing === true,
          runCache: flags.runCache,
          verbose: flags.verbose === true,
          executor: flags.executor,
          track,
        });
      });
    });

  program
    .command('status')
    .description('show which stages are stale and why, and which tracked data changed')
    .argument('[targets...]', 'stages to check (with what they depend on), outputs, pointer files or tracked paths')
    .option('-R, --recursive', 'a directory target means every pipeline and pointer file below it')
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print nothing; exit 1 if anything is stale')
    .option('-c, --cloud', 'compare the cache with a remote instead: what to push, what to pull (reads only)')
    .option('-r, --remote [name]', 'the remote to compare with (default: core.remote); implies --cloud')
    .action(async (targets: string[], flags: { json?: boolean; quiet?: boolean; cloud?: boolean; remote?: string | boolean; recursive?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        // `--remote` alone (the old spelling of -c) means the default remote.
        if (flags.cloud || flags.remote !== undefined) {
          const { runRemoteStatus } = await import('./remote-commands.js');
          process.exitCode = await runRemoteStatus(repo, targets, typeof flags.remote === 'string' ? flags.remote : undefined, flags.json === true);
          return;
        }
        const { status } = await import('../repro/status.js');
        const { renderStatus, statusJson } = await import('../ui/render.js');
        const report = status(repo, targets, { recursive: flags.recursive === true });
        const dirty = report.stages.some((s) => s.state === 'stale') || report.data.some((d) => d.state !== 'up-to-date');
        if (flags.quiet) process.exitCode = dirty ? ExitCode.failure : ExitCode.ok;
        else if (flags.json) printJson(statusJson(report));
        else process.stdout.write(renderStatus(report));
      });
    });

  program
    .command('dag')
    .description('show the stage graph (of a target and what it depends on)')
    .argument('[target]', 'a stage or output: show it and the stages it depends on')
    .addOption(new Option('--dot', 'Graphviz DOT').conflicts(['mermaid', 'json']))
    .addOption(new Option('--mermaid', 'Mermaid flowchart').conflicts(['json']))
    .option('--json', 'JSON: stages in run order and edges')
    .option('--full', "with a target: the whole graph it belongs to, not only what it depends on")
    .option('-o, --outs', 'show outputs (an edge when the stage writing one reads the other) instead of stages')
    .action(async (target: string | undefined, flags: { dot?: boolean; mermaid?: boolean; json?: boolean; full?: boolean; outs?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { buildDag, connectedStages, outputsDag, subDag } = await import('../pipeline/dag.js');
        const { requirePipeline } = await import('../pipeline/load.js');
        const { selectTargetStages } = await import('../pipeline/targets.js');
        const { renderDag } = await import('../ui/render.js');
        const format = flags.dot ? 'dot' : flags.mermaid ? 'mermaid' : flags.json ? 'json' : 'text';
        const pipeline = requirePipeline(repo.pipeline);
        const dag = buildDag(pipeline);
        let names = target === undefined ? dag.order : selectTargetStages(pipeline, dag, [target], { tracked: () => repo.pointers() });
        if (target !== undefined && flags.full) names = connectedStages(dag, names);
        process.stdout.write(renderDag(flags.outs ? outputsDag(pipeline, names) : subDag(dag, names), format));
      });
    });

  for (const frozen of [true, false]) {
    program
      .command(frozen ? 'freeze' : 'unfreeze')
      .description(frozen ? 'mark stages frozen: repro and status leave them as they are' : 'clear the frozen mark of stages')
      .argument('<stages...>', 'stage or foreach/matrix group names')
      .action(async (names: string[]) => {
        await withRepo(commandLine(), async (repo) => {
          const { setFrozen } = await import('../pipeline/edit.js');
          const { requirePipeline } = await import('../pipeline/load.js');
          for (const r of setFrozen(requirePipeline(repo.pipeline), names, frozen)) {
            print(r.changed ? `${frozen ? 'Froze' : 'Unfroze'} '${r.name}' in ${r.file}` : `'${r.name}' was already ${frozen ? 'frozen' : 'not frozen'}`);
          }
        });
      });
  }

  program
    .command('commit')
    .description('record the current outputs of stages and tracked data in the cache and pipeline.lock / the .mlp files, without running anything')
    .argument('[targets...]', 'stages, outputs, pointer files or tracked paths (default: everything)')
    .option('-d, --with-deps', 'also the stages the targets depend on')
    .option('-R, --recursive', 'a directory target means every pipeline and pointer file below it')
    .action(async (targets: string[], flags: { withDeps?: boolean; recursive?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { commitStages } = await import('../repro/commit-stages.js');
        const results = await commitStages(repo, targets, { withDeps: flags.withDeps === true, recursive: flags.recursive === true });
        const changed = results.filter((r) => r.changed);
        for (const r of changed) print(`Recorded ${r.name}`);
        for (const r of results) if (r.warning) warn(`stage '${r.name}': ${r.warning}`);
        print(`${changed.length} changed, ${results.length - changed.length} already recorded.`);
      });
    });

}

/** The root of an mlp repository above `cwd` (not `cwd` itself), if there is one. */
function enclosingRepoRoot(Repo: { find(cwd: string): { root: string } }, cwd: string): string | undefined {
  const parent = path.dirname(path.resolve(cwd));
  if (parent === path.resolve(cwd)) return undefined;
  try {
    return Repo.find(parent).root;
  } catch {
    return undefined;
  }
}
