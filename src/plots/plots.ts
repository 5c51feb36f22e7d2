/**
 * `mlp plots show` and `mlp plots diff`: the declared plots of each side (the workspace, a
 * revision, an experiment), their data files read at that side, and one Vega-Lite spec per plot
 * holding the data of every side (one colour per revision, file and field). Returns data for
 * `src/plots/render` and `--json`; never prints.
 */
import { ExitCode, MlpError } from '../errors.js';
import type { FileSource } from '../git/file-source.js';
import { loadPipelineAt } from '../git/pipeline-at.js';
import { OutputReader, type ObjectPath } from '../metrics/output-reader.js';
import type { Pipeline } from '../pipeline/types.js';
import { unknownTarget, type Target } from '../pipeline/targets.js';
import { normalizeRepoPath } from '../schema/repo-path.js';
import { imageType, parseData, PlotDataError, type DataRecord } from './data.js';
import { declaredPlots, expandDirectory, filePlot, plotMatches, withOverrides, type PlotDefinition, type PlotFile, type PlotOverrides } from './definitions.js';
import { CATEGORICAL_TEMPLATES, DEFAULT_TEMPLATE, fillTemplate, findTemplate, REV_FIELD, SERIES_FIELD } from './templates.js';

/** The x field when a plot names none: the file's own `step` column (DVCLive writes one), else the row number. */
export const STEP_FIELD = 'step';
/** Where y values go when one plot draws fields of different names. */
export const FOLDED_Y = 'y_value';
/** Where x values go when the files of one plot have different x fields. */
export const FOLDED_X = 'x_value';

/** A file of a plot that could not be read on one side: the plot shows what it could. */
export interface PlotProblem {
  rev: string;
  file: string;
  message: string;
}

export interface VegaPlot {
  kind: 'vega';
  id: string;
  template: string;
  title: string;
  /** The fields the spec draws (after folding, see `FOLDED_X`/`FOLDED_Y`). */
  x: string;
  y: string;
  /** Every row drawn: the file's columns plus `rev`, `file`, `field` and `series`. */
  data: DataRecord[];
  /** The Vega-Lite spec, data included. */
  spec: unknown;
  problems: PlotProblem[];
}

export interface ImagePlot {
  kind: 'image';
  id: string;
  images: Array<{ rev: string; file: string; mime: string; content: Buffer }>;
  problems: PlotProblem[];
}

export type Plot = VegaPlot | ImagePlot;

export interface CollectOptions {
  overrides?: PlotOverrides;
  objectPath: ObjectPath;
  /** The pipeline of each source, when the caller already loaded them. */
  pipelines?: readonly Pipeline[];
}

interface Side {
  source: FileSource;
  reader: OutputReader;
  definitions: Map<string, PlotDefinition>;
}

/** The plots of `sources` (oldest first: the first colours go to the older sides). */
export function collectPlots(root: string, sources: readonly FileSource[], targets: readonly Target[], options: CollectOptions): Plot[] {
  const pipelines = options.pipelines ?? sources.map((s) => loadPipelineAt(root, s));
  const sides: Side[] = sources.map((source, i) => {
    const reader = new OutputReader(source, options.objectPath);
    // Directory plots become one plot per file, as the directory is on that side.
    const definitions = declaredPlots(pipelines[i] as Pipeline).flatMap((d) => expandDirectory(d, (dir) => reader.list(dir)));
    return { source, reader, definitions: new Map(definitions.map((d) => [d.id, d])) };
  });
  // Each plot as the newest side declares it, in that side's order (the user's current one).
  const latest = new Map<string, PlotDefinition>();
  for (const side of [...sides].reverse()) for (const [id, d] of side.definitions) if (!latest.has(id)) latest.set(id, d);
  const ids = [...latest.keys()];
  const selected = [...latest.values()].filter((d) => targets.length === 0 || targets.some((t) => plotMatches(d, t)));
  const adHoc: PlotDefinition[] = [];
  for (const target of targets) {
    if ([...latest.values()].some((d) => plotMatches(d, target))) continue;
    // A target that no pipeline declares may still be a data file or image to plot.
    const normal = normalizeRepoPath(target.path);
    if ('path' in normal && sides.some((s) => s.reader.read(normal.path) !== undefined)) adHoc.push(filePlot(normal.path));
    else {
      const pipeline = pipelines[pipelines.length - 1] as Pipeline;
      throw unknownTarget(target.name, pipeline, { what: { kind: 'plot or plot file', paths: ids } });
    }
  }
  const overrides = options.overrides ?? {};
  const definitionOn = (side: Side, id: string): PlotDefinition | undefined => {
    const own = side.definitions.get(id) ?? adHoc.find((d) => d.id === id);
    return own && withOverrides(own, overrides);
  };
  const plots = [...selected, ...adHoc].map((declared) => {
    const definition = withOverrides(declared, overrides);
    const perSide = sides.map((side) => ({ side, definition: definitionOn(side, declared.id) ?? definition }));
    return definition.image ? imagePlot(definition, perSide) : vegaPlot(root, definition, perSide);
  });
  if (plots.length === 0 && targets.length === 0) {
    throw new MlpError('no plots: the pipeline declares none', {
      hint: 'declare plots in pipeline.yaml: `plots: [metrics/history.csv]` in a stage, or a top-level `plots:` section (see README "Plots"); or name a data file: `mlp plots show logs/loss.csv`',
      exitCode: ExitCode.usage,
    });
  }
  return plots;
}

function notFound(side: Side, file: string): PlotProblem {
  const where = side.source.commit === undefined ? 'not in the workspace' : 'not in git nor in the local cache at this revision';
  return { rev: side.source.label, file, message: `${where} (run \`mlp repro\`${side.source.commit === undefined ? '' : ' or `mlp pull`'} to get it)` };
}

function imagePlot(definition: PlotDefinition, perSide: ReadonlyArray<{ side: Side; definition: PlotDefinition }>): ImagePlot {
  const plot: ImagePlot = { kind: 'image', id: definition.id, images: [], problems: [] };
  for (const { side, definition: d } of perSide) {
    const file = d.files[0]?.file ?? definition.id;
    const content = side.reader.read(file);
    if (content === undefined) plot.problems.push(notFound(side, file));
    else plot.images.push({ rev: side.source.label, file, mime: imageType(file) ?? 'application/octet-stream', content });
  }
  return plot;
}

interface Series {
  rev: string;
  file: string;
  field: string;
  x: string;
  rows: Array<{ x: unknown; y: unknown; record: DataRecord }>;
}

function readRecords(side: Side, file: string, problems: PlotProblem[]): DataRecord[] | undefined {
  const bytes = side.reader.read(file);
  if (bytes === undefined) {
    problems.push(notFound(side, file));
    return undefined;
  }
  try {
    return parseData(bytes.toString('utf8'), file);
  } catch (error) {
    if (!(error instanceof PlotDataError) && !(error instanceof MlpError)) throw error;
    problems.push({ rev: side.source.label, file, message: error.message });
    return undefined;
  }
}

function fieldsOf(records: readonly DataRecord[]): string[] {
  const fields = new Set<string>();
  for (const record of records.slice(0, 100)) for (const k of Object.keys(record)) fields.add(k);
  return [...fields];
}

function seriesOf(side: Side, spec: PlotFile, problems: PlotProblem[]): Series[] {
  const records = readRecords(side, spec.file, problems);
  if (!records) return [];
  const rev = side.source.label;
  const fields = fieldsOf(records);
  const missing = (field: string, file: string, available: readonly string[]): void => {
    problems.push({ rev, file, message: `has no field '${field}' (its fields: ${available.join(', ') || 'none'})` });
  };
  let xs: unknown[];
  let xName: string;
  if (spec.xFrom) {
    const other = readRecords(side, spec.xFrom.file, problems);
    if (!other) return [];
    if (!fieldsOf(other).includes(spec.xFrom.field)) {
      missing(spec.xFrom.field, spec.xFrom.file, fieldsOf(other));
      return [];
    }
    xName = spec.xFrom.field;
    xs = records.map((_, i) => other[i]?.[spec.xFrom?.field as string]);
  } else if (spec.x !== undefined) {
    if (!fields.includes(spec.x)) {
      missing(spec.x, spec.file, fields);
      return [];
    }
    xName = spec.x;
    xs = records.map((r) => r[xName]);
  } else {
    xName = STEP_FIELD;
    xs = fields.includes(STEP_FIELD) ? records.map((r) => r[STEP_FIELD]) : records.map((_, i) => i);
  }
  // No y: the last column that is not x (DVC's choice; DVCLive's files end with the metric).
  const ys = spec.y ?? fields.filter((f) => f !== xName).slice(-1);
  const result: Series[] = [];
  for (const field of ys) {
    if (!fields.includes(field)) {
      missing(field, spec.file, fields);
      continue;
    }
    result.push({ rev, file: spec.file, field, x: xName, rows: records.map((record, i) => ({ x: xs[i], y: record[field], record })) });
  }
  return result;
}

function vegaPlot(root: string, definition: PlotDefinition, perSide: ReadonlyArray<{ side: Side; definition: PlotDefinition }>): VegaPlot {
  const problems: PlotProblem[] = [];
  const series = perSide.flatMap(({ side, definition: d }) => d.files.flatMap((f) => seriesOf(side, f, problems)));
  const templateName = definition.props.template ?? DEFAULT_TEMPLATE;
  const template = findTemplate(root, templateName);
  const categorical = CATEGORICAL_TEMPLATES.has(templateName);
  const distinct = (key: 'rev' | 'file' | 'field' | 'x'): string[] => [...new Set(series.map((s) => s[key]))];
  const [onlyX] = distinct('x');
  const [onlyY] = distinct('field');
  const x = distinct('x').length <= 1 ? (onlyX ?? STEP_FIELD) : FOLDED_X;
  const y = distinct('field').length <= 1 || categorical ? (onlyY ?? FOLDED_Y) : FOLDED_Y;
  // A series is named by what tells it apart: the revision, the file, the field (at least the revision).
  const varying = (['rev', 'file', 'field'] as const).filter((k) => distinct(k).length > 1);
  const name = (s: Series): string => (varying.length === 0 ? s.rev : varying.map((k) => s[k]).join(' · '));
  const data: DataRecord[] = series.flatMap((s) =>
    s.rows.map(({ x: xv, y: yv, record }) => ({ ...record, [x]: xv, [y]: yv, [REV_FIELD]: s.rev, file: s.file, field: s.field, [SERIES_FIELD]: name(s) })),
  );
  const title = definition.props.title ?? definition.id;
  const spec = fillTemplate(template.content, {
    DATA: data,
    // The page heads each plot with its id: the chart itself is titled only when the pipeline says so.
    TITLE: definition.props.title,
    X: x,
    Y: y,
    X_LABEL: definition.props.x_label ?? x,
    Y_LABEL: definition.props.y_label ?? (y === FOLDED_Y ? undefined : y),
  });
  integerTicks(spec, data, x);
  return { kind: 'vega', id: definition.id, template: template.name, title, x, y, data, spec, problems };
}

/** Epochs and steps are whole numbers: no `1.5` ticks between them (single-view specs with a quantitative x). */
function integerTicks(spec: unknown, data: readonly DataRecord[], x: string): void {
  const encoding = (spec as { encoding?: { x?: { type?: string; field?: string; axis?: object } } }).encoding;
  const xEncoding = encoding?.x;
  if (xEncoding?.type !== 'quantitative' || data.length === 0 || !data.every((d) => Number.isInteger(d[x]))) return;
  xEncoding.axis = { tickMinStep: 1, format: 'd', ...xEncoding.axis };
}
