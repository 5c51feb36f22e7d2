/** Presentation of `mlp repro`: progress lines, stage output, the summary, the exit code. */
import type { ExecutorName } from '../pipeline/types.js';
import os from 'node:os';
import { Chalk } from 'chalk';
import { ExitCode } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import type { OutputSink } from '../executors/executor.js';
import { repro, type StageResult } from '../repro/repro.js';
import { describeReason } from '../ui/reasons.js';
import { renderStageFailure } from '../ui/stage-failure.js';
import { useColour } from '../ui/colour.js';
import { reproProgressUpdate, startProgress } from '../ui/progress.js';
import type { TrackingBackendName } from '../schema/config.js';
import type { TrackingSession } from '../tracking/session.js';

export interface ReproCliOptions {
  force: boolean;
  single: boolean;
  /** How targets select stages (optional: `exp run` selects as plain `repro`). */
  downstream?: boolean;
  recursive?: boolean;
  glob?: boolean;
  allPipelines?: boolean;
  /** `-q`: nothing on stdout; errors and the stage commands' own output still show. */
  quiet?: boolean;
  dry: boolean;
  jobs: number | undefined;
  explain: boolean;
  keepGoing: boolean;
  runCache: boolean;
  /** `-v`: stack traces of internal errors. */
  verbose: boolean;
  /** `--track <backend>`: this run's tracking backend instead of tracking.backend. */
  track?: TrackingBackendName;
  /** `--executor`: where every selected stage runs. */
  executor?: ExecutorName;
  /** The experiment this run belongs to (`exp run -n`), for the runs' tags. */
  experiment?: string;
}

const write = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function defaultJobs(repo: Repo): number {
  const configured = repo.config.core?.jobs;
  return typeof configured === 'number' && configured >= 1 ? Math.floor(configured) : os.availableParallelism();
}

export async function runRepro(repo: Repo, targets: string[], options: ReproCliOptions): Promise<number> {
  const out = options.quiet ? (): void => {} : write;
  const jobs = options.jobs ?? defaultJobs(repo);
  // Stage prefixes go to stdout and stderr alike: colour them only if both may carry colour.
  const colour = useColour(process.stdout) && useColour(process.stderr);
  const chalk = new Chalk({ level: colour ? 1 : 0 });
  const palette = [chalk.cyan, chalk.magenta, chalk.yellow, chalk.green, chalk.blue];
  const colours = new Map<string, (s: string) => string>();
  const output: OutputSink = {
    mode: jobs > 1 ? 'prefix' : 'inherit',
    line(stage, stream, text) {
      let paint = colours.get(stage);
      if (!paint) {
        paint = colour ? (palette[colours.size % palette.length] as (s: string) => string) : (s: string) => s;
        colours.set(stage, paint);
      }
      (stream === 'stdout' ? write : err)(`${paint(`[${stage}]`)} ${text}`);
    },
  };

  /** Results reported so far, to say why a skipped stage was skipped. */
  const seen = new Map<string, StageResult>();
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) err(`\n${signal}: stopping running stages (finished stages are kept)…`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The overall count on a terminal only: elsewhere the "Running" lines already log the run.
  const progress = await startProgress({ mode: options.quiet || options.dry ? 'off' : 'auto', lines: false });
  const running: string[] = [];
  let selected = 0;
  let settled = 0;
  const showProgress = (): void => progress.update(reproProgressUpdate(settled, selected, running));
  let tracking: TrackingSession | undefined;
  if (!options.dry) {
    const { trackingSettings } = await import('../tracking/settings.js');
    const settings = trackingSettings(repo.root, repo.config, process.env, options.track);
    if (settings.destination) tracking = (await import('../tracking/session.js')).TrackingSession.open(repo, settings, { experiment: options.experiment });
  }

  try {
    const summary = await repro(
      repo,
      {
        targets,
        force: options.force,
        single: options.single,
        downstream: options.downstream,
        recursive: options.recursive,
        glob: options.glob,
        allPipelines: options.allPipelines,
        dry: options.dry, jobs, keepGoing: options.keepGoing, runCache: options.runCache, signal: controller.signal,
        executorName: options.executor,
        observer: tracking },
      {
        output,
        planned(stages) {
          selected = stages.length;
          showProgress();
        },
        stageStarting(stage, reasons, how) {
          running.push(stage.name);
          // A command that writes to the terminal itself owns it until it ends.
          if (how === 'run' && output.mode === 'inherit') progress.pause();
          else showProgress();
          const why = reasons.map(describeReason).join('; ');
          if (how === 'restore') out(`Restoring '${stage.name}' from the run-cache (${why})`);
          else out(`Running '${stage.name}' (${why})\n${stage.cmd.map((c) => `> ${c}`).join('\n')}`);
        },
        stageFinished(stage, result) {
          const at = running.indexOf(stage.name);
          if (at >= 0) running.splice(at, 1);
          settled++;
          reportStage(stage.name, result, options.explain);
          showProgress();
        },
        warning(stage, message) {
          err(`warning: stage '${stage.name}': ${message}`);
        },
      },
    );
    progress.done();
    if (tracking?.settings.destination) {
      const { renderTrackingReport } = await import('../ui/tracking.js');
      const rendered = renderTrackingReport(await tracking.flush(), tracking.settings.destination);
      for (const line of rendered.out) out(line);
      for (const line of rendered.err) err(line);
    }
    const counts = new Map<string, number>();
    for (const r of summary.results.values()) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const parts: string[] = [];
    const label: Record<StageResult['status'], string> = {
      ran: 'ran',
      restored: 'restored from run-cache',
      'would-run': 'would run',
      'up-to-date': 'up to date',
      frozen: 'frozen',
      failed: 'failed',
      skipped: 'skipped',
      'not-run': 'not run',
      interrupted: 'interrupted',
    };
    for (const [status, text] of Object.entries(label)) {
      const n = counts.get(status);
      if (n) parts.push(`${n} ${text}`);
    }
    const total = summary.results.size;
    if (total === 0) out('No stages to run.');
    else if (options.dry) out(`Dry run: ${parts.join(', ')}.`);
    else if ((counts.get('up-to-date') ?? 0) + (counts.get('frozen') ?? 0) === total) out(`Pipeline is up to date (${parts.join(', ')}).`);
    else out(`${parts.join(', ')}.`);
    if (summary.interrupted) return ExitCode.interrupted;
    if (summary.failed.length > 0) {
      // After an internal error nothing new starts even with -k, so -k is no advice then.
      const internal = [...summary.results.values()].some((r) => r.status === 'failed' && r.failure.kind === 'internal');
      if (!options.keepGoing && !internal && (counts.get('not-run') ?? 0) > 0) {
        err('hint: other stages were not started after the failure; rerun with -k/--keep-going to run everything that does not depend on it');
      }
      return ExitCode.stageFailed;
    }
    return ExitCode.ok;
  } finally {
    progress.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  function reportStage(name: string, result: StageResult, explain: boolean): void {
    seen.set(name, result);
    switch (result.status) {
      case 'up-to-date':
        if (explain) out(`'${name}' is up to date`);
        return;
      case 'frozen':
        if (explain) out(`'${name}' is frozen: not checked`);
        return;
      case 'would-run':
        out(`Would run '${name}': ${result.reasons.map(describeReason).join('; ')}`);
        return;
      case 'failed':
        for (const line of renderStageFailure(name, result.failure, { verbose: options.verbose, single: options.single })) err(line);
        return;
      case 'skipped': {
        const cause = seen.get(result.upstream)?.status === 'interrupted' ? 'was interrupted' : 'failed';
        err(`skipped '${name}': upstream stage '${result.upstream}' ${cause}`);
        return;
      }
      case 'interrupted':
        err(`interrupted '${name}'${result.cmd ? ` while running: ${result.cmd}` : ''}; its lock entry is unchanged`);
        return;
      case 'ran':
        if (explain) out(`'${name}' done in ${result.seconds.toFixed(1)} s`);
        return;
      case 'restored':
      case 'not-run':
        return;
    }
  }
}

