/** `mlp exp show` rendering: fitting a terminal, the tree of experiments, CSV cells. */
import type { ExpRow } from '../../src/exp/show.js';
import { formatCreated, renderExpShow } from '../../src/ui/exp.js';

const now = new Date(2026, 10, 30, 12, 0);

function row(kind: ExpRow['kind'], name: string, metrics: Record<string, unknown>, params: Record<string, unknown>): ExpRow {
  return {
    kind,
    name,
    commit: kind === 'workspace' ? undefined : `${name}-sha`,
    baseline: kind === 'experiment' ? 'base-sha' : undefined,
    created: kind === 'workspace' ? undefined : new Date(2026, 10, 30, 9, 5),
    metrics: new Map([['metrics.json', new Map(Object.entries(metrics))]]),
    params: new Map([['params.yaml', new Map(Object.entries(params))]]),
  };
}

const params = { 'train.learning_rate': 0.1, 'train.epochs': 5, 'model.hidden_units': 128, 'model.dropout': 0.25, 'data.split': 0.2 };
const rows = [
  row('workspace', 'workspace', { accuracy: 0.91, loss: 0.3 }, params),
  row('baseline', 'main', { accuracy: 0.9, loss: 0.31 }, params),
  row('experiment', 'brisk-otter', { accuracy: 0.93, loss: 0.25 }, { ...params, 'train.learning_rate': 0.05 }),
  row('experiment', 'calm-heron', { accuracy: 0.92, loss: 0.28 }, { ...params, 'train.epochs': 10 }),
];
const base = { onlyChanged: false, sortBy: undefined, sortOrder: 'asc' as const, now };

describe('renderExpShow', () => {
  test('at 80 columns, params are dropped from the right with a note; metrics stay', () => {
    const out = renderExpShow(rows, { ...base, format: 'text', width: 80 });
    const lines = out.split('\n');
    for (const line of lines.slice(0, 5)) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^Experiment\s+Created\s+accuracy\s+loss\s+train\.learning_rate/);
    expect(lines[3]).toMatch(/^├── brisk-otter\s+09:05\s+0\.93\s+0\.25\s+0\.05/);
    expect(lines[4]).toMatch(/^└── calm-heron/);
    expect(out).toContain('more columns not shown: ');
    expect(out).toContain('data.split; use --only-changed, --json, --csv or a wider terminal');
  });

  test('without a width (not a terminal) every column is printed', () => {
    const out = renderExpShow(rows, { ...base, format: 'text', width: undefined });
    expect(out.split('\n')[0]).toContain('data.split');
    expect(out).not.toContain('not shown');
  });

  test('--only-changed keeps the columns whose values differ', () => {
    const out = renderExpShow(rows, { ...base, onlyChanged: true, format: 'md', width: undefined });
    expect(out.split('\n')[0]).toBe('| Experiment | Created | accuracy | loss | train.learning_rate | train.epochs |');
  });

  test('sorting moves experiments within their baseline only', () => {
    const out = renderExpShow(rows, { ...base, sortBy: 'loss', sortOrder: 'desc', format: 'csv', width: undefined });
    expect(out.split('\n').slice(1, 5).map((l) => l.split(',')[0])).toEqual(['workspace', 'main', 'calm-heron', 'brisk-otter']);
  });

  test('created: the time today, the date before', () => {
    expect(formatCreated(new Date(2026, 10, 30, 8, 7), now)).toBe('08:07');
    expect(formatCreated(new Date(2026, 10, 2, 8, 7), now)).toBe('2026-11-02');
    expect(formatCreated(undefined, now)).toBe('-');
  });
});
