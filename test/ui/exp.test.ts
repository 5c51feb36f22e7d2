/** `mlp exp show` rendering: fitting a terminal, the tree of experiments, CSV cells. */
import type { ExpRow } from '../../src/exp/show.js';
import { depsDigest, expShowJson, formatCreated, renderExpShow } from '../../src/ui/exp.js';

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

  test('--param and --metric globs choose columns; a leading ! leaves them out; sorting may use a hidden column', () => {
    const out = renderExpShow(rows, { ...base, params: ['train.*', '!*epochs'], metrics: ['acc*'], sortBy: 'loss', format: 'md', width: undefined });
    const lines = out.split('\n');
    expect(lines[0]).toBe('| Experiment | Created | accuracy | train.learning_rate |');
    expect(lines.slice(2, 6).map((l) => l.split(' | ')[0])).toEqual(['| workspace', '| main', '| brisk-otter', '| calm-heron']);
    expect(renderExpShow(rows, { ...base, params: ['params.yaml:data.split'], metrics: ['!*'], format: 'md', width: undefined }).split('\n')[0]).toBe(
      '| Experiment | Created | data.split |',
    );
    const json = expShowJson(rows, { ...base, params: ['model.*'], metrics: ['loss'] }) as Array<{ params: unknown; metrics: unknown }>;
    expect(json[0]).toMatchObject({ params: { 'params.yaml': { 'model.hidden_units': 128, 'model.dropout': 0.25 } }, metrics: { 'metrics.json': { loss: 0.3 } } });
  });

  test('the Deps column: one short hash of the recorded dependencies, the same for the same deps in any order', () => {
    const a = new Map([['data/x', 'a'.repeat(64)], ['train.py', 'b'.repeat(64)]]);
    const b = new Map([['train.py', 'b'.repeat(64)], ['data/x', 'a'.repeat(64)]]);
    expect(depsDigest(a)).toMatch(/^[0-9a-f]{7}$/);
    expect(depsDigest(a)).toBe(depsDigest(b));
    expect(depsDigest(new Map([['data/x', 'c'.repeat(64)]]))).not.toBe(depsDigest(a));
    expect(depsDigest(new Map())).toBeUndefined();
    const withDeps = rows.map((r, i) => ({ ...r, deps: i === 3 ? new Map([['data/x', 'c'.repeat(64)]]) : a }));
    const out = renderExpShow(withDeps, { ...base, format: 'md', width: undefined }).split('\n');
    expect(out[0]).toMatch(/^\| Experiment \| Created \| Deps \| accuracy/);
    expect(out[2]).toContain(`| ${depsDigest(a)} |`);
    // --only-changed drops it when every row ran on the same deps.
    const same = rows.map((r) => ({ ...r, deps: a }));
    expect(renderExpShow(same, { ...base, onlyChanged: true, format: 'md', width: undefined }).split('\n')[0]).not.toContain('Deps');
  });

  test('created: the time today, the date before', () => {
    expect(formatCreated(new Date(2026, 10, 30, 8, 7), now)).toBe('08:07');
    expect(formatCreated(new Date(2026, 10, 2, 8, 7), now)).toBe('2026-11-02');
    expect(formatCreated(undefined, now)).toBe('-');
  });
});
