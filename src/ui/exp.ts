/** Renders `mlp exp show` (text, Markdown, CSV, JSON) and `mlp exp list`. */
import { ExitCode, MlpError } from '../errors.js';
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
function prepare(rows: readonly ExpRow[], options: Pick<ShowRenderOptions, 'onlyChanged' | 'sortBy' | 'sortOrder'>): { rows: ExpRow[]; columns: Column[] } {
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
    const headers = ['Experiment', 'rev', 'typ', 'Created', 'parent', ...columns.map((c) => c.header)];
    const lines = rows.map((r) => [
      r.name,
      r.commit ?? 'workspace',
      r.kind,
      r.created?.toISOString() ?? '',
      r.baseline ?? '',
      ...columns.map((c) => {
        const v = valueOf(r, c);
        return v === undefined ? '' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
      }),
    ]);
    return [headers, ...lines].map((cells) => cells.map(csvCell).join(',')).join('\n') + '\n';
  }
  const fixed = ['Experiment', 'Created'];
  const cells = (shown: readonly Column[]): string[][] =>
    rows.map((r, i) => [
      names(rows, options.format === 'text')[i] as string,
      formatCreated(r.created, now),
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
export function expShowJson(all: readonly ExpRow[], options: Pick<ShowRenderOptions, 'onlyChanged' | 'sortBy' | 'sortOrder'>): unknown[] {
  const { rows } = prepare(all, { ...options, onlyChanged: false });
  return rows.map((r) => ({
    name: r.name,
    kind: r.kind,
    rev: r.commit ?? null,
    baseline: r.baseline ?? null,
    created: r.created?.toISOString() ?? null,
    params: nested(r.params),
    metrics: nested(r.metrics),
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
