/** Plots files as step series (src/tracking/series.ts): read as `mlp plots` reads them. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { plotSeries } from '../../src/tracking/series.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const d = tempDir('mlp-series-');
  dirs.push(d);
  fs.writeFileSync(path.join(d, name), text);
  return path.join(d, name);
}

describe('plot series', () => {
  test('a quoted CSV field holding the separator stays one cell (RFC 4180, the one CSV parser)', () => {
    const csv = file('history.csv', 'epoch,"note, free text",loss\n0,"warm-up, lr ramps",0.9\n1,"steady",0.5\n');
    expect(plotSeries(csv, undefined, 7)).toEqual([
      { key: 'loss', value: 0.9, step: 0, timestamp: 7 },
      { key: 'loss', value: 0.5, step: 1, timestamp: 7 },
    ]);
  });

  test('YAML tables and column mappings are series too, as in `mlp plots`', () => {
    const yaml = file('curve.yaml', 'train:\n  - {step: 0, acc: 0.5}\n  - {step: 1, acc: 0.7}\n');
    expect(plotSeries(yaml, undefined, 1).map((p) => [p.key, p.step, p.value])).toEqual([['acc', 0, 0.5], ['acc', 1, 0.7]]);
    const columns = file('curve.json', JSON.stringify({ it: [0, 1], loss: [0.9, 0.4] }));
    expect(plotSeries(columns, { x: 'it' }, 1).map((p) => [p.key, p.step, p.value])).toEqual([['loss', 0, 0.9], ['loss', 1, 0.4]]);
  });

  test('images and files that do not parse give nothing', () => {
    expect(plotSeries(file('cm.png', 'PNG'), undefined, 1)).toEqual([]);
    expect(plotSeries(file('bad.csv', 'a,b\n1,"open\n'), undefined, 1)).toEqual([]);
    expect(plotSeries('/nonexistent/x.csv', undefined, 1)).toEqual([]);
  });
});
