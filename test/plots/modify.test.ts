import fs from 'node:fs';
import path from 'node:path';
import { modifyPlot } from '../../src/plots/modify.js';
import { coreRepo, reopen, removeCoreRepos } from '../helpers/core-repo.js';
import { thrownMlpError } from '../helpers/errors.js';

afterEach(removeCoreRepos);

const PIPELINE = `# the pipeline
stages:
  train:
    cmd: echo train   # runs it
    deps: [train.mjs]
    plots:
      - logs/a.csv
      - logs/b.csv: {x: epoch, y: loss}
      - logs/c.csv:
          x: epoch   # the epoch
          title: C
plots:
  - accuracy:
      x: epoch
      y: {logs/a.csv: acc, logs/b.csv: acc}
`;

describe('plots modify', () => {
  test('a bare path gets a flow mapping; a flow mapping is rewritten; nothing else moves', () => {
    const r = coreRepo({ 'pipeline.yaml': PIPELINE });
    expect(modifyPlot(r.repo.pipeline, 'logs/a.csv', { template: 'scatter', title: 'Loss: train' }, [])).toEqual({ id: 'logs/a.csv', file: 'pipeline.yaml', changed: true });
    const a = reopen(r).pipeline;
    modifyPlot(a, 'logs/b.csv', { y: 'acc', y_label: 'true' }, ['x']);
    const text = fs.readFileSync(path.join(r.root, 'pipeline.yaml'), 'utf8');
    expect(text).toBe(
      PIPELINE.replace('      - logs/a.csv\n', '      - logs/a.csv: {template: scatter, title: "Loss: train"}\n').replace('{x: epoch, y: loss}', '{y: acc, y_label: "true"}'),
    );
    const stage = reopen(r).pipeline.stages.get('train');
    expect(stage?.outs.map((o) => o.plot)).toEqual([{ template: 'scatter', title: 'Loss: train' }, { y: 'acc', y_label: 'true' }, { x: 'epoch', title: 'C' }]);
  });

  test('a block mapping is edited line by line, its comments kept; top-level plots too', () => {
    const r = coreRepo({ 'pipeline.yaml': PIPELINE });
    modifyPlot(r.repo.pipeline, 'logs/c.csv', { title: 'New C', template: 'smooth' }, []);
    modifyPlot(reopen(r).pipeline, 'accuracy', { y_label: 'accuracy' }, ['x']);
    expect(fs.readFileSync(path.join(r.root, 'pipeline.yaml'), 'utf8')).toBe(
      PIPELINE.replace('          title: C\n', '          title: New C\n          template: smooth\n').replace(
        '  - accuracy:\n      x: epoch\n      y: {logs/a.csv: acc, logs/b.csv: acc}\n',
        '  - accuracy:\n      y: {logs/a.csv: acc, logs/b.csv: acc}\n      y_label: accuracy\n',
      ),
    );
    const pipeline = reopen(r).pipeline;
    expect(pipeline.sections?.plots).toEqual([{ id: 'accuracy', y: { 'logs/a.csv': 'acc', 'logs/b.csv': 'acc' }, y_label: 'accuracy' }]);
  });

  test('nothing to change says so; an unknown plot, template or prop is a usage error', () => {
    const r = coreRepo({ 'pipeline.yaml': PIPELINE });
    expect(modifyPlot(r.repo.pipeline, 'logs/c.csv', { title: 'C' }, []).changed).toBe(false);
    expect(thrownMlpError(() => modifyPlot(r.repo.pipeline, 'logs/d.csv', { title: 'D' }, [])).exitCode).toBe(2);
    expect(thrownMlpError(() => modifyPlot(r.repo.pipeline, 'logs/a.csv', { template: 'nope' }, [])).exitCode).toBe(2);
    expect(thrownMlpError(() => modifyPlot(r.repo.pipeline, 'logs/a.csv', {}, ['colour'])).message).toMatch(/not a plot prop/);
  });
});
