/** DVC 3 dvc.yaml keys that pipeline.yaml accepts (issue 11, "Schema: accept everything DVC 3 accepts"). */
import fs from 'node:fs';
import { PipelineError } from '../../src/errors.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { toCmdArgs } from '../../src/pipeline/template.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function load(files: Record<string, string>, options = {}) {
  const dir = tempDir();
  dirs.push(dir);
  writeFiles(dir, files);
  return loadPipeline(dir, undefined, undefined, undefined, options);
}

function loadError(files: Record<string, string>): PipelineError {
  try {
    load(files);
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a PipelineError');
}

describe('DVC 3 keys in pipeline.yaml', () => {
  test('stage plots entries take plot props and output flags', () => {
    const p = load({
      'pipeline.yaml': `
stages:
  train:
    cmd: train
    plots:
      - logs/loss.csv: {x: step, y: loss, x_label: Step, y_label: Loss, title: Loss, template: linear, cache: false, persist: true}
      - confusion.png
`,
    });
    expect(p.stages.get('train')?.outs).toEqual([
      { path: 'logs/loss.csv', kind: 'plot', cache: false, persist: true, plot: { x: 'step', y: 'loss', x_label: 'Step', y_label: 'Loss', title: 'Loss', template: 'linear' } },
      { path: 'confusion.png', kind: 'plot', cache: true, persist: false },
    ]);
  });

  test('outs flags remote, push, desc, type, labels, meta are recorded', () => {
    const p = load({
      'pipeline.yaml': `
stages:
  train:
    cmd: train
    outs:
      - model.pkl: {remote: models, push: false, desc: the model, type: model, labels: [a, b], meta: {framework: sklearn}}
    metrics:
      - m.json: {cache: true, push: true}
`,
    });
    expect(p.stages.get('train')?.outs).toEqual([
      { path: 'model.pkl', kind: 'out', cache: true, persist: false, push: false, remote: 'models', annotations: { desc: 'the model', type: 'model', labels: ['a', 'b'], meta: { framework: 'sklearn' } } },
      { path: 'm.json', kind: 'metric', cache: true, persist: false },
    ]);
  });

  test('a plot prop on an out, or a wrongly typed flag, is a located error', () => {
    expect(loadError({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: x\n    outs:\n      - o: {x: step}\n' }).message).toMatch(/pipeline.yaml:4:5: stage 'a': unknown flag 'x' on 'o'/);
    expect(loadError({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: x\n    outs:\n      - o: {push: no-thanks}\n' }).message).toMatch(/flag 'push' of 'o' must be true or false/);
    expect(loadError({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: x\n    outs:\n      - o: {labels: a}\n' }).message).toMatch(/flag 'labels' of 'o' must be a list of strings/);
  });

  test('top-level plots, metrics, params, artifacts and datasets', () => {
    const p = load({
      'pipeline.yaml': `
metrics: [eval/metrics.json]
params: [config/train.yaml]
plots:
  - eval/roc.json: {x: fpr, y: tpr, title: ROC}
  - loss:
      x: step
      y: {logs/train.csv: loss, logs/val.csv: [loss, acc]}
  - images/confusion.png
artifacts:
  text-classifier:
    path: models/text
    type: model
    desc: spam filter
    labels: [nlp]
    meta: {framework: none}
datasets:
  - name: emails
    url: dvcx://emails
    type: dvcx
stages:
  a:
    cmd: x
`,
    });
    expect(p.sections).toEqual({
      metrics: ['eval/metrics.json'],
      params: ['config/train.yaml'],
      plots: [
        { id: 'eval/roc.json', x: 'fpr', y: 'tpr', title: 'ROC' },
        { id: 'loss', x: 'step', y: { 'logs/train.csv': 'loss', 'logs/val.csv': ['loss', 'acc'] } },
        { id: 'images/confusion.png' },
      ],
      artifacts: { 'text-classifier': { path: 'models/text', type: 'model', desc: 'spam filter', labels: ['nlp'], meta: { framework: 'none' } } },
      datasets: [{ name: 'emails', url: 'dvcx://emails', type: 'dvcx' }],
    });
  });

  test('bad top-level sections are located errors', () => {
    expect(loadError({ 'pipeline.yaml': 'metrics: eval.json\n' }).message).toMatch(/pipeline.yaml:1:10: top-level `metrics` must be a list/);
    expect(loadError({ 'pipeline.yaml': 'artifacts:\n  Bad_Name: {path: m}\n' }).message).toMatch(/invalid artifact name 'Bad_Name'/);
    expect(loadError({ 'pipeline.yaml': 'artifacts:\n  m: {type: model}\n' }).message).toMatch(/artifact 'm' needs a `path`/);
    expect(loadError({ 'pipeline.yaml': 'plots:\n  - p: {colour: red}\n' }).message).toMatch(/unknown key 'colour' in plot 'p'/);
  });

  test('YAML merge keys share stage definitions', () => {
    const p = load({
      'params.yaml': 'models: {a: {suffix: x}}\n',
      'pipeline.yaml': `
stages:
  base: &defaults
    cmd: prepare
    deps: [data]
    outs: [prepared]
  train:
    foreach: [a]
    do:
      <<: *defaults
      cmd: train \${models.a.suffix}
      outs:
        - model-\${item}
  other:
    <<: [*defaults]
    outs: [other]
`,
    });
    expect(p.stages.get('train@a')).toMatchObject({ cmd: ['train x'], deps: ['data'], outs: [{ path: 'model-a' }] });
    expect(p.stages.get('other')).toMatchObject({ cmd: ['prepare'], deps: ['data'], outs: [{ path: 'other' }] });
  });

  test('a merge key bringing in an unknown key is still reported', () => {
    expect(loadError({ 'pipeline.yaml': 'stages:\n  a: &d\n    cmd: x\n  b:\n    <<: *d\n    depz: [y]\n' }).message).toMatch(/unknown key 'depz' in stage 'b'/);
  });

  test('stage-level vars, relative to wdir, override the global ones for that stage', () => {
    const p = load({
      'params.yaml': 'lr: 1\n',
      'sub/stage.yaml': 'epochs: 7\n',
      'pipeline.yaml': `
stages:
  a:
    wdir: sub
    vars: [stage.yaml, {lr: 2}]
    cmd: train --lr \${lr} --epochs \${epochs}
  b:
    cmd: train --lr \${lr}
`,
    });
    expect(p.stages.get('a')?.cmd).toEqual(['train --lr 2 --epochs 7']);
    expect(p.stages.get('a')?.params).toEqual([{ file: 'sub/stage.yaml', keys: ['epochs'] }]);
    expect(p.stages.get('b')?.cmd).toEqual(['train --lr 1']);
  });

  test('a mapping in cmd is unpacked into arguments, with the parsing options', () => {
    const files = {
      'params.yaml': 'train: {lr: 0.1, epochs: 5, fast: true, slow: false, layers: [8, 4], name: my model, opt: {beta: 0.9}}\n',
      'pipeline.yaml': 'stages:\n  t:\n    cmd: python train.py ${train}\n  w:\n    cmd: ${train}\n',
    };
    expect(load(files).stages.get('t')?.cmd).toEqual(["python train.py --lr 0.1 --epochs 5 --fast --layers 8 4 --name 'my model' --opt.beta 0.9"]);
    expect(load(files).stages.get('w')?.cmd).toEqual(["--lr 0.1 --epochs 5 --fast --layers 8 4 --name 'my model' --opt.beta 0.9"]);
    expect(load(files, { parsing: { bool: 'boolean_optional', list: 'append' } }).stages.get('t')?.cmd).toEqual([
      "python train.py --lr 0.1 --epochs 5 --fast --no-slow --layers 8 --layers 4 --name 'my model' --opt.beta 0.9",
    ]);
    expect(toCmdArgs({ s: "it's" }, { bool: 'store_true', list: 'nargs' })).toBe(`--s 'it'"'"'s'`);
    // Elsewhere than cmd a mapping inside a string is still an error.
    expect(loadError({ ...files, 'pipeline.yaml': 'stages:\n  t:\n    cmd: x\n    outs:\n      - out-${train}\n' }).message).toMatch(/only a scalar/);
  });

  test('foreach over a list with a mapping in it names every stage by index, as DVC', () => {
    const p = load({ 'pipeline.yaml': 'stages:\n  mixed:\n    foreach: [a, {b: 1}]\n    do:\n      cmd: echo ${item}\n' });
    expect([...p.stages.keys()]).toEqual(['mixed@0', 'mixed@1']);
    expect([...load({ 'pipeline.yaml': 'stages:\n  s:\n    foreach: [a, 2]\n    do:\n      cmd: echo ${item}\n' }).stages.keys()]).toEqual(['s@a', 's@2']);
  });

  test('params read through ${…} are tracked as params of the stage', () => {
    const p = load({
      'params.yaml': 'train: {lr: 0.1, epochs: 3}\nseed: 1\nmodels: [{name: cnn}]\n',
      'extra.yaml': 'size: 5\n',
      'pipeline.yaml': `
vars: [extra.yaml, {inline: 3}]
stages:
  a:
    cmd: train --lr \${train.lr} --size \${size} --inline \${inline} --m \${models[0].name}
    params: [seed]
  b:
    foreach: [x]
    do:
      cmd: run \${item} \${train}
  c:
    cmd: run \${train.lr}
    params: [train]
`,
    });
    expect(p.stages.get('a')?.params).toEqual([
      { file: 'params.yaml', keys: ['models.0.name', 'seed', 'train.lr'] },
      { file: 'extra.yaml', keys: ['size'] },
    ]);
    expect(p.stages.get('b@x')?.params).toEqual([{ file: 'params.yaml', keys: ['train'] }]);
    expect(p.stages.get('c')?.params).toEqual([{ file: 'params.yaml', keys: ['train'] }]);
  });

  test('external dependencies and outputs are refused with a located error', () => {
    const error = loadError({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: x\n    deps: [s3://bucket/f.csv]\n' });
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/pipeline.yaml:4:5: stage 'a': 's3:\/\/bucket\/f.csv' is an external dependency \(a URL\)/);
    expect(loadError({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: x\n    outs: [https://example.com/o]\n' }).message).toMatch(/is an external location/);
    expect(loadError({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: x\n    deps: [ssh://host/p]\n' }).message).toMatch(/external dependency/);
  });
});
