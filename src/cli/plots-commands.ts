/** `mlp plots show|diff|templates|modify`: the pipeline's plots drawn into one offline HTML page, SVG files or JSON. */
import { Option, type Command } from 'commander';
import type { FileSource } from '../git/file-source.js';
import type { Repo } from '../repo/repo.js';
import { print, printJson, warn, withRepo } from './context.js';

interface PropFlags {
  template?: string;
  x?: string;
  y?: string;
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

interface OutputFlags extends PropFlags {
  out?: string;
  json?: boolean;
  svg?: boolean;
  open?: boolean;
}

function propOptions(command: Command): Command {
  return command
    .option('-t, --template <name>', 'template to draw with (`mlp plots templates` lists them)')
    .option('-x <field>', 'field for the x axis')
    .option('-y <field>', 'field for the y axis')
    .option('--title <text>', 'plot title')
    .option('--x-label <text>', 'x axis title')
    .option('--y-label <text>', 'y axis title');
}

function outputOptions(command: Command): Command {
  return propOptions(command)
    .option('-o, --out <dir>', 'folder to write index.html (and SVG files) to', 'mlp_plots')
    .addOption(new Option('--json', 'print the plots (Vega-Lite specs and data) as JSON instead of writing a page').conflicts(['open']))
    .option('--svg', 'also render each plot to a static SVG file in the output folder (for reports and pull-request comments)')
    .option('--open', 'open the page in the default browser');
}

/** Opens `file` with the desktop's opener; a machine without one gets a warning, not a failure. */
async function openInBrowser(file: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  await new Promise<void>((resolve) => {
    const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
    child.once('error', () => {
      warn(`could not start '${opener}' to open the page: open file://${file} in a browser`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

async function showPlots(repo: Repo, sources: FileSource[], targetNames: readonly string[], flags: OutputFlags, title: string): Promise<void> {
  const { collectPlots } = await import('../plots/plots.js');
  const { toTargets } = await import('../pipeline/targets.js');
  const { writePlots } = await import('../plots/render/write.js');
  const { plotProblems, plotsJson, renderWritten } = await import('../ui/plots.js');
  const overrides = { template: flags.template, x: flags.x, y: flags.y, title: flags.title, x_label: flags.xLabel, y_label: flags.yLabel };
  const plots = collectPlots(repo.root, sources, toTargets(repo.root, [...targetNames]), {
    overrides: Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    objectPath: (hash) => repo.objects.objectPath(hash),
  });
  const revisions = sources.map((s) => s.label);
  for (const message of plotProblems(plots)) warn(message);
  if (flags.json) {
    // Images are files: they go to the output folder, and the JSON says where.
    const needsFolder = flags.svg === true || plots.some((p) => p.kind === 'image' && p.images.length > 0);
    const written = needsFolder ? await writePlots(flags.out ?? 'mlp_plots', plots, { html: false, svg: flags.svg === true, images: true, title, revisions }) : undefined;
    printJson(plotsJson(plots, revisions, written));
    return;
  }
  const written = await writePlots(flags.out ?? 'mlp_plots', plots, { html: true, svg: flags.svg === true, images: false, title, revisions });
  for (const line of renderWritten(plots, written)) print(line);
  if (flags.open && written.html) await openInBrowser(written.html);
}

export function registerPlotsCommands(program: Command): void {
  const plots = program.command('plots').description('draw the plots that stages write (training curves, confusion matrices, images) into one offline HTML page');

  outputOptions(
    plots
      .command('show')
      .description('draw the plots of the workspace (default: every plot of the pipeline) into <out>/index.html')
      .argument('[targets...]', 'plots, plot files or stages (a data file no pipeline declares may be named too)'),
  ).action(async (targets: string[], flags: OutputFlags) => {
    await withRepo(undefined, async (repo) => {
      const { WorkspaceSource } = await import('../git/file-source.js');
      await showPlots(repo, [new WorkspaceSource(repo.root)], targets, flags, 'mlp plots');
    });
  });

  outputOptions(
    plots
      .command('diff')
      .description('draw the plots of several revisions or experiments together, one colour each (default: HEAD and the workspace; one revision: it and the workspace)')
      .argument('[revisions...]', 'commits, branches, tags or experiment names; `workspace` is the workspace')
      .option('--targets <targets...>', 'plots, plot files or stages to draw (default: every plot)')
      .option('-e, --experiment', 'compare one experiment with its baseline'),
  ).action(async (revisions: string[], flags: OutputFlags & { targets?: string[]; experiment?: boolean }) => {
    await withRepo(undefined, async (repo) => {
      const { diffPlotSources } = await import('../plots/sources.js');
      const sources = diffPlotSources(repo.root, revisions, { experiment: flags.experiment === true });
      await showPlots(repo, sources, flags.targets ?? [], flags, `mlp plots diff: ${sources.map((s) => s.label).join(' vs ')}`);
    });
  });

  plots
    .command('templates')
    .description('list the plot templates (built-in and .mlp/plots/*.json), or print one to copy and change')
    .argument('[name]', 'the template to print')
    .option('--json', 'list as JSON')
    .action(async (name: string | undefined, flags: { json?: boolean }) => {
      await withRepo(undefined, async (repo) => {
        const { findTemplate, listTemplates, USER_TEMPLATES_DIR } = await import('../plots/templates.js');
        if (name !== undefined) {
          printJson(findTemplate(repo.root, name).content);
          return;
        }
        const templates = listTemplates(repo.root);
        if (flags.json) {
          printJson(templates.map((t) => ({ name: t.name, origin: t.origin })));
          return;
        }
        const width = Math.max(...templates.map((t) => t.name.length));
        for (const t of templates) print(`${t.name.padEnd(width)}  ${t.origin}`);
        print(`(\`mlp plots templates NAME > ${USER_TEMPLATES_DIR}/NAME.json\` makes a copy to change)`);
      });
    });

  propOptions(
    plots
      .command('modify')
      .description('set how a plot is drawn (template, fields, titles) in pipeline.yaml')
      .argument('<plot>', 'a plot of a stage (its file) or of the top-level plots section (its id)')
      .option('--unset <props...>', 'props to remove (template, x, y, title, x_label, y_label)'),
  ).action(async (plot: string, flags: PropFlags & { unset?: string[] }) => {
    await withRepo('mlp plots modify', async (repo) => {
      const { modifyPlot } = await import('../plots/modify.js');
      const set = { template: flags.template, x: flags.x, y: flags.y, title: flags.title, x_label: flags.xLabel, y_label: flags.yLabel };
      const result = modifyPlot(repo.pipeline, plot, Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)), flags.unset ?? []);
      print(result.changed ? `modified plot '${result.id}' in ${result.file}` : `plot '${result.id}' in ${result.file} already says that`);
    });
  });
}
