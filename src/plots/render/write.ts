/**
 * The output folder of `mlp plots show/diff` (`mlp_plots/` unless `-o`): `index.html`, and with
 * `--svg` one SVG file per plot; image plots are written as files for `--json` and `--svg`. The
 * folder is built aside and renamed into place, so a reader never sees half of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../../errors.js';
import { writeDirectoryAtomically } from '../../util/fs.js';
import type { Plot, VegaPlot } from '../plots.js';
import { renderHtml } from './html.js';

export const DEFAULT_OUT_DIR = 'mlp_plots';

export interface WriteOptions {
  html: boolean;
  svg: boolean;
  /** Write image plots as files (what `--json` points to). */
  images: boolean;
  title: string;
  revisions: readonly string[];
}

export interface Written {
  dir: string;
  html?: string;
  /** Per plot id, the files written for it (an image plot's files: per `imageKey`). */
  files: Map<string, string[]>;
}

/** Where `Written.files` keeps the file of one image plot's image of one revision. */
export function imageKey(id: string, rev: string): string {
  return `${id}\0${rev}`;
}

/** A file name for a plot id (`logs/train loss.csv` → `logs_train_loss.csv`). */
export function fileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || 'plot';
}

/** Marks a folder as one `mlp plots` wrote, and so may replace as a whole. */
export const MARKER = '.mlp-plots';

/** The folder is replaced whole: refuse one that holds anything mlp did not write there. */
function checkReplaceable(dir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    if (errorCode(error) === 'ENOTDIR') throw new MlpError(`cannot write plots to '${dir}': it is a file`, { hint: 'choose another folder with -o', exitCode: ExitCode.usage });
    throw error;
  }
  if (entries.length > 0 && !entries.includes(MARKER)) {
    throw new MlpError(`cannot write plots to '${dir}': the folder exists and holds files mlp plots did not write`, {
      hint: 'mlp replaces its output folder as a whole: choose a new or empty folder with -o, or remove this one',
      exitCode: ExitCode.usage,
    });
  }
}

export async function writePlots(out: string, plots: readonly Plot[], options: WriteOptions): Promise<Written> {
  const dir = path.resolve(out);
  const written: Written = { dir, files: new Map() };
  // Rendered before the folder is touched: a missing library leaves an old folder as it was.
  const html = options.html ? renderHtml(plots, { title: options.title, revisions: options.revisions }) : undefined;
  const vegaPlots = plots.filter((p): p is VegaPlot => p.kind === 'vega');
  const svgs = options.svg ? await (await import('./svg.js')).renderSvgs(vegaPlots) : [];
  const used = new Set<string>(['index.html', MARKER]);
  const unique = (name: string): string => {
    let candidate = name;
    for (let i = 2; used.has(candidate); i++) candidate = name.replace(/(\.[^.]*)?$/, (ext) => `-${i}${ext}`);
    used.add(candidate);
    return candidate;
  };
  const add = (id: string, file: string): void => {
    written.files.set(id, [...(written.files.get(id) ?? []), path.join(dir, file)]);
  };
  checkReplaceable(dir);
  await writeDirectoryAtomically(dir, async (temp) => {
    await fs.promises.writeFile(path.join(temp, MARKER), 'written by mlp plots: the folder is replaced as a whole by the next run\n');
    if (html !== undefined) {
      await fs.promises.writeFile(path.join(temp, 'index.html'), html);
      written.html = path.join(dir, 'index.html');
    }
    for (const [i, plot] of vegaPlots.entries()) {
      const svg = svgs[i];
      if (svg === undefined) continue;
      const name = unique(`${fileName(plot.id.replace(/\.[^./]*$/, ''))}.svg`);
      await fs.promises.writeFile(path.join(temp, name), svg);
      add(plot.id, name);
    }
    if (options.images || options.svg) {
      for (const plot of plots) {
        if (plot.kind !== 'image') continue;
        for (const image of plot.images) {
          const name = unique(plot.images.length > 1 || options.revisions.length > 1 ? `${fileName(image.rev)}_${fileName(plot.id)}` : fileName(plot.id));
          await fs.promises.writeFile(path.join(temp, name), image.content);
          add(imageKey(plot.id, image.rev), name);
        }
      }
    }
  });
  return written;
}
