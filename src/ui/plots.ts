/** How `mlp plots` reports: what it wrote, the files it could not read, and `--json`. */
import path from 'node:path';
import type { Plot, PlotProblem } from '../plots/plots.js';
import { imageKey, type Written } from '../plots/render/write.js';
import { plural } from './plural.js';

/** `file (rev): message`, one line per file a plot could not read. */
export function plotProblems(plots: readonly Plot[]): string[] {
  return plots.flatMap((plot) => plot.problems.map((p: PlotProblem) => `plot '${plot.id}': ${p.file} (${p.rev}) ${p.message}`));
}

/** The lines after writing: where the page is (as a file:// URL that terminals make clickable) and what it holds. */
export function renderWritten(plots: readonly Plot[], written: Written, cwd = process.cwd()): string[] {
  const lines: string[] = [];
  const empty = plots.filter((p) => (p.kind === 'vega' ? p.data.length === 0 : p.images.length === 0)).length;
  const drawn = plots.length - empty;
  lines.push(`${plural(drawn, 'plot')}${empty > 0 ? ` (${empty} with no data)` : ''}: ${plots.map((p) => p.id).join(', ')}`);
  if (written.html) lines.push(`file://${written.html}`);
  for (const files of written.files.values()) for (const file of files) if (file.endsWith('.svg')) lines.push(path.relative(cwd, file) || file);
  return lines;
}

/** `--json`: every plot with its spec and data (images: where they were written). */
export function plotsJson(plots: readonly Plot[], revisions: readonly string[], written: Written | undefined): unknown {
  return {
    revisions,
    plots: plots.map((plot) =>
      plot.kind === 'vega'
        ? { id: plot.id, type: 'vega', template: plot.template, title: plot.title, x: plot.x, y: plot.y, data: plot.data, spec: plot.spec, problems: plot.problems }
        : {
            id: plot.id,
            type: 'image',
            images: plot.images.map((image) => ({ rev: image.rev, file: image.file, mime: image.mime, path: written?.files.get(imageKey(plot.id, image.rev))?.[0] })),
            problems: plot.problems,
          },
    ),
  };
}
