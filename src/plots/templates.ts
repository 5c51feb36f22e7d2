/**
 * Plot templates: Vega-Lite specs with anchors that a plot fills in (its data, fields and labels).
 * The built-ins are DVC's (same names and meaning) written for Vega-Lite 6; users add their own as
 * `.mlp/plots/<name>.json`, and may use DVC's anchors (`<DVC_METRIC_DATA>`, …) so that templates
 * written for DVC work unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../errors.js';
import { closest } from '../util/suggest.js';
import { InvalidPathError, checkedInside, normalizeRepoPath } from '../schema/repo-path.js';

/** Where user templates live, relative to the repository root. */
export const USER_TEMPLATES_DIR = '.mlp/plots';

export const ANCHORS = ['DATA', 'TITLE', 'X', 'Y', 'X_LABEL', 'Y_LABEL'] as const;
export type Anchor = (typeof ANCHORS)[number];

/** `<MLP_X>`; DVC's spelling `<DVC_METRIC_X>` is accepted too. */
export function anchor(name: Anchor): string {
  return `<MLP_${name}>`;
}

/** Every row of plot data has these columns besides the file's own (see `plots.ts`). */
export const REV_FIELD = 'rev';
export const SERIES_FIELD = 'series';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const a = anchor;
const data = { values: a('DATA') };
const size = { width: 300, height: 300 };
const colour = { field: SERIES_FIELD, type: 'nominal', title: null, legend: { labelLimit: 400 } };
const xq = { field: a('X'), type: 'quantitative', title: a('X_LABEL') };
const yq = { field: a('Y'), type: 'quantitative', title: a('Y_LABEL'), scale: { zero: false } };
const tooltip = [
  { field: SERIES_FIELD, type: 'nominal' },
  { field: a('X'), type: 'quantitative', title: a('X_LABEL') },
  { field: a('Y'), type: 'quantitative', title: a('Y_LABEL') },
];
/** Drag to pan, wheel to zoom; a double click resets. */
const zoom = [{ name: 'zoom', select: 'interval', bind: 'scales' }];

function confusion(normalized: boolean): object {
  const cellValue = normalized ? 'share_of_row' : 'count';
  return {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    facet: { field: SERIES_FIELD, type: 'nominal', title: null },
    spec: {
      ...size,
      transform: [
        { aggregate: [{ op: 'count', as: 'count' }], groupby: [SERIES_FIELD, a('X'), a('Y')] },
        // Cells no row falls into are 0, not missing: the matrix stays square.
        { impute: 'count', groupby: [SERIES_FIELD, a('Y')], key: a('X'), value: 0 },
        { impute: 'count', groupby: [SERIES_FIELD, a('X')], key: a('Y'), value: 0 },
        ...(normalized
          ? [
              { joinaggregate: [{ op: 'sum', field: 'count', as: 'row_total' }], groupby: [SERIES_FIELD, a('X')] },
              { calculate: 'datum.row_total > 0 ? datum.count / datum.row_total : 0', as: 'share_of_row' },
            ]
          : [{ joinaggregate: [{ op: 'max', field: 'count', as: 'max_count' }], groupby: [SERIES_FIELD] }]),
      ],
      encoding: {
        x: { field: a('X'), type: 'nominal', sort: 'ascending', title: a('X_LABEL') },
        y: { field: a('Y'), type: 'nominal', sort: 'ascending', title: a('Y_LABEL') },
      },
      layer: [
        {
          mark: { type: 'rect', tooltip: true },
          encoding: { color: { field: cellValue, type: 'quantitative', title: null, scale: normalized ? { domain: [0, 1] } : { domainMin: 0, nice: true } } },
        },
        {
          mark: 'text',
          encoding: {
            text: { field: cellValue, type: 'quantitative', ...(normalized ? { format: '.2f' } : {}) },
            color: {
              condition: { test: normalized ? 'datum.share_of_row > 0.5' : 'datum.count / datum.max_count > 0.5', value: 'white' },
              value: 'black',
            },
          },
        },
      ],
    },
  };
}

function barHorizontal(sorted: boolean): object {
  return {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    ...size,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: a('X'), type: 'quantitative', title: a('X_LABEL'), scale: { zero: false } },
      y: { field: a('Y'), type: 'nominal', title: a('Y_LABEL'), ...(sorted ? { sort: '-x' } : {}) },
      yOffset: { field: SERIES_FIELD },
      color: colour,
    },
  };
}

/** The built-in templates, by name (DVC's names). */
export const BUILTIN_TEMPLATES: Record<string, object> = {
  linear: {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    ...size,
    params: zoom,
    mark: { type: 'line', point: true },
    encoding: { x: xq, y: yq, color: colour, tooltip },
  },
  simple: {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    ...size,
    mark: 'line',
    encoding: { x: xq, y: yq, color: colour },
  },
  scatter: {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    ...size,
    params: zoom,
    mark: { type: 'point', filled: true },
    encoding: { x: xq, y: yq, color: colour, tooltip },
  },
  scatter_jitter: {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    ...size,
    // For categories (e.g. actual vs predicted class): points spread inside their cell.
    transform: [
      { calculate: 'random()', as: 'jitter_x' },
      { calculate: 'random()', as: 'jitter_y' },
    ],
    mark: { type: 'point', filled: true, opacity: 0.6, tooltip: true },
    encoding: {
      x: { field: a('X'), type: 'nominal', title: a('X_LABEL') },
      y: { field: a('Y'), type: 'nominal', title: a('Y_LABEL') },
      xOffset: { field: 'jitter_x', type: 'quantitative' },
      yOffset: { field: 'jitter_y', type: 'quantitative' },
      color: colour,
    },
  },
  smooth: {
    $schema: SCHEMA,
    data,
    title: a('TITLE'),
    ...size,
    encoding: { x: xq, color: colour },
    layer: [
      { mark: { type: 'line', opacity: 0.25 }, encoding: { y: yq } },
      {
        transform: [{ loess: a('Y'), on: a('X'), groupby: [SERIES_FIELD], bandwidth: 0.3 }],
        mark: 'line',
        encoding: { y: yq },
      },
    ],
  },
  confusion: confusion(false),
  confusion_normalized: confusion(true),
  bar_horizontal: barHorizontal(false),
  bar_horizontal_sorted: barHorizontal(true),
};

export const DEFAULT_TEMPLATE = 'linear';

/** Templates whose x and y are categories: their data is never folded into one y column. */
export const CATEGORICAL_TEMPLATES = new Set(['confusion', 'confusion_normalized', 'scatter_jitter']);

export interface Template {
  name: string;
  /** Where it comes from: `built-in` or the user's file. */
  origin: string;
  content: unknown;
}

/** Every template: the built-ins and the user's (a user template of the same name wins). */
export function listTemplates(root: string): Template[] {
  const builtins = Object.entries(BUILTIN_TEMPLATES).map(([name, content]) => ({ name, origin: 'built-in', content }));
  const user = userTemplateNames(root).map((name) => loadUserTemplate(root, name));
  return [...builtins.filter((b) => !user.some((u) => u.name === b.name)), ...user];
}

function userTemplateNames(root: string): string[] {
  try {
    return fs
      .readdirSync(path.join(root, USER_TEMPLATES_DIR))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

function loadUserTemplate(root: string, name: string): Template {
  const file = `${USER_TEMPLATES_DIR}/${name}.json`;
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  try {
    return { name, origin: file, content: JSON.parse(text) as unknown };
  } catch (error) {
    throw new MlpError(`plot template '${file}' is not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
      hint: 'a template is a Vega-Lite spec in JSON with anchors such as "<MLP_DATA>"; `mlp plots templates linear` prints one to start from',
      exitCode: ExitCode.invalidPipeline,
    });
  }
}

/**
 * The template `name`: a user template in `.mlp/plots/`, a built-in, or a path to a JSON file in
 * the repository (as DVC allows).
 */
export function findTemplate(root: string, name: string): Template {
  const byName = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
  if (userTemplateNames(root).includes(byName) && !name.includes('/')) return loadUserTemplate(root, byName);
  const builtin = BUILTIN_TEMPLATES[name];
  if (builtin) return { name, origin: 'built-in', content: builtin };
  if (name.endsWith('.json')) {
    // A name from pipeline.yaml: read only inside the repository, through no symlink that leaves it.
    const normal = normalizeRepoPath(name);
    if ('problem' in normal) throw new InvalidPathError(name, normal.problem, 'put the template in the repository (or in .mlp/plots/) and name it relative to the root');
    const file = checkedInside(root, normal.path);
    if (fs.existsSync(file)) {
      try {
        return { name, origin: name, content: JSON.parse(fs.readFileSync(file, 'utf8')) as unknown };
      } catch (error) {
        throw new MlpError(`plot template '${name}' is not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
          exitCode: ExitCode.invalidPipeline,
        });
      }
    }
  }
  const names = listTemplates(root).map((t) => t.name);
  const suggestion = closest(name, names);
  throw new MlpError(`unknown plot template '${name}'`, {
    hint: `${suggestion ? `did you mean '${suggestion}'? ` : ''}templates: ${names.join(', ')} (\`mlp plots templates\` lists them; add your own as ${USER_TEMPLATES_DIR}/<name>.json)`,
    exitCode: ExitCode.usage,
  });
}

/** Vega-Lite reads `.` and `[` in a field name as a path into nested data: escaped, they are plain names. */
export function escapeField(name: string): string {
  return name.replace(/[.[\]\\]/g, (c) => `\\${c}`);
}

export type AnchorValues = Partial<Record<Anchor, unknown>>;

/**
 * A filled template: every string that is exactly an anchor becomes its value (the data is a
 * list, a missing label is dropped to let Vega-Lite use the field's name); an anchor inside a
 * longer string (an expression) is replaced by its text.
 */
export function fillTemplate(content: unknown, values: AnchorValues): unknown {
  const lookup = new Map<string, unknown>();
  for (const name of ANCHORS) {
    lookup.set(anchor(name), values[name]);
    lookup.set(`<DVC_METRIC_${name}>`, values[name]);
  }
  const pattern = /<(?:MLP|DVC_METRIC)_(DATA|TITLE|X_LABEL|Y_LABEL|X|Y)>/g;
  const fieldValue = (name: string, v: unknown): unknown => (name === 'X' || name === 'Y') && typeof v === 'string' ? escapeField(v) : v;
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      if (lookup.has(node)) {
        const name = node.replace(/^<(?:MLP|DVC_METRIC)_|>$/g, '');
        return fieldValue(name, lookup.get(node));
      }
      return node.includes('<') ? node.replace(pattern, (_, name: string) => String(values[name as Anchor] ?? '')) : node;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const filled = walk(v);
        if (filled !== undefined) out[k] = filled;
      }
      return out;
    }
    return node;
  };
  return walk(content);
}
