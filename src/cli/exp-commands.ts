/** `mlp exp run|save|show|diff|apply|branch|remove|list`: experiments as git commits under refs/exps. */
import { Option, type Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { commandLine, print, printJson, warn, withRepo } from './context.js';
import { parsePositiveInt } from './options.js';
import { registerQueueCommands } from './queue-commands.js';
import { plural } from '../ui/plural.js';

interface RunFlags {
  setParam: string[];
  name?: string;
  force?: boolean;
  singleItem?: boolean;
  jobs?: number;
  explain?: boolean;
  keepGoing?: boolean;
  runCache: boolean;
  verbose?: boolean;
  queue?: boolean;
  temp?: boolean;
  track?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function short(commit: string): string {
  return commit.slice(0, 7);
}

/** `main (1a2b3c4)` or `1a2b3c4` on a detached HEAD. */
async function baselineLabel(repo: Repo, baseline: string): Promise<string> {
  const { GitRepo } = await import('../git/git.js');
  const branch = GitRepo.open(repo.root).currentBranch();
  return branch ? `${branch} (${short(baseline)})` : short(baseline);
}

/** Untracked files are not part of an experiment: say which, once, so nobody is surprised. */
function warnLeftOut(files: readonly string[]): void {
  if (files.length === 0) return;
  const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? `, … (${files.length - 5} more)` : '');
  warn(`${files.length} untracked file${files.length > 1 ? 's are' : ' is'} not part of the experiment: ${shown}; \`git add\` ${files.length > 1 ? 'them' : 'it'} (no commit needed) to include ${files.length > 1 ? 'them' : 'it'}, or ignore ${files.length > 1 ? 'them' : 'it'} in .gitignore`);
}

/**
 * `exp run --queue` and `--temp`: each combination is committed as it would run (the workspace
 * with its params; the workspace itself is not written) and queued; `--temp` then runs them here,
 * one after the other, each in its own worktree like a queued one.
 */
async function queueRuns(repo: Repo, targets: string[], flags: RunFlags): Promise<number> {
  const { GitRepo } = await import('../git/git.js');
  const { experimentFiles, planExpRun, runParamTexts, runMessage } = await import('../exp/run.js');
  const { describeAssignment } = await import('../exp/param-overrides.js');
  const { commitWorkspace, freeGeneratedName } = await import('../exp/store.js');
  const { addToQueue, removeQueueItems, takenNames } = await import('../exp/queue.js');
  const plan = planExpRun(repo.root, flags.setParam, flags.name, flags.force === true);
  const git = GitRepo.open(repo.root);
  repo.reloadPipeline();
  const include = experimentFiles(repo.pipeline, plan.originals.keys());
  let taken: Set<string> | undefined;
  const enqueue = (run: (typeof plan.runs)[number], first: boolean): ReturnType<typeof addToQueue> => {
    const committed = commitWorkspace(repo.root, { tmpDir: repo.tmpDir, include, message: runMessage(run.assignments), replace: runParamTexts(plan.originals, run.assignments) });
    taken ??= takenNames(git, repo.tmpDir, committed.baseline);
    const name = run.name ?? freeGeneratedName(git, committed.baseline, committed.commit, taken);
    taken.add(name);
    const entry = {
      name,
      commit: committed.commit,
      baseline: committed.baseline,
      params: run.assignments.map(describeAssignment),
      targets,
      options: { force: flags.force === true, runCache: flags.runCache, singleItem: flags.singleItem === true, ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}), ...(flags.track !== undefined ? { track: flags.track } : {}) },
      queued: new Date().toISOString(),
    };
    // --temp claims the entry at once: a queue worker must not take it meanwhile.
    const item = addToQueue(git, repo.tmpDir, entry, flags.temp ? process.pid : undefined);
    if (first) warnLeftOut(committed.leftOut);
    return item;
  };
  if (flags.queue) {
    for (const [i, run] of plan.runs.entries()) {
      const item = enqueue(run, i === 0);
      print(`Queued experiment '${item.name}'${item.params.length ? ` (${item.params.join(' ')})` : ''}.`);
    }
    print(`Run ${plan.runs.length === 1 ? 'it' : 'them'} with \`mlp queue start\` (-j N: N at a time); follow with \`mlp queue status\`.`);
    return ExitCode.ok;
  }
  const { runJob } = await import('../exp/queue-job.js');
  const { launcher } = await import('./queue-commands.js');
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const [i, run] of plan.runs.entries()) {
      if (plan.runs.length > 1) print(`Experiment ${i + 1} of ${plan.runs.length}: ${run.assignments.map(describeAssignment).join(' ')}`);
      const item = enqueue(run, i === 0);
      const result = await runJob(repo.root, item, { launcher: launcher(), cacheDir: repo.cacheDir, signal: controller.signal, onOutput: (chunk) => process.stdout.write(chunk) });
      if (result.status !== 'success') {
        const left = plan.runs.length - i - 1;
        process.stderr.write(`error: experiment '${item.name}' ${result.status}: not saved; its log stays: \`mlp queue logs ${item.name}\`${left ? `; ${left} more not run` : ''}\n`);
        return result.status === 'killed' ? ExitCode.interrupted : typeof result.exitCode === 'number' && result.exitCode !== 0 ? (result.exitCode as ExitCode) : ExitCode.failure;
      }
      // Done and saved: a temporary run leaves nothing in the queue.
      removeQueueItems(git, [{ ...item, status: 'success' }]);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return ExitCode.ok;
}

interface ShareFlags {
  allCommits?: boolean;
  force?: boolean;
  cache: boolean;
  remote?: string;
  jobs?: number;
}

/** `exp push` / `exp pull`: the refs through git, then the outputs through the mlp remote. */
async function shareExperiments(repo: Repo, command: 'push' | 'pull', gitRemote: string, names: string[], flags: ShareFlags): Promise<number> {
  const { GitRepo } = await import('../git/git.js');
  const { baselineCommit, listExperiments } = await import('../exp/store.js');
  const { fetchExperimentRefs, pushExperimentRefs, recordedPathsAt, remoteExperiments, selectExperiments } = await import('../exp/share.js');
  const git = GitRepo.open(repo.root);
  const head = baselineCommit(git);
  const available = command === 'push' ? listExperiments(git) : remoteExperiments(git, gitRemote);
  const where = command === 'push' ? 'here' : `on '${gitRemote}'`;
  const chosen = selectExperiments(available, names, head, flags.allCommits === true, where);
  if (chosen.length === 0) {
    print(`No experiments ${where}${flags.allCommits ? '' : ` of ${short(head)}`} to ${command}${flags.allCommits ? '' : ' (-A: those of every baseline)'}.`);
    return ExitCode.ok;
  }
  const outcomes = command === 'push' ? pushExperimentRefs(git, gitRemote, chosen, flags.force === true) : fetchExperimentRefs(git, gitRemote, chosen, flags.force === true);
  const verb = command === 'push' ? 'Pushed' : 'Pulled';
  for (const o of outcomes) {
    if (o.result === 'rejected') continue;
    print(o.result === 'same' ? `Experiment '${o.name}' (${short(o.commit)}) is already ${command === 'push' ? `on '${gitRemote}'` : 'here'}.` : `${verb} experiment '${o.name}' (${short(o.commit)}) ${command === 'push' ? 'to' : 'from'} '${gitRemote}'.`);
  }
  const rejected = outcomes.filter((o) => o.result === 'rejected');
  for (const o of rejected) process.stderr.write(`error: experiment '${o.name}' was not ${command === 'push' ? 'pushed' : 'pulled'}: ${o.message ?? 'rejected'}\n`);
  if (rejected.length > 0) process.stderr.write(`hint: ${command === 'push' ? `'${gitRemote}'` : 'this repository'} has another experiment of that name and baseline; rerun with -f to replace it\n`);
  let code: number = rejected.length > 0 ? ExitCode.failure : ExitCode.ok;
  const shared = outcomes.filter((o) => o.result !== 'rejected');
  if (!flags.cache || shared.length === 0) return code;
  if (flags.remote === undefined && Object.keys(repo.config.remotes ?? {}).length === 0) {
    print('No mlp remote is configured: only the git refs were shared (add one with `mlp remote add -d <name> <url>`).');
    return code;
  }
  // Each object once, whichever experiments record it.
  const wanted = new Map<string, import('../lock/recorded-path.js').RecordedPath>();
  for (const o of shared) for (const r of recordedPathsAt(git, o.commit)) if (!wanted.has(r.info.hash)) wanted.set(r.info.hash, r);
  const { push, fetch } = await import('../remote/transfer.js');
  const { renderTransfer } = await import('../ui/remote.js');
  const { openRemote } = await import('./remote-commands.js');
  const { backend, spec } = await openRemote(repo, flags.remote);
  try {
    const options = { jobs: flags.jobs, wanted: [...wanted.values()] };
    const summary = command === 'push' ? await push(repo, backend, [], options) : await fetch(repo, backend, [], options);
    const rendered = renderTransfer(command === 'push' ? 'push' : 'fetch', spec.name, summary, undefined);
    for (const line of rendered.out) print(line);
    for (const line of rendered.err) process.stderr.write(`${line}\n`);
    if (summary.failures.length > 0) code = ExitCode.failure;
  } finally {
    await backend.close();
  }
  if (command === 'pull' && code === ExitCode.ok && shared.length > 0) print(`Bring one into the workspace with \`mlp exp apply ${shared[0]?.name}\`.`);
  return code;
}

export function registerExpCommands(program: Command): void {
  registerQueueCommands(program);
  const exp = program.command('exp').description('run, save, compare and apply experiments (git commits under refs/exps, never on your branch)');

  exp
    .command('run')
    .description('set params, reproduce the pipeline and save the result as an experiment (a sweep runs every combination)')
    .argument('[targets...]', 'stages to reproduce (default: the whole pipeline)')
    .option('-S, --set-param <[file:]key=value>', "set a param for this run; sweeps: 'k=a,b,c' or 'k=range(start,stop[,step])' (repeatable; the runs are the product)", collect, [])
    .option('-n, --name <name>', 'the experiment name (a sweep adds -1, -2, …; default: generated)')
    .option('-f, --force', 'run the stages even if they are up to date, and replace an experiment of the same name')
    .option('-s, --single-item', 'run only the targets, not the stages they depend on')
    .option('-j, --jobs <n>', 'stages to run at once (default: core.jobs, else the number of CPUs)', parsePositiveInt)
    .option('--explain', 'print why each stage is stale or up to date')
    .option('-k, --keep-going', 'after a failure, keep running stages that do not depend on it (the experiment is still not saved)')
    .option('--no-run-cache', 'always run stale stages instead of restoring known results from the cache')
    .option('--track <backend>', 'log every stage that runs to this tracking backend (none, mlflow, wandb) instead of tracking.backend')
    .option('-v, --verbose', 'print the stack trace of an internal error')
    .addOption(new Option('--queue', 'queue the runs instead of running them (each in its own worktree; run them with `mlp queue start`)').conflicts('temp'))
    .option('--temp', 'run in a temporary worktree instead of the workspace (the workspace stays as it is)')
    .action(async (targets: string[], _flags: RunFlags, command: Command) => {
      const flags = command.optsWithGlobals<RunFlags>();
      const track = flags.track === undefined ? undefined : (await import('../tracking/settings.js')).parseBackend(flags.track);
      if (flags.queue || flags.temp) {
        process.exitCode = await withRepo(undefined, (repo) => queueRuns(repo, targets, flags));
        return;
      }
      process.exitCode = await withRepo(commandLine(), async (repo) => {
        const { experimentFiles, planExpRun, writeRunParams, runMessage } = await import('../exp/run.js');
        const { describeAssignment } = await import('../exp/param-overrides.js');
        const { saveExperiment } = await import('../exp/store.js');
        const { runRepro } = await import('./repro-command.js');
        const plan = planExpRun(repo.root, flags.setParam, flags.name, flags.force === true);
        const saved: string[] = [];
        for (const [i, run] of plan.runs.entries()) {
          if (plan.runs.length > 1) print(`Experiment ${i + 1} of ${plan.runs.length}: ${run.assignments.map(describeAssignment).join(' ')}`);
          writeRunParams(repo.root, plan.originals, run.assignments);
          repo.reloadPipeline();
          const code = await runRepro(repo, targets, {
            force: flags.force === true,
            single: flags.singleItem === true,
            dry: false,
            jobs: flags.jobs,
            explain: flags.explain === true,
            keepGoing: flags.keepGoing === true,
            runCache: flags.runCache,
            verbose: flags.verbose === true,
            track,
            experiment: run.name,
          });
          if (code !== ExitCode.ok) {
            const left = plan.runs.length - i - 1;
            const what = code === ExitCode.interrupted ? 'the run was interrupted' : 'the run failed';
            process.stderr.write(`error: ${what}: experiment not saved${left > 0 ? `; ${plural(left, 'more combination')} not run` : ''}\n`);
            return code;
          }
          repo.reloadPipeline(); // writes pipeline.lock, so the experiment holds this run's lock
          const include = experimentFiles(repo.pipeline, plan.originals.keys());
          const experiment = saveExperiment(repo.root, { name: run.name, force: flags.force === true, message: runMessage(run.assignments), tmpDir: repo.tmpDir, include });
          saved.push(experiment.name);
          print(`Saved experiment '${experiment.name}' (${short(experiment.commit)}) of ${await baselineLabel(repo, experiment.baseline)}.`);
          if (i === 0) warnLeftOut(experiment.leftOut);
        }
        if (saved.length > 0) print(`Compare with \`mlp exp show\`; bring one into the workspace with \`mlp exp apply ${saved.at(-1)}\`.`);
        return ExitCode.ok;
      });
    });

  exp
    .command('save')
    .description('save the workspace as it is (params, pipeline.lock, pointer files, metrics) as an experiment of HEAD')
    .option('-n, --name <name>', 'the experiment name (default: generated)')
    .option('-f, --force', 'replace an experiment of the same name')
    .action(async (flags: { name?: string; force?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { saveExperiment } = await import('../exp/store.js');
        const { experimentFiles } = await import('../exp/run.js');
        // A journal left by an interrupted repro is folded into pipeline.lock first, so that the
        // experiment holds the lock as mlp sees it.
        void repo.lock;
        repo.reloadPipeline();
        const include = experimentFiles(repo.pipeline);
        const experiment = saveExperiment(repo.root, { name: flags.name, force: flags.force === true, message: 'mlp exp save', tmpDir: repo.tmpDir, include });
        print(`Saved experiment '${experiment.name}' (${short(experiment.commit)}) of ${await baselineLabel(repo, experiment.baseline)}.`);
        warnLeftOut(experiment.leftOut);
      });
    });

  exp
    .command('show')
    .description('a table of the workspace, the baseline (HEAD) and its experiments, with their metrics and params')
    .addOption(new Option('--json', 'print JSON (every column)').conflicts(['csv', 'md']))
    .addOption(new Option('--csv', 'print CSV (every column)').conflicts(['md']))
    .option('--md', 'print a Markdown table')
    .option('--only-changed', 'only the metrics and params whose values differ between the rows')
    .option('--sort-by <name>', 'sort experiments by this metric or param (its column name, or file:key)')
    .addOption(new Option('--sort-order <order>', 'with --sort-by').choices(['asc', 'desc']).default('asc'))
    .option('-A, --all-commits', "also every earlier commit of HEAD's history and its experiments")
    .option('-n, --num <n>', "the last n commits of HEAD's history and their experiments (default 1: HEAD)", parsePositiveInt)
    .option('--param <glob>', "only the params matching (key, or file:key; '*' any text); '!glob' leaves them out (repeatable)", collect, [])
    .option('--metric <glob>', "only the metrics matching (key, or file:key; '*' any text); '!glob' leaves them out (repeatable)", collect, [])
    .action(async (flags: { json?: boolean; csv?: boolean; md?: boolean; onlyChanged?: boolean; sortBy?: string; sortOrder: 'asc' | 'desc'; allCommits?: boolean; num?: number; param: string[]; metric: string[] }) => {
      await withRepo(undefined, async (repo) => {
        const { showExperiments } = await import('../exp/show.js');
        const { expShowJson, renderExpShow } = await import('../ui/exp.js');
        let workspacePipeline;
        try {
          workspacePipeline = repo.pipeline;
        } catch {
          workspacePipeline = undefined; // a broken pipeline.yaml: its row says why
        }
        const rows = showExperiments(repo.root, (hash) => repo.objects.objectPath(hash), { allCommits: flags.allCommits === true, commits: flags.num, workspacePipeline });
        const sort = { sortBy: flags.sortBy, sortOrder: flags.sortOrder, onlyChanged: flags.onlyChanged === true, params: flags.param, metrics: flags.metric };
        if (flags.json) {
          printJson(expShowJson(rows, sort));
          return;
        }
        const format = flags.csv ? 'csv' : flags.md ? 'md' : 'text';
        // On a terminal the table fits its width; piped, every column is printed.
        const width = format === 'text' && process.stdout.isTTY ? (process.stdout.columns ?? 80) : undefined;
        process.stdout.write(renderExpShow(rows, { ...sort, format, width }));
      });
    });

  exp
    .command('diff')
    .description('compare the params and metrics of two experiments or revisions (default: HEAD and the workspace; one: it and the workspace)')
    .argument('[a]', 'old experiment or revision (default HEAD)')
    .argument('[b]', 'new experiment or revision (default: the workspace)')
    .addOption(new Option('--json', 'print JSON').conflicts('md'))
    .option('--md', 'print Markdown tables')
    .option('--all', 'include params and metrics that did not change')
    .action(async (a: string | undefined, b: string | undefined, flags: { json?: boolean; md?: boolean; all?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { GitRepo } = await import('../git/git.js');
        const { RevisionSource, WorkspaceSource } = await import('../git/file-source.js');
        const { resolveExperimentOrRevision } = await import('../exp/store.js');
        const { diffParams } = await import('../params/params-diff.js');
        const { diffMetrics } = await import('../metrics/metrics.js');
        const { DEFAULT_PRECISION, diffJson, renderMetricsDiff, renderParamsDiff } = await import('../ui/compare.js');
        const git = GitRepo.open(repo.root);
        const source = (name: string): InstanceType<typeof RevisionSource> => {
          const r = resolveExperimentOrRevision(git, name);
          return new RevisionSource(git, r.label, r.commit);
        };
        const old = source(a ?? 'HEAD');
        const now = b === undefined ? new WorkspaceSource(repo.root) : source(b);
        const params = diffParams(repo.root, old, now);
        const metrics = diffMetrics(repo.root, old, now, [], (hash) => repo.objects.objectPath(hash));
        const all = flags.all === true;
        if (flags.json) {
          printJson({ params: diffJson(params.params, all, false), metrics: diffJson(metrics.metrics, all, true) });
          return;
        }
        const format = flags.md ? 'md' : 'text';
        process.stdout.write(renderParamsDiff(params, { all, format }));
        process.stdout.write('\n');
        process.stdout.write(renderMetricsDiff(metrics, { all, format, precision: DEFAULT_PRECISION }));
      });
    });

  exp
    .command('apply')
    .description("bring an experiment's params, lock and metrics into the workspace and restore its outputs (HEAD and the index stay)")
    .argument('<name>', 'the experiment')
    .option('-f, --force', 'overwrite workspace files even when their changes are saved nowhere (discards them)')
    .action(async (name: string, flags: { force?: boolean }) => {
      await withRepo(commandLine(), async (repo) => {
        const { GitRepo } = await import('../git/git.js');
        const { applyExperiment } = await import('../exp/apply.js');
        const { baselineCommit, requireExperiment } = await import('../exp/store.js');
        const { checkoutWorkspace } = await import('../data/checkout-workspace.js');
        const { MISSING_DATA_HINT, renderUnsaved, tallyCheckout } = await import('../ui/unsaved.js');
        const git = GitRepo.open(repo.root);
        const experiment = requireExperiment(git, name);
        const head = baselineCommit(git);
        if (experiment.baseline !== head) warn(`experiment '${name}' was run from ${short(experiment.baseline)}, not from HEAD (${short(head)}): its files replace what HEAD has`);
        const result = applyExperiment(git, experiment, head, { force: flags.force === true });
        repo.reloadPipeline();
        const items = checkoutWorkspace(repo, [], { force: flags.force === true });
        const tally = tallyCheckout(items);
        for (const c of result.changed) print(`${c.action === 'written' ? 'updated' : 'deleted'} ${c.path}`);
        for (const i of items) if (i.outcome === 'restored') print(`restored ${i.path}`);
        for (const p of tally.problems) process.stderr.write(`error: ${p.message}\n`);
        print(`Applied experiment '${experiment.name}': ${plural(result.changed.length, 'file')} changed, ${plural(tally.restored, 'output')} restored.`);
        for (const line of renderUnsaved(items, `mlp exp apply --force ${name}`)) process.stderr.write(`${line}\n`);
        if (tally.problems.length > 0) process.stderr.write(`${MISSING_DATA_HINT}\n`);
        process.exitCode = tally.exitCode;
      });
    });

  const shareCommand = (name: 'push' | 'pull', description: string): Command =>
    exp
      .command(name)
      .description(description)
      .argument('<git-remote>', 'a git remote (`git remote -v`), or a repository URL or path')
      .argument('[names...]', "experiments (default: those of HEAD's baseline)")
      .option('-A, --all-commits', 'the experiments of every baseline')
      .option('-f, --force', 'replace an experiment of the same name and baseline that holds another commit')
      .option('--no-cache', 'only the git refs, not the outputs')
      .option('-r, --remote <name>', 'mlp remote for the outputs (default: core.remote)')
      .option('-j, --jobs <n>', 'objects in flight (default: sized for the remote)', parsePositiveInt);
  shareCommand('push', 'send experiments to a git remote (their refs under refs/exps) and their outputs to the mlp remote').action(
    async (gitRemote: string, names: string[], flags: ShareFlags) => {
      process.exitCode = await withRepo(undefined, (repo) => shareExperiments(repo, 'push', gitRemote, names, flags));
    },
  );
  shareCommand('pull', 'get experiments from a git remote (their refs under refs/exps) and their outputs from the mlp remote into the cache').action(
    async (gitRemote: string, names: string[], flags: ShareFlags) => {
      process.exitCode = await withRepo(commandLine(), (repo) => shareExperiments(repo, 'pull', gitRemote, names, flags));
    },
  );

  exp
    .command('branch')
    .description('create a git branch at an experiment (to keep it, push it, or open a pull request)')
    .argument('<name>', 'the experiment')
    .argument('[branch]', 'the new branch (default: the experiment name)')
    .action(async (name: string, branch: string | undefined) => {
      await withRepo(undefined, async (repo) => {
        const { GitRepo } = await import('../git/git.js');
        const { branchExperiment, requireExperiment } = await import('../exp/store.js');
        const git = GitRepo.open(repo.root);
        const experiment = requireExperiment(git, name);
        branchExperiment(git, experiment, branch ?? name);
        print(`Created branch '${branch ?? name}' at experiment '${name}' (${short(experiment.commit)}). Switch to it with: git checkout ${branch ?? name}`);
      });
    });

  exp
    .command('remove')
    .alias('rm')
    .description('remove experiments (their refs; the outputs stay in the cache until `mlp gc`)')
    .argument('[names...]', 'experiments to remove')
    .option('--all', "every experiment of the baseline (HEAD)")
    .option('-A, --all-commits', 'every experiment of every baseline')
    .option('--queue', 'the queued experiments that have not started (as `mlp queue remove --queued`)')
    .action(async (names: string[], flags: { all?: boolean; allCommits?: boolean; queue?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { GitRepo } = await import('../git/git.js');
        const { baselineCommit, listExperiments, removeExperiments, requireExperiment } = await import('../exp/store.js');
        const git = GitRepo.open(repo.root);
        if (flags.queue) {
          const { listQueue, removeQueueItems } = await import('../exp/queue.js');
          const waiting = listQueue(repo.tmpDir).filter((i) => i.status === 'queued');
          removeQueueItems(git, waiting);
          print(waiting.length === 0 ? 'No queued experiments to remove.' : `Removed ${waiting.map((i) => i.name).join(', ')} from the queue.`);
          if (names.length === 0 && !flags.all && !flags.allCommits) return;
        }
        if (names.length === 0 && !flags.all && !flags.allCommits) {
          throw new MlpError('name the experiments to remove, or give --all or -A/--all-commits', { hint: '`mlp exp list` lists them', exitCode: ExitCode.usage });
        }
        if (names.length > 0 && (flags.all || flags.allCommits)) {
          throw new MlpError('give experiment names or --all/-A, not both', { exitCode: ExitCode.usage });
        }
        const experiments = flags.allCommits ? listExperiments(git) : flags.all ? listExperiments(git, [baselineCommit(git)]) : names.map((n) => requireExperiment(git, n));
        removeExperiments(git, experiments);
        print(experiments.length === 0 ? 'No experiments to remove.' : `Removed ${experiments.map((e) => e.name).join(', ')}.`);
      });
    });

  exp
    .command('clean')
    .description('remove what killed jobs, workers and runs left behind (job worktrees, queue refs of no entry, half-made entries, temp files); experiments, queued entries and logs stay')
    .option('--dry-run', 'only print what would be removed')
    .action(async (flags: { dryRun?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { cleanExperiments } = await import('../exp/clean.js');
        const { renderClean } = await import('../ui/queue.js');
        process.stdout.write(renderClean(cleanExperiments(repo.root, repo.tmpDir, { dryRun: flags.dryRun === true }), flags.dryRun === true));
      });
    });

  exp
    .command('list')
    .alias('ls')
    .description('list the experiments of the baseline (HEAD), or of every baseline')
    .option('-A, --all-commits', 'the experiments of every baseline')
    .option('--name-only', 'only the names, one per line')
    .option('--json', 'print JSON')
    .action(async (flags: { allCommits?: boolean; nameOnly?: boolean; json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { GitRepo } = await import('../git/git.js');
        const { baselineCommit, listExperiments } = await import('../exp/store.js');
        const { renderExpList } = await import('../ui/exp.js');
        const git = GitRepo.open(repo.root);
        const head = baselineCommit(git);
        const experiments = (flags.allCommits ? listExperiments(git) : listExperiments(git, [head])).sort((a, b) => (a.baseline === b.baseline ? 0 : a.baseline === head ? -1 : b.baseline === head ? 1 : a.baseline.localeCompare(b.baseline)));
        if (flags.json) {
          printJson(experiments.map((e) => ({ name: e.name, rev: e.commit, baseline: e.baseline, ref: e.ref, created: e.created.toISOString() })));
          return;
        }
        const labels = new Map<string, string>();
        const branch = git.currentBranch();
        if (branch) labels.set(head, branch);
        for (const ref of git.refs('branches')) if (!labels.has(ref.commit)) labels.set(ref.commit, ref.name);
        process.stdout.write(renderExpList(experiments, labels, flags.nameOnly === true));
      });
    });
}
