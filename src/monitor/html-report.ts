/**
 * The readable report: one offline HTML page (src/plots/render/html.ts: Vega inlined, no network)
 * with a table of the tests and, for each, the two distributions compared — histograms of shares
 * for numbers, bars of shares for labels, and the null distribution with the observed statistic
 * for the domain classifier and the MMD. Histograms are binned here, so the page stays small
 * whatever the sample sizes.
 */
import type { VegaPlot } from '../plots/plots.js';
import { renderHtml } from '../plots/render/html.js';
import type { Distribution } from './distributions.js';
import type { DriftReport } from './report.js';

const BINS = 20;
const COLORS = { domain: ['reference', 'current'], range: ['#4c78a8', '#e45756'] };

export function renderDriftHtml(report: DriftReport, distributions: readonly Distribution[]): string {
  const drifted = report.tests.filter((t) => t.drift).length;
  const plots: VegaPlot[] = [summaryTable(report), ...distributions.map((d) => plotOf(d, report))];
  const when = report.current.from ? `, ${report.current.from} – ${report.current.to}` : '';
  return renderHtml(plots, {
    title: `mlp monitor: ${report.drift ? 'DRIFT' : 'no drift'} (${drifted} of ${report.tests.length} tests drifted)`,
    revisions: [
      `model ${report.model.path} (${report.model.sha256.slice(0, 12)})`,
      `reference ${report.reference.path} (${report.reference.rows} rows${report.reference.held_out ? `; held out ${report.reference.held_out.path}, ${report.reference.held_out.rows} rows` : ''})`,
      `current ${report.current.source} ${report.current.path} (${report.current.rows} rows${report.current.sampled ? `, ${report.current.sampled} sampled` : ''}${when})`,
      `created ${report.created}`,
    ],
  });
}

function vega(id: string, title: string, data: Record<string, unknown>[], spec: Record<string, unknown>): VegaPlot {
  return { kind: 'vega', id, template: 'monitor', title, x: 'x', y: 'y', data, spec: { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title, data: { values: data }, ...spec }, problems: [] };
}

function summaryTable(report: DriftReport): VegaPlot {
  const columns = ['method', 'statistic', 'threshold', 'p_value', 'drift'];
  const rows = report.tests.flatMap((t) =>
    columns.map((column) => ({
      test: t.name,
      column,
      value: column === 'drift' ? (t.drift ? 'DRIFT' : 'ok') : String((t as unknown as Record<string, unknown>)[column] ?? '–'),
      drift: t.drift,
    })),
  );
  return vega('tests', 'tests', rows, {
    width: 520,
    mark: { type: 'text', align: 'left' },
    encoding: {
      y: { field: 'test', type: 'nominal', sort: null, title: null },
      x: { field: 'column', type: 'nominal', sort: columns, title: null, axis: { orient: 'top', labelAngle: 0 } },
      text: { field: 'value' },
      color: { condition: { test: "datum.column === 'drift' && datum.drift", value: '#c00' }, value: '#222' },
    },
  });
}

function plotOf(d: Distribution, report: DriftReport): VegaPlot {
  const test = report.tests.find((t) => t.name === d.test);
  const title = test ? `${d.test}: ${test.method} ${test.statistic}${test.p_value !== undefined ? `, p ${test.p_value}` : ''} → ${test.drift ? 'DRIFT' : 'ok'}` : d.test;
  const color = { field: 'side', type: 'nominal', scale: COLORS, title: null };
  if (d.kind === 'categorical') {
    const share = (counts: readonly number[]): number[] => {
      const total = counts.reduce((s, c) => s + c, 0) || 1;
      return counts.map((c) => c / total);
    };
    const ref = share(d.reference);
    const cur = share(d.current);
    const data = d.categories.flatMap((category, k) => [
      { category, side: 'reference', share: ref[k] },
      { category, side: 'current', share: cur[k] },
    ]);
    return vega(d.test, title, data, {
      mark: 'bar',
      encoding: {
        x: { field: 'category', type: 'nominal', title: d.label, sort: null },
        xOffset: { field: 'side', sort: COLORS.domain },
        y: { field: 'share', type: 'quantitative', axis: { format: '%' } },
        color,
      },
    });
  }
  if (d.kind === 'numeric') {
    const [lo, hi] = range([...d.reference, ...d.current]);
    const data = [...histogram(d.reference, lo, hi, 'reference'), ...histogram(d.current, lo, hi, 'current')];
    return vega(d.test, title, data, {
      mark: { type: 'bar', opacity: 0.55, binSpacing: 0 },
      encoding: {
        x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: d.label },
        x2: { field: 'end' },
        y: { field: 'share', type: 'quantitative', stack: null, axis: { format: '%' } },
        color,
      },
    });
  }
  const [lo, hi] = range([...d.samples, d.observed]);
  const data = histogram(d.samples, lo, hi, 'null');
  return vega(d.test, title, data, {
    layer: [
      {
        mark: { type: 'bar', color: '#9ab', binSpacing: 0 },
        encoding: {
          x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: `${d.label} (bars: chance; line: observed)` },
          x2: { field: 'end' },
          y: { field: 'share', type: 'quantitative', axis: { format: '%' } },
        },
      },
      { data: { values: [{ observed: d.observed }] }, mark: { type: 'rule', color: '#e45756', strokeWidth: 2 }, encoding: { x: { field: 'observed', type: 'quantitative' } } },
    ],
  });
}

function range(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

function histogram(values: readonly number[], lo: number, hi: number, side: string): Record<string, unknown>[] {
  const counts = new Array<number>(BINS).fill(0);
  const width = (hi - lo) / BINS;
  for (const v of values) counts[Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
  const total = values.length || 1;
  return counts.map((c, b) => ({ side, start: lo + b * width, end: lo + (b + 1) * width, share: c / total }));
}
