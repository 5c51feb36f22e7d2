import { RevisionSource, WorkspaceSource, type FileSource } from '../../src/git/file-source.js';
import { GitRepo } from '../../src/git/git.js';
import { toTargets } from '../../src/pipeline/targets.js';
import { collectPlots, type ImagePlot, type Plot, type VegaPlot } from '../../src/plots/plots.js';
import { coreRepo, commitAll, removeCoreRepos, type CoreRepo } from '../helpers/core-repo.js';
import { thrownMlpError } from '../helpers/errors.js';
import { writeFiles } from '../helpers/cli.js';

afterEach(removeCoreRepos);

const PIPELINE = `stages:
  train:
    cmd: echo train
    plots:
      - logs/train.csv: {x: epoch, y: loss, title: Training loss, x_label: Epoch}
      - logs/confusion.json: {template: confusion, x: actual, y: predicted}
      - logs/sample.png
  evaluate:
    cmd: echo evaluate
    plots:
      - dvclive/plots/metrics/f1.tsv
plots:
  - accuracy:
      x: epoch
      y: {logs/train.csv: acc, logs/val.csv: acc}
      y_label: accuracy
  - both:
      y: {logs/val.csv: [loss, acc]}
  - lr:
      x: {logs/epochs.csv: epoch}
      y: {logs/lr.csv: lr}
`;

const FILES = {
  'pipeline.yaml': PIPELINE,
  'logs/train.csv': 'epoch,loss,acc\n1,0.9,0.5\n2,0.6,0.7\n',
  'logs/val.csv': 'epoch,loss,acc\n1,1.0,0.45\n2,0.7,0.6\n',
  'logs/confusion.json': JSON.stringify({ rows: [{ actual: 'cat', predicted: 'cat' }, { actual: 'cat', predicted: 'dog' }] }),
  'logs/sample.png': 'PNG-bytes',
  'logs/epochs.csv': 'epoch\n10\n20\n',
  'logs/lr.csv': 'lr\n0.1\n0.01\n',
  'dvclive/plots/metrics/f1.tsv': 'timestamp\tstep\tf1\n100\t0\t0.5\n101\t1\t0.6\n',
};

function collect(r: CoreRepo, sources: FileSource[], targets: string[] = [], overrides = {}): Plot[] {
  return collectPlots(r.root, sources, toTargets(r.root, targets, r.root), { objectPath: (hash) => r.repo.objects.objectPath(hash), overrides });
}

function vega(plots: readonly Plot[], id: string): VegaPlot {
  const plot = plots.find((p) => p.id === id);
  if (plot?.kind !== 'vega') throw new Error(`no vega plot ${id}`);
  return plot;
}

describe('collectPlots', () => {
  test('stage plots: fields, title and labels from pipeline.yaml; the data carries rev and series', () => {
    const r = coreRepo(FILES);
    const plots = collect(r, [new WorkspaceSource(r.root)]);
    expect(plots.map((p) => p.id)).toEqual(['logs/train.csv', 'logs/confusion.json', 'logs/sample.png', 'dvclive/plots/metrics/f1.tsv', 'accuracy', 'both', 'lr']);
    const train = vega(plots, 'logs/train.csv');
    expect([train.x, train.y, train.title, train.template]).toEqual(['epoch', 'loss', 'Training loss', 'linear']);
    expect(train.data).toEqual([
      { epoch: 1, loss: 0.9, acc: 0.5, rev: 'workspace', file: 'logs/train.csv', field: 'loss', series: 'workspace' },
      { epoch: 2, loss: 0.6, acc: 0.7, rev: 'workspace', file: 'logs/train.csv', field: 'loss', series: 'workspace' },
    ]);
    const spec = train.spec as { encoding: { x: { field: string; title: string }; y: { field: string; title: string } }; data: { values: unknown } };
    expect(spec.encoding.x).toMatchObject({ field: 'epoch', title: 'Epoch' });
    expect(spec.encoding.y).toMatchObject({ field: 'loss', title: 'loss' });
    expect(spec.data.values).toEqual(train.data);
    expect((train.spec as { title?: string }).title).toBe('Training loss');
    // Whole-number epochs: no ticks between them.
    expect((spec.encoding.x as { axis?: unknown }).axis).toEqual({ tickMinStep: 1, format: 'd' });
  });

  test('no x: the file\'s own step column (DVCLive); no y: its last column', () => {
    const r = coreRepo(FILES);
    const f1 = vega(collect(r, [new WorkspaceSource(r.root)]), 'dvclive/plots/metrics/f1.tsv');
    expect([f1.x, f1.y]).toEqual(['step', 'f1']);
    expect(f1.data.map((d) => [d.step, d.f1])).toEqual([
      [0, 0.5],
      [1, 0.6],
    ]);
  });

  test('one plot across files (#6316): one series per file, same y field kept', () => {
    const r = coreRepo(FILES);
    const accuracy = vega(collect(r, [new WorkspaceSource(r.root)]), 'accuracy');
    expect([accuracy.x, accuracy.y, accuracy.title]).toEqual(['epoch', 'acc', 'accuracy']);
    // No title in the pipeline: the page's heading names the plot, the chart has none of its own.
    expect('title' in (accuracy.spec as object)).toBe(false);
    expect([...new Set(accuracy.data.map((d) => d.series))]).toEqual(['logs/train.csv', 'logs/val.csv']);
    expect(accuracy.data.filter((d) => d.file === 'logs/val.csv').map((d) => d.acc)).toEqual([0.45, 0.6]);
  });

  test('several fields of one file: folded into y_value, one series per field; x is the row number', () => {
    const r = coreRepo(FILES);
    const both = vega(collect(r, [new WorkspaceSource(r.root)]), 'both');
    expect([both.x, both.y]).toEqual(['step', 'y_value']);
    expect(both.data.map((d) => [d.series, d.step, d.y_value])).toEqual([
      ['loss', 0, 1.0],
      ['loss', 1, 0.7],
      ['acc', 0, 0.45],
      ['acc', 1, 0.6],
    ]);
  });

  test('x from another file is matched row by row', () => {
    const r = coreRepo(FILES);
    const lr = vega(collect(r, [new WorkspaceSource(r.root)]), 'lr');
    expect(lr.data.map((d) => [d.epoch, d.lr])).toEqual([
      [10, 0.1],
      [20, 0.01],
    ]);
  });

  test('confusion: categories are kept as they are, drawn by the confusion template', () => {
    const r = coreRepo(FILES);
    const confusion = vega(collect(r, [new WorkspaceSource(r.root)]), 'logs/confusion.json');
    expect([confusion.template, confusion.x, confusion.y]).toEqual(['confusion', 'actual', 'predicted']);
    expect(JSON.stringify(confusion.spec)).toContain('"facet"');
  });

  test('images are read as bytes, per revision', () => {
    const r = coreRepo(FILES);
    const image = collect(r, [new WorkspaceSource(r.root)], ['logs/sample.png'])[0] as ImagePlot;
    expect(image.kind).toBe('image');
    expect(image.images.map((i) => [i.rev, i.mime, i.content.toString()])).toEqual([['workspace', 'image/png', 'PNG-bytes']]);
  });

  test('diff across revisions: each side read at its revision, one series per revision', () => {
    const r = coreRepo(FILES);
    writeFiles(r.root, { 'logs/train.csv': 'epoch,loss,acc\n1,0.8,0.55\n2,0.5,0.75\n' });
    commitAll(r.root, 'second');
    writeFiles(r.root, { 'logs/train.csv': 'epoch,loss,acc\n1,0.7,0.6\n2,0.4,0.8\n' });
    const git = GitRepo.open(r.root);
    const sources = [RevisionSource.resolve(git, 'HEAD~1'), RevisionSource.resolve(git, 'HEAD'), new WorkspaceSource(r.root)];
    const train = vega(collect(r, sources, ['logs/train.csv']), 'logs/train.csv');
    expect(train.data.map((d) => [d.series, d.loss])).toEqual([
      ['HEAD~1', 0.9],
      ['HEAD~1', 0.6],
      ['HEAD', 0.8],
      ['HEAD', 0.5],
      ['workspace', 0.7],
      ['workspace', 0.4],
    ]);
    // Across files and revisions both: the series says both.
    const accuracy = vega(collect(r, sources.slice(1), ['accuracy']), 'accuracy');
    expect([...new Set(accuracy.data.map((d) => d.series))]).toEqual(['HEAD · logs/train.csv', 'HEAD · logs/val.csv', 'workspace · logs/train.csv', 'workspace · logs/val.csv']);
  });

  test('a plot added since the old revision: the old side is a problem, the new side is drawn', () => {
    const r = coreRepo(FILES);
    writeFiles(r.root, { 'logs/new.csv': 'a,b\n1,2\n', 'pipeline.yaml': `${PIPELINE}  - logs/new.csv\n` });
    const git = GitRepo.open(r.root);
    const plot = vega(collect(r, [RevisionSource.resolve(git, 'HEAD'), new WorkspaceSource(r.root)], ['logs/new.csv']), 'logs/new.csv');
    expect(plot.data.map((d) => [d.rev, d.a, d.b])).toEqual([['workspace', 1, 2]]);
    expect(plot.problems).toEqual([{ rev: 'HEAD', file: 'logs/new.csv', message: expect.stringMatching(/not in git nor in the local cache/) as unknown }]);
  });

  test('a missing field or a broken file is a problem of that plot, not a failure of all', () => {
    const r = coreRepo({ ...FILES, 'logs/val.csv': 'epoch,loss\n1,1.0\n', 'logs/confusion.json': '{broken' });
    const plots = collect(r, [new WorkspaceSource(r.root)]);
    expect(vega(plots, 'accuracy').problems).toEqual([{ rev: 'workspace', file: 'logs/val.csv', message: "has no field 'acc' (its fields: epoch, loss)" }]);
    expect(vega(plots, 'logs/confusion.json').problems[0]?.message).toMatch(/is not valid JSON/);
    expect(vega(plots, 'logs/train.csv').problems).toEqual([]);
  });

  test('targets: a stage selects its plots, a data file no one declares is plotted, anything else is a usage error', () => {
    const r = coreRepo({ ...FILES, 'other/extra.csv': 'x,y\n1,2\n' });
    const ws = [new WorkspaceSource(r.root)];
    expect(collect(r, ws, ['evaluate']).map((p) => p.id)).toEqual(['dvclive/plots/metrics/f1.tsv']);
    expect(collect(r, ws, ['other/extra.csv']).map((p) => p.id)).toEqual(['other/extra.csv']);
    const error = thrownMlpError(() => collect(r, ws, ['acuracy']));
    expect(error.exitCode).toBe(2);
    expect(error.hint).toMatch(/did you mean 'accuracy'/);
  });

  test('command-line props override the pipeline for the selected plots', () => {
    const r = coreRepo(FILES);
    const plot = vega(collect(r, [new WorkspaceSource(r.root)], ['logs/train.csv'], { template: 'scatter', y: 'acc', title: 'T' }), 'logs/train.csv');
    expect([plot.template, plot.y, plot.title]).toEqual(['scatter', 'acc', 'T']);
  });

  test('a pipeline without plots: a usage error that says how to declare them', () => {
    const r = coreRepo({ 'pipeline.yaml': 'stages:\n  a:\n    cmd: echo\n' });
    const error = thrownMlpError(() => collect(r, [new WorkspaceSource(r.root)]));
    expect(error.message).toMatch(/no plots/);
    expect(error.hint).toMatch(/plots:/);
  });


  test("a directory plot (DVCLive's layout) is one plot per file, in the workspace and at a revision", () => {
    const r = coreRepo({
      'pipeline.yaml': 'stages:\n  train:\n    cmd: python train.py\n    plots:\n      - dvclive/plots/metrics: {x: step, cache: false}\nplots:\n  - dvclive/plots/images\n',
      'dvclive/plots/metrics/train/loss.tsv': 'timestamp\tstep\tloss\n1\t0\t0.9\n2\t1\t0.5\n',
      'dvclive/plots/metrics/acc.tsv': 'timestamp\tstep\tacc\n1\t0\t0.6\n2\t1\t0.8\n',
      'dvclive/plots/images/sample.png': 'PNG',
      'dvclive/plots/metrics/README.txt': 'not a plot',
    });
    writeFiles(r.root, { 'dvclive/plots/metrics/train/loss.tsv': 'timestamp\tstep\tloss\n1\t0\t0.8\n' });
    const git = GitRepo.open(r.root);
    const plots = collect(r, [RevisionSource.resolve(git, 'HEAD'), new WorkspaceSource(r.root)]);
    expect(plots.map((p) => [p.id, p.kind])).toEqual([
      ['dvclive/plots/metrics/acc.tsv', 'vega'],
      ['dvclive/plots/metrics/train/loss.tsv', 'vega'],
      ['dvclive/plots/images/sample.png', 'image'],
    ]);
    expect(vega(plots, 'dvclive/plots/metrics/train/loss.tsv').data.map((d) => [d.rev, d.step, d.loss])).toEqual([
      ['HEAD', 0, 0.9],
      ['HEAD', 1, 0.5],
      ['workspace', 0, 0.8],
    ]);
    // The directory as a target selects its files.
    expect(collect(r, [new WorkspaceSource(r.root)], ['dvclive/plots/images']).map((p) => p.id)).toEqual(['dvclive/plots/images/sample.png']);
  });
});
