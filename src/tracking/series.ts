/**
 * A stage's plots files as step series: each row of a CSV/TSV/JSON/YAML table is a step (its
 * `step`, `epoch` or the plot's `x` column when that is a number, else its row number) and each
 * numeric column a series. The table is read by the plots' own reader (src/plots/data.ts, on
 * mlp's one CSV parser), so that a file reads the same in `mlp plots` and in a tracked run.
 * Files that are not tables (images, HTML) or that do not parse give nothing: `mlp plots` is
 * where a broken plots file is reported.
 */
import fs from 'node:fs';
import type { PlotProps } from '../pipeline/types.js';
import { DATA_EXTENSIONS, parseData, type DataRecord } from '../plots/data.js';
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

function readRows(abs: string): DataRecord[] {
  if (!(DATA_EXTENSIONS as readonly string[]).includes(abs.slice(abs.lastIndexOf('.')).toLowerCase())) return [];
  try {
    if (!fs.statSync(abs).isFile()) return [];
    return parseData(fs.readFileSync(abs, 'utf8'), abs);
  } catch {
    return [];
  }
}
