/** Experiments of a script that logs with DVCLive (its output layout, written here by hand) through the built CLI. */
import fs from 'node:fs';
import { git, makeRepo, runMlp } from '../helpers/cli.js';

// What `Live(); log_params(...); log_metric(...); next_step()` leaves: dvclive/params.yaml,
// dvclive/metrics.json (the last step) and dvclive/plots/metrics/<name>.tsv (every step).
const TRAIN = `
const fs = require('fs');
const lr = Number(/lr: ([^ #\\n]+)/.exec(fs.readFileSync('params.yaml', 'utf8'))[1]);
fs.mkdirSync('dvclive/plots/metrics', { recursive: true });
fs.writeFileSync('dvclive/params.yaml', 'lr: ' + lr + '\\noptimizer: sgd\\n');
fs.writeFileSync('dvclive/metrics.json', JSON.stringify({ step: 2, acc: 1 - lr }, null, 4));
fs.writeFileSync('dvclive/plots/metrics/acc.tsv', 'step\\tacc\\n0\\t0.5\\n1\\t0.7\\n2\\t' + (1 - lr) + '\\n');
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test("DVCLive's metrics and params show as an experiment's, and its logs are part of the experiment", () => {
  const dir = makeRepo({
    'train.js': TRAIN,
    'params.yaml': 'lr: 0.1\n',
    // As a DVC user writes it: the stage does not declare DVCLive's files.
    'pipeline.yaml': 'stages:\n  train:\n    cmd: node train.js\n    deps: [train.js]\n    params: [lr]\n',
  });
  dirs.push(dir);
  const run = runMlp(dir, ['exp', 'run', '-S', 'lr=0.25', '-n', 'live']);
  expect(run.stderr).toBe(''); // no "untracked files left out" warning for DVCLive's logs
  expect(run.code).toBe(0);
  const rows = JSON.parse(runMlp(dir, ['exp', 'show', '--json']).stdout) as Array<{ name: string; params: Record<string, unknown>; metrics: Record<string, unknown> }>;
  const live = rows.find((r) => r.name === 'live');
  expect(live?.metrics['dvclive/metrics.json']).toEqual({ step: 2, acc: 0.75 });
  expect(live?.params['dvclive/params.yaml']).toEqual({ lr: 0.25, optimizer: 'sgd' });
  expect(live?.params['params.yaml']).toEqual({ lr: 0.25 });
  const files = git(dir, 'ls-tree', '-r', '--name-only', `refs/exps/${git(dir, 'rev-parse', 'HEAD').trim().slice(0, 2)}/${git(dir, 'rev-parse', 'HEAD').trim().slice(2)}/live`);
  expect(files.split('\n')).toEqual(expect.arrayContaining(['dvclive/metrics.json', 'dvclive/params.yaml', 'dvclive/plots/metrics/acc.tsv']));
  const table = runMlp(dir, ['exp', 'show']).stdout;
  expect(table.split('\n')[0]).toMatch(/^Experiment\s+Created\s+Deps\s+step\s+acc\s+params\.yaml:lr\s+dvclive\/params\.yaml:lr\s+optimizer$/);
}, 60_000);
