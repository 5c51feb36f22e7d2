/**
 * A stage's plots files as step series: each row of a CSV/TSV/JSON/YAML table is a step (its
 * `step`, `epoch` or the plot's `x` column when that is a number, else its row number) and each
 * numeric column a series. Files that are not tables (images, HTML) give nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PlotProps } from '../pipeline/types.js';
import type { MetricPoint } from './run-record.js';

export function plotSeries(abs: string, plot: PlotProps | undefined, timestamp: number): MetricPoint[] {
  const rows = readRows(abs);
  if (rows.length === 0) return [];
  const stepKey = [plot?.x, 'step', 'epoch'].find((k) => k !== undefined && rows.every((r) => typeof r[k] === 'number'));
  const points: MetricPoint[] = [];
  rows.forEach((row, index) => {
    const step = stepKey === undefined ? index : Math.round(row[stepKey] as number);
    for (const [key, value] of Object.entries(row)) {
      if (key === stepKey || typeof value !== 'number' || !Number.isFinite(value)) continue;
      points.push({ key, value, step, timestamp });
    }
  });
  return points;
}

function readRows(abs: string): Array<Record<string, unknown>> {
  const ext = path.extname(abs).toLowerCase();
  let text: string;
  try {
    if (!fs.statSync(abs).isFile()) return [];
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    return [];
  }
  if (ext === '.csv' || ext === '.tsv') return delimited(text, ext === '.tsv' ? '\t' : ',');
  if (ext === '.json') {
    try {
      return tableOf(JSON.parse(text));
    } catch {
      return [];
    }
  }
  return [];
}

/** A list of rows, or a mapping whose one value is (DVC's `{"train": [...]}`). */
function tableOf(data: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(data)) return data.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r));
  if (data !== null && typeof data === 'object') {
    const lists = Object.values(data).filter(Array.isArray);
    if (lists.length === 1) return tableOf(lists[0]);
  }
  return [];
}

function delimited(text: string, separator: string): Array<Record<string, unknown>> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(separator).map((h) => h.trim().replace(/^"|"$/g, ''));
  if (!header) return [];
  return lines.slice(1).map((line) => {
    const cells = line.split(separator);
    const row: Record<string, unknown> = {};
    header.forEach((name, i) => {
      const cell = (cells[i] ?? '').trim();
      const n = Number(cell);
      row[name] = cell !== '' && Number.isFinite(n) ? n : cell;
    });
    return row;
  });
}
