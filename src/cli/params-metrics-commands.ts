/** `mlp params diff` and `mlp metrics show|diff`: params and metrics compared across git revisions. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { FileSource } from '../git/file-source.js';
import { printJson, warn, withRepo } from './context.js';

interface OutputFlags {
  json?: boolean;
  md?: boolean;
}

function parsePrecision(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new InvalidArgumentError('expected an integer from 0 to 20');
  return n;
}

function formatOptions(command: Command): Command {
  return command
    .addOption(new Option('--json', 'print JSON').conflicts('md'))
    .option('--md', 'print a Markdown table (e.g. for a pull-request comment)');
}

/**
 * The pipeline's plots of `sources`, rendered to SVG files in `dir` (as `mlp plots diff --svg`),
 * as Markdown images for a pull-request comment: one per plot, under a heading.
 */
async function markdownPlots(repo: import('../repo/repo.js').Repo, sources: FileSource[], dir: string): Promise<string> {
  const path = await import('node:path');
  const { collectPlots } = await import('../plots/plots.js');
  const { imageKey, writePlots } = await import('../plots/render/write.js');
  const { plotProblems } = await import('../ui/plots.js');
  const plots = collectPlots(repo.root, sources, [], { overrides: {}, objectPath: (hash) => repo.objects.objectPath(hash) });
  for (const message of plotProblems(plots)) warn(message);
  const revisions = sources.map((s) => s.label);
  const written = await writePlots(dir, plots, { html: false, svg: true, images: true, title: `mlp metrics diff: ${revisions.join(' vs ')}`, revisions });
  const lines: string[] = [];
  for (const plot of plots) {
    const files = written.files.get(plot.id) ?? revisions.flatMap((r) => written.files.get(imageKey(plot.id, r)) ?? []);
    for (const file of files) {
      // Markdown paths use '/', relative to where the report is written (the current folder).
      const rel = path.relative(process.cwd(), file).split(path.sep).join('/');
      lines.push(`![${plot.id.replace(/[[\]]/g, '')}](${encodeURI(rel)})`);
    }
  }
  return lines.length === 0 ? '' : `\n**Plots** (${revisions.join(' vs ')}):\n\n${lines.join('\n\n')}\n`;
}

const TARGETS_HELP = 'with default revisions, give targets with --targets';

export function registerParamsMetricsCommands(program: Command): void {
  const params = program.command('params').description('compare the params used by the pipeline across git revisions');
  formatOptions(
    params
      .command('diff')
      .description('show params that differ between two revisions (default: HEAD and the workspace; one revision: it and the workspace)')
      .argument('[a_rev]', 'old revision (default HEAD)')
      .argument('[b_rev]', 'new revision (default: the workspace)')
      .argument('[targets...]', `params files or stages to compare (${TARGETS_HELP})`)
      .option('-t, --targets <targets...>', 'params files or stages to compare (default: every params file the pipeline uses)')
      .option('--all', 'include params that did not change'),
  ).action(async (aRev: string | undefined, bRev: string | undefined, positional: string[], flags: OutputFlags & { all?: boolean; targets?: string[] }) => {
    await withRepo(undefined, async (repo) => {
      const { diffSources } = await import('../git/file-source.js');
      const { diffParams } = await import('../params/params-diff.js');
      const { toTargets } = await import('../pipeline/targets.js');
      const { diffJson, renderParamsDiff } = await import('../ui/compare.js');
      const [a, b] = diffSources(repo.root, aRev, bRev);
      const diff = diffParams(repo.root, a, b, toTargets(repo.root, [...positional, ...(flags.targets ?? [])]));
      if (flags.json) printJson(diffJson(diff.params, flags.all === true, false));
      else process.stdout.write(renderParamsDiff(diff, { all: flags.all === true, format: flags.md ? 'md' : 'text' }));
    });
  });

  const metrics = program.command('metrics').description('show and compare the metrics files that stages write');
  formatOptions(
    metrics
      .command('show')
      .description('show the metrics of the workspace (and of every branch or tag)')
      .argument('[targets...]', 'metrics files or stages (default: every metrics file of the pipeline)')
      .option('-a, --all-branches', 'also show the metrics of every local branch')
      .option('-T, --all-tags', 'also show the metrics of every tag')
      .option('--precision <n>', 'decimal places to round numbers to', parsePrecision),
  ).action(async (targets: string[], flags: OutputFlags & { allBranches?: boolean; allTags?: boolean; precision?: number }) => {
    await withRepo(undefined, async (repo) => {
      const { GitRepo } = await import('../git/git.js');
      const { RevisionSource, WorkspaceSource } = await import('../git/file-source.js');
      const { showMetrics } = await import('../metrics/metrics.js');
      const { toTargets } = await import('../pipeline/targets.js');
      const { DEFAULT_PRECISION, metricsShowJson, metricsShowWarnings, renderMetricsShow } = await import('../ui/compare.js');
      const sources: FileSource[] = [new WorkspaceSource(repo.root)];
      if (flags.allBranches || flags.allTags) {
        const git = GitRepo.open(repo.root);
        if (flags.allBranches) for (const ref of git.refs('branches')) sources.push(new RevisionSource(git, ref.name, ref.commit));
        if (flags.allTags) for (const ref of git.refs('tags')) sources.push(new RevisionSource(git, ref.name, ref.commit));
      }
      const result = showMetrics(repo.root, sources, toTargets(repo.root, targets), (hash) => repo.objects.objectPath(hash));
      if (flags.json) printJson(metricsShowJson(result));
      else process.stdout.write(renderMetricsShow(result, { format: flags.md ? 'md' : 'text', precision: flags.precision ?? DEFAULT_PRECISION }));
      // A broken file does not hide the others (exit 0, as DVC); it is named on stderr.
      for (const message of metricsShowWarnings(result)) warn(message);
    });
  });

  formatOptions(
    metrics
      .command('diff')
      .description('show metrics that differ between two revisions (default: HEAD and the workspace; one revision: it and the workspace)')
      .argument('[a_rev]', 'old revision (default HEAD)')
      .argument('[b_rev]', 'new revision (default: the workspace)')
      .argument('[targets...]', `metrics files or stages to compare (${TARGETS_HELP})`)
      .option('-t, --targets <targets...>', 'metrics files or stages to compare (default: every metrics file of the pipeline)')
      .option('--all', 'include metrics that did not change')
      .option('--precision <n>', 'decimal places to round numbers to (default 5)', parsePrecision)
      .option('--plots <dir>', "with --md: also render the pipeline's plots of both revisions to SVG files in <dir> and embed them after the table"),
  ).action(async (aRev: string | undefined, bRev: string | undefined, positional: string[], flags: OutputFlags & { all?: boolean; targets?: string[]; precision?: number; plots?: string }) => {
    await withRepo(undefined, async (repo) => {
      if (flags.plots !== undefined && !flags.md) {
        const { ExitCode, MlpError } = await import('../errors.js');
        throw new MlpError('--plots embeds the plots in Markdown: give it with --md', { hint: 'e.g. mlp metrics diff main --md --plots mlp_plots > report.md', exitCode: ExitCode.usage });
      }
      const { diffSources } = await import('../git/file-source.js');
      const { diffMetrics } = await import('../metrics/metrics.js');
      const { toTargets } = await import('../pipeline/targets.js');
      const { DEFAULT_PRECISION, diffJson, renderMetricsDiff } = await import('../ui/compare.js');
      const [a, b] = diffSources(repo.root, aRev, bRev);
      const diff = diffMetrics(repo.root, a, b, toTargets(repo.root, [...positional, ...(flags.targets ?? [])]), (hash) => repo.objects.objectPath(hash));
      if (flags.json) printJson(diffJson(diff.metrics, flags.all === true, true));
      else {
        const format = flags.md ? 'md' : 'text';
        process.stdout.write(renderMetricsDiff(diff, { all: flags.all === true, format, precision: flags.precision ?? DEFAULT_PRECISION }));
        if (flags.plots !== undefined) process.stdout.write(await markdownPlots(repo, [a, b], flags.plots));
      }
    });
  });
}
