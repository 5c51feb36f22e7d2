/** Renders `params diff`, `metrics show` and `metrics diff` results as text, Markdown or JSON. */
import type { MetricsDiff, RevisionMetrics } from '../metrics/metrics.js';
import { numericChange } from '../metrics/metrics.js';
import type { ParamsDiff } from '../params/params-diff.js';
import type { ValueDiff } from '../params/value-diff.js';
import { renderTable, type TableFormat } from './table.js';

export const DEFAULT_PRECISION = 5;

function round(value: number, precision: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(precision)));
}

/** A value as one table cell: `-` when absent, lists and mappings in YAML flow style. */
export function formatValue(value: unknown, precision?: number): string {
  if (value === undefined) return '-';
  if (typeof value === 'number') return precision === undefined ? String(value) : round(value, precision);
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return `[${value.map((v) => formatValue(v, precision)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${formatValue(v, precision)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function formatChange(diff: ValueDiff, precision: number): string {
  const change = numericChange(diff);
  if (change === undefined) return diff.status === 'unchanged' ? '-' : diff.status;
  const text = round(change, precision);
  return change > 0 && text !== '0' ? `+${text}` : text;
}

function shown(diffs: readonly ValueDiff[], all: boolean): ValueDiff[] {
  return all ? [...diffs] : diffs.filter((d) => d.status !== 'unchanged');
}

/** Said in words rather than as an empty table (which would render as nothing in a comment). */
function nothingChanged(what: string, old: string, now: string): string {
  return `No ${what} changed between ${old} and ${now}.\n`;
}

export function renderParamsDiff(diff: ParamsDiff, options: { all: boolean; format: TableFormat }): string {
  const rows = shown(diff.params, options.all);
  if (rows.length === 0) return nothingChanged('params', diff.old, diff.new);
  return renderTable(
    {
      headers: ['Path', 'Param', diff.old, diff.new, 'Change'],
      rows: rows.map((d) => [d.file, d.key, formatValue(d.old), formatValue(d.new), d.status]),
    },
    options.format,
  );
}

export function renderMetricsDiff(diff: MetricsDiff, options: { all: boolean; format: TableFormat; precision: number }): string {
  const rows = shown(diff.metrics, options.all);
  if (rows.length === 0) return nothingChanged('metrics', diff.old, diff.new);
  const p = options.precision;
  return renderTable(
    {
      headers: ['Path', 'Metric', diff.old, diff.new, 'Change'],
      rows: rows.map((d) => [d.file, d.key, formatValue(d.old, p), formatValue(d.new, p), formatChange(d, p)]),
      alignRight: new Set([2, 3, 4]),
    },
    options.format,
  );
}

/** `{file: {key: {old, new, status}}}` (DVC's shape plus the status); absent sides are null. */
export function diffJson(diffs: readonly ValueDiff[], all: boolean, withChange: boolean): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const d of shown(diffs, all)) {
    const entry: Record<string, unknown> = { old: d.old ?? null, new: d.new ?? null, status: d.status };
    if (withChange) entry.diff = numericChange(d) ?? null;
    (out[d.file] ??= {})[d.key] = entry;
  }
  return out;
}

/**
 * One row per (revision, file), one column per metric — DVC's layout, compact for the usual
 * handful of metrics. The Revision column appears only when several revisions are shown.
 */
export function renderMetricsShow(revisions: readonly RevisionMetrics[], options: { format: TableFormat; precision: number }): string {
  const withRevision = revisions.length > 1;
  const columns: string[] = [];
  for (const r of revisions) for (const f of r.files) for (const key of f.values?.keys() ?? []) if (!columns.includes(key)) columns.push(key);
  const rows = revisions.flatMap((r) =>
    r.files
      .filter((f) => f.values !== undefined)
      .map((f) => [...(withRevision ? [r.label] : []), f.path, ...columns.map((c) => formatValue(f.values?.get(c), options.precision))]),
  );
  if (rows.length === 0) return 'No metrics files found.\n';
  const first = withRevision ? 2 : 1;
  return renderTable(
    {
      headers: [...(withRevision ? ['Revision'] : []), 'Path', ...columns],
      rows,
      alignRight: new Set(columns.map((_, i) => i + first)),
    },
    options.format,
  );
}

/**
 * `{revision: {file: {metric: value}}}`; a file absent at a revision is left out; a broken one is
 * `{file: {error: message}}` (as DVC's `metrics show --json` reports it).
 */
export function metricsShowJson(revisions: readonly RevisionMetrics[]): Record<string, Record<string, Record<string, unknown>>> {
  return Object.fromEntries(
    revisions.map((r) => [
      r.label,
      Object.fromEntries(r.files.filter((f) => f.values || f.error).map((f) => [f.path, f.error ? { error: f.error.message } : Object.fromEntries(f.values ?? [])])),
    ]),
  );
}

/** One warning per metrics file that could not be read, for `metrics show` (which still exits 0). */
export function metricsShowWarnings(revisions: readonly RevisionMetrics[]): string[] {
  return revisions.flatMap((r) => r.files.flatMap((f) => (f.error ? [`${f.error.message}${f.error.hint ? `\nhint: ${f.error.hint}` : ''}`] : [])));
}
