/** `mlp exp show` remembers parsed params files by their text (.mlp/tmp/exp-deps.json): what it shows never depends on it. */
import fs from 'node:fs';
import path from 'node:path';
import { git, makeRepo, runMlp } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('mlp exp show and its memo of parsed files', () => {
  test('the same table from a cold memo, a warm one and a damaged one; values JSON cannot hold (dates, .inf) stay what YAML says', () => {
    const dir = makeRepo({
      'params.yaml': 'train:\n  lr: 0.1\n  since: 2024-01-02\n  cap: .inf\n  tags: [a, b]\n',
      'train.js': "require('fs').writeFileSync('m.json', JSON.stringify({ acc: 0.5 }));\n",
      'pipeline.yaml': 'stages:\n  train:\n    cmd: node train.js\n    params: [train]\n    metrics: [{m.json: {cache: false}}]\n',
    });
    dirs.push(dir);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'baseline');
    for (const lr of ['0.2', '0.3']) expect(runMlp(dir, ['exp', 'run', '-S', `train.lr=${lr}`, '-n', `lr-${lr}`]).code).toBe(0);
    const memo = path.join(dir, '.mlp/tmp/exp-deps.json');
    fs.rmSync(memo, { force: true });
    const cold = runMlp(dir, ['exp', 'show', '--json']);
    expect(cold.code).toBe(0);
    expect(Object.keys(JSON.parse(fs.readFileSync(memo, 'utf8')) as object).some((k) => k.startsWith('p:'))).toBe(false); // a date and .inf: not remembered
    const rows = JSON.parse(cold.stdout) as Array<{ name: string; params: Record<string, Record<string, unknown>> }>;
    expect(rows.find((r) => r.name === 'lr-0.3')?.params['params.yaml']).toMatchObject({ 'train.lr': 0.3, 'train.tags': ['a', 'b'] });

    // Plain params are remembered; a second call and a damaged memo give the same table.
    fs.writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  lr: 0.1\n  tags: [a, b]\n');
    for (const lr of ['0.4', '0.5']) expect(runMlp(dir, ['exp', 'run', '-S', `train.lr=${lr}`, '-n', `lr-${lr}`]).code).toBe(0);
    const first = runMlp(dir, ['exp', 'show', '--json']).stdout;
    expect(Object.keys(JSON.parse(fs.readFileSync(memo, 'utf8')) as object).filter((k) => k.startsWith('p:')).length).toBeGreaterThanOrEqual(2);
    expect(runMlp(dir, ['exp', 'show', '--json']).stdout).toBe(first);
    fs.writeFileSync(memo, '{"p:0000000000000000000000000000000000000000": [1]}');
    expect(runMlp(dir, ['exp', 'show', '--json']).stdout).toBe(first);
    const shown = JSON.parse(first) as Array<{ name: string; params: Record<string, Record<string, unknown>> }>;
    expect(shown.find((r) => r.name === 'lr-0.5')?.params['params.yaml']).toEqual({ 'train.lr': 0.5, 'train.tags': ['a', 'b'] });
  }, 90_000);
});
