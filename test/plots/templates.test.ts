import fs from 'node:fs';
import path from 'node:path';
import { BUILTIN_TEMPLATES, escapeField, fillTemplate, findTemplate, listTemplates } from '../../src/plots/templates.js';
import { tempDir } from '../helpers/cli.js';
import { thrownMlpError } from '../helpers/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every string in `value`, depth first. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('plot templates', () => {
  test("DVC's built-in names are all there", () => {
    expect(Object.keys(BUILTIN_TEMPLATES).sort()).toEqual(
      ['bar_horizontal', 'bar_horizontal_sorted', 'confusion', 'confusion_normalized', 'linear', 'scatter', 'scatter_jitter', 'simple', 'smooth'].sort(),
    );
  });

  test.each(Object.keys(BUILTIN_TEMPLATES))('%s: filled, no anchor is left and the data is in it', (name) => {
    const data = [{ step: 0, loss: 1, rev: 'workspace', series: 'workspace' }];
    const spec = fillTemplate(BUILTIN_TEMPLATES[name], { DATA: data, TITLE: 'T', X: 'step', Y: 'loss', X_LABEL: 'Step', Y_LABEL: 'Loss' }) as Record<string, unknown>;
    expect(strings(spec).filter((s) => /<(MLP|DVC_METRIC)_/.test(s))).toEqual([]);
    expect((spec.data as { values: unknown }).values).toEqual(data);
    expect(spec.title).toBe('T');
    expect(strings(spec)).toEqual(expect.arrayContaining(['step', 'loss']));
  });

  test('a missing label is dropped (Vega-Lite then names the axis after the field); dotted fields are escaped', () => {
    const spec = fillTemplate(BUILTIN_TEMPLATES.simple, { DATA: [], X: 'train.step', Y: 'm[0]' }) as { encoding: { x: Record<string, unknown>; y: Record<string, unknown> }; title?: unknown };
    expect(spec.encoding.x.field).toBe('train\\.step');
    expect(spec.encoding.y.field).toBe('m\\[0\\]');
    expect('title' in spec.encoding.x).toBe(false);
    expect('title' in spec).toBe(false);
    expect(escapeField('a.b')).toBe('a\\.b');
  });

  test("user templates in .mlp/plots/ are listed, win over a built-in of the same name, and DVC's anchors work", () => {
    const root = tempDir();
    dirs.push(root);
    fs.mkdirSync(path.join(root, '.mlp/plots'), { recursive: true });
    fs.writeFileSync(path.join(root, '.mlp/plots/mine.json'), JSON.stringify({ data: { values: '<DVC_METRIC_DATA>' }, mark: 'bar', encoding: { x: { field: '<DVC_METRIC_X>' } }, description: 'y is <DVC_METRIC_Y>' }));
    fs.writeFileSync(path.join(root, '.mlp/plots/linear.json'), JSON.stringify({ mark: 'area' }));
    const list = listTemplates(root);
    expect(list.find((t) => t.name === 'mine')?.origin).toBe('.mlp/plots/mine.json');
    expect(list.find((t) => t.name === 'linear')?.origin).toBe('.mlp/plots/linear.json');
    expect(findTemplate(root, 'linear').content).toEqual({ mark: 'area' });
    const filled = fillTemplate(findTemplate(root, 'mine').content, { DATA: [{ a: 1 }], X: 'a', Y: 'b' });
    expect(filled).toEqual({ data: { values: [{ a: 1 }] }, mark: 'bar', encoding: { x: { field: 'a' } }, description: 'y is b' });
  });

  test('an unknown template is a usage error with a suggestion', () => {
    const root = tempDir();
    dirs.push(root);
    const error = thrownMlpError(() => findTemplate(root, 'confusoin'));
    expect(error.exitCode).toBe(2);
    expect(error.hint).toMatch(/did you mean 'confusion'/);
  });

  test('a template named by path is read only inside the repository', () => {
    const root = tempDir();
    fs.writeFileSync(path.join(path.dirname(root), 'outside-template.json'), '{}');
    try {
      const error = thrownMlpError(() => findTemplate(root, '../outside-template.json'));
      expect(error.message).toBe("path '../outside-template.json' is outside the repository");
      expect(error.exitCode).toBe(3);
    } finally {
      fs.rmSync(path.join(path.dirname(root), 'outside-template.json'), { force: true });
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
