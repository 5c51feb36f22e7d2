/** `mlp metrics show` and `mlp metrics diff` through the built CLI, across commits, branches and tags. */
import { commitFiles, git, makeRepo, runMlp, writeFiles } from '../helpers/cli.js';

const PIPELINE = `
stages:
  train:
    matrix: {model: [small, large]}
    cmd: echo train
    metrics:
      - metrics/\${item.model}.json: {cache: false}
  evaluate:
    cmd: echo evaluate
    metrics: [{eval/summary.yaml: {cache: false}}]
`;

const json = (acc: number, val: number): string => JSON.stringify({ accuracy: acc, loss: { train: 0.5, val } });

function project(): string {
  return makeRepo({
    'pipeline.yaml': PIPELINE,
    'metrics/small.json': json(0.8, 0.6),
    'metrics/large.json': json(0.9, 0.4),
    'eval/summary.yaml': 'f1: 0.75\nlabels: [spam, ham]\n',
  });
}

describe('mlp metrics show', () => {
  test('every declared metrics file of the workspace, JSON and YAML, nested keys dotted', () => {
    const dir = project();
    const result = runMlp(dir, ['metrics', 'show']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'Path                  f1       labels  accuracy  loss.train  loss.val',
        'eval/summary.yaml   0.75  [spam, ham]         -           -         -',
        'metrics/large.json     -            -       0.9         0.5       0.4',
        'metrics/small.json     -            -       0.8         0.5       0.6',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(runMlp(dir, ['metrics', 'show', '--json']).stdout)).toEqual({
      workspace: {
        'eval/summary.yaml': { f1: 0.75, labels: ['spam', 'ham'] },
        'metrics/large.json': { accuracy: 0.9, 'loss.train': 0.5, 'loss.val': 0.4 },
        'metrics/small.json': { accuracy: 0.8, 'loss.train': 0.5, 'loss.val': 0.6 },
      },
    });
  });

  test('targets: a stage group, a metrics file, or any JSON file; unknown ones are errors', () => {
    const dir = project();
    writeFiles(dir, { 'other.json': '{"x": 1}' });
    expect(runMlp(dir, ['metrics', 'show', 'train', '--md']).stdout).toBe(
      '| Path | accuracy | loss.train | loss.val |\n|:---|---:|---:|---:|\n| metrics/large.json | 0.9 | 0.5 | 0.4 |\n| metrics/small.json | 0.8 | 0.5 | 0.6 |\n',
    );
    expect(runMlp(dir, ['metrics', 'show', 'eval/summary.yaml']).stdout).toMatch(/^Path\s+f1\s+labels\n/);
    expect(runMlp(dir, ['metrics', 'show', 'other.json']).stdout).toMatch(/other\.json\s+1\n$/);
    const unknown = runMlp(dir, ['metrics', 'show', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown target 'nope'");
  });

  test('-a shows every branch and -T every tag, each read at its own commit', () => {
    const dir = project();
    git(dir, 'tag', 'v1');
    git(dir, 'checkout', '-qb', 'experiment');
    commitFiles(dir, { 'metrics/small.json': json(0.85, 0.5) });
    git(dir, 'checkout', '-q', 'main');
    const branches = runMlp(dir, ['metrics', 'show', 'metrics/small.json', '-a']);
    expect(branches.stdout).toBe(
      [
        'Revision    Path                accuracy  loss.train  loss.val',
        'workspace   metrics/small.json       0.8         0.5       0.6',
        'experiment  metrics/small.json      0.85         0.5       0.5',
        'main        metrics/small.json       0.8         0.5       0.6',
        '',
      ].join('\n'),
    );
    const tags = JSON.parse(runMlp(dir, ['metrics', 'show', '-T', '--json']).stdout) as Record<string, unknown>;
    expect(Object.keys(tags)).toEqual(['workspace', 'v1']);
  });

  test('a metrics file that is not valid JSON or YAML is named, the others still shown (exit 0, as DVC); diff stops on it', () => {
    const dir = project();
    writeFiles(dir, { 'metrics/small.json': '{"accuracy": 0.8,,}' });
    const result = runMlp(dir, ['metrics', 'show']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('metrics/large.json');
    expect(result.stdout).not.toContain('metrics/small.json');
    expect(result.stderr).toMatch(/^warning: metrics file 'metrics\/small\.json' in the workspace is not valid JSON or YAML \(line 1:\d+: /);
    expect(result.stderr).toContain('hint: metrics files are JSON or YAML mappings');
    git(dir, 'commit', '-qam', 'broken');
    writeFiles(dir, { 'metrics/small.json': json(0.8, 0.6) });
    const atRev = runMlp(dir, ['metrics', 'diff']);
    expect(atRev.code).toBe(1);
    expect(atRev.stderr).toContain("error: metrics file 'metrics/small.json' at revision HEAD is not valid JSON or YAML");
    writeFiles(dir, { 'metrics/small.json': 'just some text' });
    expect(runMlp(dir, ['metrics', 'show']).stderr).toContain('is not a mapping of metric names to values');
  });
});

describe('mlp metrics diff', () => {
  test('HEAD vs workspace: old, new and change, only what changed; --all, --precision, --json', () => {
    const dir = project();
    writeFiles(dir, { 'metrics/small.json': json(0.8123456, 0.55), 'eval/summary.yaml': 'f1: 0.75\nlabels: [spam, ham, other]\n' });
    const result = runMlp(dir, ['metrics', 'diff']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Path                Metric           HEAD           workspace    Change',
        'eval/summary.yaml   labels    [spam, ham]  [spam, ham, other]  modified',
        'metrics/small.json  accuracy          0.8             0.81235  +0.01235',
        'metrics/small.json  loss.val          0.6                0.55     -0.05',
        '',
      ].join('\n'),
    );
    expect(runMlp(dir, ['metrics', 'diff', '--precision', '2']).stdout).toMatch(/accuracy\s+0\.8\s+0\.81\s+\+0\.01\n/);
    const all = runMlp(dir, ['metrics', 'diff', '--all']).stdout;
    expect(all).toMatch(/metrics\/large\.json\s+accuracy\s+0\.9\s+0\.9\s+0\n/);
    expect(all).toMatch(/eval\/summary\.yaml\s+f1\s+0\.75\s+0\.75\s+0\n/);
    const parsed = JSON.parse(runMlp(dir, ['metrics', 'diff', '--json']).stdout) as Record<string, Record<string, { diff: number }>>;
    expect(parsed['metrics/small.json']?.['loss.val']).toEqual({ old: 0.6, new: 0.55, status: 'modified', diff: expect.closeTo(-0.05, 10) });
    expect(runMlp(dir, ['metrics', 'diff', '--precision', 'x']).code).toBe(2);
  });

  test('--md between two branches is a table ready for a pull-request comment; added and removed metrics', () => {
    const dir = project();
    git(dir, 'checkout', '-qb', 'feature');
    commitFiles(dir, { 'metrics/large.json': JSON.stringify({ accuracy: 0.93, loss: { train: 0.5, val: 0.4 }, auc: 0.97 }) });
    commitFiles(dir, { 'eval/summary.yaml': 'labels: [spam, ham]\n' });
    const md = runMlp(dir, ['metrics', 'diff', 'main', 'feature', '--md']);
    expect(md.stdout).toBe(
      [
        '| Path | Metric | main | feature | Change |',
        '|:---|:---|---:|---:|---:|',
        '| eval/summary.yaml | f1 | 0.75 | - | removed |',
        '| metrics/large.json | accuracy | 0.9 | 0.93 | +0.03 |',
        '| metrics/large.json | auc | - | 0.97 | added |',
        '',
      ].join('\n'),
    );
    expect(runMlp(dir, ['metrics', 'diff', 'feature', 'feature', '--md']).stdout).toBe('No metrics changed between feature and feature.\n');
    expect(runMlp(dir, ['metrics', 'diff', 'main', 'feature', 'evaluate']).stdout).not.toContain('accuracy');
  });

  test('a metrics file new in the workspace shows all its metrics as added; a metrics file kept in the cache is read through the lock', () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  train:\n    cmd: cp source.json scores.json\n    deps: [source.json]\n    metrics: [{scores.json: {cache: true}}]\n',
      'source.json': '{"acc": 0.5}',
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    expect(runMlp(dir, ['metrics', 'diff']).stdout).toMatch(/scores\.json\s+acc\s+-\s+0\.5\s+added/);
    commitFiles(dir, {}); // scores.json is git-ignored: only pipeline.lock records it
    writeFiles(dir, { 'source.json': '{"acc": 0.75}' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    commitFiles(dir, {});
    expect(git(dir, 'ls-files')).not.toContain('scores.json');
    expect(runMlp(dir, ['metrics', 'diff', 'HEAD~1', 'HEAD']).stdout).toMatch(/scores\.json\s+acc\s+0\.5\s+0\.75\s+\+0\.25/);
  });

  test('an unknown revision is an error', () => {
    const dir = project();
    const result = runMlp(dir, ['metrics', 'diff', 'HEAD~5']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: unknown revision 'HEAD~5'");
  });
});
