/**
 * Which plots a pipeline declares: stage `plots:` outputs and the top-level `plots:` section,
 * turned into one shape (`PlotDefinition`: an id, its files and the fields of each, how to draw
 * it). Pure: it reads nothing but the loaded `Pipeline`.
 */
import { PipelineError } from '../errors.js';
import type { PlotProps, Pipeline, TopLevelPlot } from '../pipeline/types.js';
import { isStageTarget, type Target } from '../pipeline/targets.js';
import { describePathProblem, normalizeRepoPath, type RepoPath } from '../schema/repo-path.js';
import path from 'node:path';
import { DATA_EXTENSIONS, imageType } from './data.js';

export interface PlotFile {
  file: RepoPath;
  /** Fields drawn on y; undefined: the file's last column (as DVC). */
  y: string[] | undefined;
  /** The x field; undefined: `step` (the file's own column, else the row number). */
  x?: string;
  /** x taken from another file's field, row by row (top-level plots: `x: {other.csv: epoch}`). */
  xFrom?: { file: RepoPath; field: string };
}

export interface PlotDefinition {
  /** The plot's name: its file for stage plots and file plots, the key of a named top-level plot. */
  id: string;
  /** Image files (PNG, JPEG, GIF, SVG) are shown as they are; `files` then holds the one image. */
  image: boolean;
  files: PlotFile[];
  props: Omit<PlotProps, 'x' | 'y'>;
  /** The stage that writes it, for stage plots. */
  stage?: string;
  /** The directory declared as a plot that this file plot is one file of (DVC's directory plots). */
  directory?: string;
}

/** What the command line may set for every selected plot (`-t`, `-x`, `-y`, `--title`, …). */
export type PlotOverrides = PlotProps;

function repoPath(pipeline: Pipeline, value: string, where: string): RepoPath {
  const normal = normalizeRepoPath(value);
  if ('path' in normal) return normal.path;
  throw new PipelineError(`${where}: ${describePathProblem(value, normal.problem)}`, { file: pipeline.file });
}

function topLevel(pipeline: Pipeline, plot: TopLevelPlot): PlotDefinition {
  const props = { template: plot.template, title: plot.title, x_label: plot.x_label, y_label: plot.y_label };
  const where = `plot '${plot.id}'`;
  const list = (y: string | string[]): string[] => (Array.isArray(y) ? y : [y]);
  const files: Array<{ file: RepoPath; y: string[] | undefined }> =
    plot.y !== undefined && typeof plot.y === 'object' && !Array.isArray(plot.y)
      ? Object.entries(plot.y).map(([file, y]) => ({ file: repoPath(pipeline, file, where), y: list(y) }))
      : [{ file: repoPath(pipeline, plot.id, where), y: plot.y === undefined ? undefined : list(plot.y) }];
  const xFiles = typeof plot.x === 'object' ? Object.entries(plot.x).map(([file, field]) => ({ file: repoPath(pipeline, file, where), field })) : [];
  const withX = files.map((f): PlotFile => {
    if (typeof plot.x === 'string') return { ...f, x: plot.x };
    const own = xFiles.find((x) => x.file === f.file);
    if (own) return { ...f, x: own.field };
    // DVC: an x from one other file is that file's column, matched row by row.
    const only = xFiles.length === 1 ? xFiles[0] : undefined;
    return only ? { ...f, xFrom: only } : f;
  });
  const image = withX.length === 1 && imageType(withX[0]?.file ?? '') !== undefined;
  return { id: plot.id, image, files: withX, props };
}

/** Every plot `pipeline` declares, stage plots first (in stage order), then the top-level ones. */
export function declaredPlots(pipeline: Pipeline): PlotDefinition[] {
  const result: PlotDefinition[] = [];
  for (const stage of pipeline.stages.values()) {
    for (const out of stage.outs) {
      if (out.kind !== 'plot') continue;
      const { x, y, ...props } = out.plot ?? {};
      result.push({ id: out.path, image: imageType(out.path) !== undefined, files: [{ file: out.path, y: y === undefined ? undefined : [y], ...(x === undefined ? {} : { x }) }], props, stage: stage.name });
    }
  }
  for (const plot of pipeline.sections?.plots ?? []) {
    const definition = topLevel(pipeline, plot);
    // A file both written by a stage and listed at the top level is one plot (the top level says how).
    const same = result.findIndex((d) => d.id === definition.id);
    if (same >= 0) result[same] = { ...definition, stage: result[same]?.stage };
    else result.push(definition);
  }
  return result;
}

/** Whether `target` names the plot: its id, one of its files, or the stage that writes it. */
export function plotMatches(definition: PlotDefinition, target: Target): boolean {
  return (
    definition.id === target.name ||
    definition.id === target.path ||
    definition.files.some((f) => f.file === target.path || f.xFrom?.file === target.path) ||
    (definition.directory !== undefined && (definition.directory === target.path || definition.directory === target.name)) ||
    (definition.stage !== undefined && isStageTarget(target, definition.stage))
  );
}

/**
 * A plot whose path is a directory (`plots: [dvclive/plots]`) is one plot per data or image file
 * in it, each drawn as the directory's entry says; `list` lists the directory on one side.
 */
export function expandDirectory(definition: PlotDefinition, list: (dir: string) => string[]): PlotDefinition[] {
  const [only] = definition.files;
  if (definition.files.length !== 1 || !only || only.xFrom || only.file !== definition.id || hasPlotExtension(only.file)) return [definition];
  const inside = list(only.file).filter(hasPlotExtension);
  if (inside.length === 0) return [definition];
  return inside.map((file) => ({ ...definition, id: file, image: imageType(file) !== undefined, files: [{ ...only, file: file as RepoPath }], directory: definition.id }));
}

function hasPlotExtension(file: string): boolean {
  return imageType(file) !== undefined || (DATA_EXTENSIONS as readonly string[]).includes(path.posix.extname(file).toLowerCase());
}

/** A plot of a file no pipeline declares (`mlp plots show some.csv`). */
export function filePlot(file: RepoPath): PlotDefinition {
  return { id: file, image: imageType(file) !== undefined, files: [{ file, y: undefined }], props: {} };
}

/** The command line's `-x`, `-y`, `-t`, `--title`, … applied to a plot. */
export function withOverrides(definition: PlotDefinition, overrides: PlotOverrides): PlotDefinition {
  const { x, y, ...props } = overrides;
  const defined = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  return {
    ...definition,
    props: { ...definition.props, ...defined },
    files: definition.files.map((f) => ({ ...f, ...(y === undefined ? {} : { y: [y] }), ...(x === undefined ? {} : { x, xFrom: undefined }) })),
  };
}
