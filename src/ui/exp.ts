/** Renders `mlp exp show` (text, Markdown, CSV, JSON) and `mlp exp list`. */
import { ExitCode, MlpError } from '../errors.js';
import { createHash } from 'node:crypto';
import type { ExpRow } from '../exp/show.js';
import type { Experiment } from '../exp/store.js';
import { canonical } from '../params/flatten.js';
import { DEFAULT_PRECISION, formatValue } from './compare.js';
import { renderTable, type TableFormat } from './table.js';

export interface ShowRenderOptions {
  format: TableFormat | 'csv';
  onlyChanged: boolean;
  sortBy: string | undefined;
  sortOrder: 'asc' | 'desc';
  /** Terminal width to fit in (text only); undefined: print every column. */
  width: number | undefined;
  /** `Date` of "now", so that today's times show as hours. */
  now?: Date;
  /** `--param` / `--metric` patterns: globs on a column's name (or file:key); `!glob` leaves matching columns out. */
  params?: readonly string[];
  metrics?: readonly string[];
}

type Filters = Pick<ShowRenderOptions, 'onlyChanged' | 'sortBy' | 'sortOrder' | 'params' | 'metrics'>;

function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * Whether column `c` passes `patterns`: with include patterns it must match one; it must match no
 * `!` pattern. A pattern matches the column's key, its header, or `file:key`.
 */
function passes(c: Column, patterns: readonly string[] | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  const names = [c.key, c.header, `${c.file}:${c.key}`];
  const matches = (p: string): boolean => names.some((n) => globRegExp(p).test(n));
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  return (include.length === 0 || include.some(matches)) && !exclude.some(matches);
}

/** A short hash of a row's dependencies (7 hex digits), to see at a glance which rows ran on the same data and code; undefined without deps. */
export function depsDigest(deps: ReadonlyMap<string, string>): string | undefined {
  if (deps.size === 0) return undefined;
  const hash = createHash('sha256');
  for (const [p, h] of [...deps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${p}\0${h}\n`);
  return hash.digest('hex').slice(0, 7);
}

interface Column {
  kind: 'metric' | 'param';
  file: string;
  key: string;
  /** Header: the key, qualified with its file when two files have that key. */
  header: string;
}

function columnsOf(rows: readonly ExpRow[], kind: Column['kind']): Column[] {
  const seen = new Map<string, Column>();
  for (const row of rows) {
    for (const [file, values] of kind === 'metric' ? row.metrics : row.params) {
      for (const key of values.keys()) if (!seen.has(`${file}\0${key}`)) seen.set(`${file}\0${key}`, { kind, file, key, header: key });
    }
  }
  const columns = [...seen.values()];
  for (const c of columns) if (columns.some((o) => o !== c && o.key === c.key)) c.header = `${c.file}:${c.key}`;
  return columns;
}

function valueOf(row: ExpRow, c: Column): unknown {
  return (c.kind === 'metric' ? row.metrics : row.params).get(c.file)?.get(c.key);
}

/** The columns, the sort column applied, unchanged ones dropped on request. */
function prepare(rows: readonly ExpRow[], options: Filters): { rows: ExpRow[]; columns: Column[] } {
  let columns = [...columnsOf(rows, 'metric'), ...columnsOf(rows, 'param')];
  let sorted = [...rows];
  if (options.sortBy !== undefined) {
    const by = options.sortBy;
    const matches = columns.filter((c) => c.header === by || c.key === by || `${c.file}:${c.key}` === by);
    if (matches.length === 0) throw new SortColumnError(by, columns);
    if (matches.length > 1) throw new SortColumnError(by, matches, true);
    const column = matches[0] as Column;
    sorted = sortExperiments(rows, column, options.sortOrder);
  }
  // Filters choose what is shown; sorting above may use any column.
  columns = columns.filter((c) => passes(c, c.kind === 'metric' ? options.metrics : options.params));
  if (options.onlyChanged) {
    columns = columns.filter((c) => new Set(rows.map((r) => canonical(valueOf(r, c)))).size > 1);
  }
  return { rows: sorted, columns };
}

export class SortColumnError extends MlpError {
  constructor(by: string, candidates: readonly Column[], ambiguous = false) {
    super(
      ambiguous
        ? `--sort-by '${by}' names several columns: ${candidates.map((c) => `${c.file}:${c.key}`).join(', ')}`
        : `--sort-by '${by}': no metric or param of that name${candidates.length ? ` (there are: ${candidates.map((c) => c.header).slice(0, 10).join(', ')})` : ''}`,
      { hint: 'name a metric or param as a column shows it, or as file:key', exitCode: ExitCode.usage },
    );
  }
}

/** Experiments sorted within their baseline (the workspace and baselines stay where they are). */
function sortExperiments(rows: readonly ExpRow[], column: Column, order: 'asc' | 'desc'): ExpRow[] {
  const out: ExpRow[] = [];
  let group: ExpRow[] = [];
  const sign = order === 'asc' ? 1 : -1;
  const compare = (a: ExpRow, b: ExpRow): number => {
    const va = valueOf(a, column);
    const vb = valueOf(b, column);
    if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1; // missing last
    if (typeof va === 'number' && typeof vb === 'number') return sign * (va - vb);
    return sign * String(va).localeCompare(String(vb));
  };
  const flush = (): void => {
    out.push(...group.sort(compare));
    group = [];
  };
  for (const row of rows) {
    if (row.kind === 'experiment') group.push(row);
    else {
      flush();
      out.push(row);
    }
  }
  flush();
  return out;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `14:05` today, `2026-11-29` before. */
export function formatCreated(date: Date | undefined, now = new Date()): string {
  if (!date) return '-';
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? `${pad2(date.getHours())}:${pad2(date.getMinutes())}` : `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

/** The Experiment column: experiments drawn as a tree under their baseline. */
function names(rows: readonly ExpRow[], tree: boolean): string[] {
  return rows.map((row, i) => {
    if (row.kind !== 'experiment' || !tree) return row.name;
    const last = rows[i + 1]?.kind !== 'experiment';
    return `${last ? '└──' : '├──'} ${row.name}`;
  });
}

export function renderExpShow(all: readonly ExpRow[], options: ShowRenderOptions): string {
  const { rows, columns } = prepare(all, options);
  const now = options.now ?? new Date();
  if (options.format === 'csv') {
    const headers = ['Experiment', 'rev', 'typ', 'Created', 'parent', 'deps', ...columns.map((c) => c.header)];
    const lines = rows.map((r) => [
      r.name,
      r.commit ?? 'workspace',
      r.kind,
      r.created?.toISOString() ?? '',
      r.baseline ?? '',
      depsDigest(r.deps ?? new Map()) ?? '',
      ...columns.map((c) => {
        const v = valueOf(r, c);
        return v === undefined ? '' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
      }),
    ]);
    return [headers, ...lines].map((cells) => cells.map(csvCell).join(',')).join('\n') + '\n';
  }
  // The Deps column: a short hash of what each row ran on, when some row records dependencies
  // (with --only-changed, when they differ).
  const withDeps = rows.some((r) => (r.deps?.size ?? 0) > 0) && (!options.onlyChanged || new Set(rows.map((r) => depsDigest(r.deps ?? new Map()))).size > 1);
  const fixed = ['Experiment', 'Created', ...(withDeps ? ['Deps'] : [])];
  const cells = (shown: readonly Column[]): string[][] =>
    rows.map((r, i) => [
      names(rows, options.format === 'text')[i] as string,
      formatCreated(r.created, now),
      ...(withDeps ? [depsDigest(r.deps ?? new Map()) ?? '-'] : []),
      ...shown.map((c) => formatValue(valueOf(r, c), c.kind === 'metric' ? DEFAULT_PRECISION : undefined)),
    ]);
  let shown = columns;
  let note = '';
  if (options.format === 'text' && options.width !== undefined) {
    // Drop columns from the right (params go before metrics) until the table fits.
    const width = (cols: readonly Column[]): number => {
      const table = cells(cols);
      const headers = [...fixed, ...cols.map((c) => c.header)];
      return headers.reduce((sum, h, i) => sum + Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)) + (i > 0 ? 2 : 0), 0);
    };
    while (shown.length > 0 && width(shown) > options.width) shown = shown.slice(0, -1);
    const dropped = columns.length - shown.length;
    if (dropped > 0) note = `(${dropped} more column${dropped > 1 ? 's' : ''} not shown: ${columns.slice(shown.length).map((c) => c.header).join(', ')}; use --only-changed, --json, --csv or a wider terminal)\n`;
  }
  const metricCount = shown.filter((c) => c.kind === 'metric').length;
  const table = renderTable(
    {
      headers: [...fixed, ...shown.map((c) => c.header)],
      rows: cells(shown),
      alignRight: new Set(shown.map((_, i) => i + fixed.length).filter((i) => i < fixed.length + metricCount)),
    },
    options.format,
  );
  const errors = rows.filter((r) => r.error).map((r) => `warning: ${r.name}: ${r.error}\n`).join('');
  return table + note + errors;
}

function csvCell(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

function nested(map: Map<string, Map<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries([...map].map(([file, values]) => [file, Object.fromEntries(values)]));
}

/** Every row with every param and metric, whatever the terminal. */
export function expShowJson(all: readonly ExpRow[], options: Filters): unknown[] {
  const { rows, columns } = prepare(all, { ...options, onlyChanged: false });
  // --param/--metric narrow the JSON too; without them every value is there.
  const filtered = (options.params?.length ?? 0) > 0 || (options.metrics?.length ?? 0) > 0;
  const keep = (kind: Column['kind'], map: Map<string, Map<string, unknown>>): Map<string, Map<string, unknown>> => {
    if (!filtered) return map;
    const out = new Map<string, Map<string, unknown>>();
    for (const c of columns) {
      if (c.kind !== kind || !map.get(c.file)?.has(c.key)) continue;
      if (!out.has(c.file)) out.set(c.file, new Map());
      out.get(c.file)?.set(c.key, map.get(c.file)?.get(c.key));
    }
    return out;
  };
  return rows.map((r) => ({
    name: r.name,
    kind: r.kind,
    rev: r.commit ?? null,
    baseline: r.baseline ?? null,
    created: r.created?.toISOString() ?? null,
    params: nested(keep('param', r.params)),
    metrics: nested(keep('metric', r.metrics)),
    deps: Object.fromEntries(r.deps ?? []),
    depsHash: depsDigest(r.deps ?? new Map()) ?? null,
    ...(r.error ? { error: r.error } : {}),
  }));
}

export function renderExpList(experiments: readonly Experiment[], baselineNames: ReadonlyMap<string, string>, nameOnly: boolean): string {
  if (nameOnly) return experiments.map((e) => `${e.name}\n`).join('');
  if (experiments.length === 0) return 'No experiments.\n';
  let out = '';
  let current: string | undefined;
  const width = Math.max(...experiments.map((e) => e.name.length));
  for (const e of experiments) {
    if (e.baseline !== current) {
      current = e.baseline;
      const label = baselineNames.get(e.baseline);
      out += `${label ? `${label} (${e.baseline.slice(0, 7)})` : e.baseline.slice(0, 7)}:\n`;
    }
    out += `  ${e.name.padEnd(width)}  ${e.commit.slice(0, 7)}\n`;
  }
  return out;
}
