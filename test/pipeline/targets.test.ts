import { buildDag } from '../../src/pipeline/dag.js';
import { globToRegExp, resolveTargets, selectTargetStages } from '../../src/pipeline/targets.js';
import type { OutSpec, Pipeline, Stage } from '../../src/pipeline/types.js';
import type { RepoPath } from '../../src/schema/repo-path.js';
import { thrownMlpError } from '../helpers/errors.js';

const ROOT = '/repo';

function stage(name: string, deps: string[], outs: string[], file = 'pipeline.yaml'): Stage {
  return {
    name,
    cmd: ['true'],
    wdir: '.',
    deps: deps as RepoPath[],
    outs: outs.map((p): OutSpec => ({ path: p as RepoPath, kind: 'out', cache: true, persist: false })),
    params: [],
    frozen: false,
    alwaysChanged: false,
    desc: undefined,
    env: {},
    location: { file, line: 1, column: 1 },
  };
}

/** raw.csv (tracked) → prepare → data/prep → train@a, train@b → models/{a,b} → evaluate → metrics.json; other is alone. */
const pipeline: Pipeline = {
  root: ROOT,
  file: 'pipeline.yaml',
  files: ['pipeline.yaml', 'sub/pipeline.yaml'],
  stages: new Map(
    [
      stage('prepare', ['raw.csv'], ['data/prep']),
      stage('train@a', ['data/prep'], ['models/a']),
      stage('train@b', ['data/prep'], ['models/b']),
      stage('evaluate', ['models'], ['metrics.json']),
      stage('sub/pipeline.yaml:other', [], ['out/other.txt'], 'sub/pipeline.yaml'),
    ].map((s) => [s.name, s]),
  ),
};
const tracked = [{ file: 'raw.csv.mlp', path: 'raw.csv' }];
const dag = buildDag(pipeline);
const select = (targets: string[], options = {}): string[] => selectTargetStages(pipeline, dag, targets, { cwd: ROOT, tracked, ...options });

describe('resolveTargets', () => {
  test('stage names, groups, file:stage addresses and pipeline files', () => {
    expect(resolveTargets(pipeline, ['train'], { cwd: ROOT }).stages).toEqual(['train@a', 'train@b']);
    expect(resolveTargets(pipeline, ['pipeline.yaml:evaluate'], { cwd: ROOT }).stages).toEqual(['evaluate']);
    expect(resolveTargets(pipeline, ['sub/pipeline.yaml'], { cwd: ROOT }).stages).toEqual(['sub/pipeline.yaml:other']);
    // Relative to the current directory.
    expect(resolveTargets(pipeline, ['pipeline.yaml:other'], { cwd: `${ROOT}/sub` }).stages).toEqual(['sub/pipeline.yaml:other']);
  });

  test('paths: an output, a path inside one, a directory holding outputs; tracked data by pointer or path', () => {
    const inside = resolveTargets(pipeline, ['models/a/weights.bin'], { cwd: ROOT });
    expect(inside.stages).toEqual(['train@a']);
    expect(inside.wholeStages).toEqual([]);
    expect(inside.outputs).toEqual([{ stage: 'train@a', path: 'models/a' }]);
    expect(resolveTargets(pipeline, ['models'], { cwd: ROOT }).outputs.map((o) => o.path)).toEqual(['models/a', 'models/b']);
    expect(resolveTargets(pipeline, ['raw.csv.mlp'], { cwd: ROOT, tracked }).tracked).toEqual(tracked);
    expect(resolveTargets(pipeline, ['raw.csv'], { cwd: ROOT, tracked }).tracked).toEqual(tracked);
    // Listing tracked data is deferred until a target is not a stage.
    let listed = 0;
    resolveTargets(pipeline, ['prepare'], { cwd: ROOT, tracked: () => (listed++, tracked) });
    expect(listed).toBe(0);
  });

  test('-R: a directory means the pipeline and pointer files below it', () => {
    expect(resolveTargets(pipeline, ['sub'], { cwd: ROOT, recursive: true }).stages).toEqual(['sub/pipeline.yaml:other']);
    expect(thrownMlpError(() => resolveTargets(pipeline, ['sub'], { cwd: ROOT })).message).toContain("unknown target 'sub'");
  });

  test('--glob matches stage names as fnmatch does', () => {
    expect(resolveTargets(pipeline, ['train@*'], { cwd: ROOT, glob: true }).stages).toEqual(['train@a', 'train@b']);
    expect(resolveTargets(pipeline, ['?valuate', 'prep*'], { cwd: ROOT, glob: true }).stages).toEqual(['prepare', 'evaluate']);
    expect(thrownMlpError(() => resolveTargets(pipeline, ['zz*'], { cwd: ROOT, glob: true })).message).toBe("unknown target 'zz*': no stage name matches that pattern");
    // Without --glob a pattern is a path, and nothing is at that path.
    expect(thrownMlpError(() => resolveTargets(pipeline, ['train@*'], { cwd: ROOT })).exitCode).toBe(2);
    expect(globToRegExp('a[!b]c').test('axc')).toBe(true);
    expect(globToRegExp('a[!b]c').test('abc')).toBe(false);
    expect(globToRegExp('a.c').test('abc')).toBe(false);
  });

  test('unknown targets: a close name is suggested, otherwise the stages are listed', () => {
    const typo = thrownMlpError(() => resolveTargets(pipeline, ['evalute'], { cwd: ROOT }));
    expect(typo.message).toBe("unknown target 'evalute': no stage or output of that name or path");
    expect(typo.hint).toBe("did you mean 'evaluate'?");
    expect(typo.exitCode).toBe(2);
    expect(thrownMlpError(() => resolveTargets(pipeline, ['raw.csv.ml'], { cwd: ROOT, tracked })).hint).toBe("did you mean 'raw.csv.mlp'?");
    const far = thrownMlpError(() => resolveTargets(pipeline, ['deploy'], { cwd: ROOT }));
    expect(far.hint).toBe('stages in pipeline.yaml, sub/pipeline.yaml: prepare, train@a, train@b, evaluate, sub/pipeline.yaml:other');
    const addressed = thrownMlpError(() => resolveTargets(pipeline, ['pipeline.yaml:prepar'], { cwd: ROOT }));
    expect(addressed.message).toBe("unknown target 'pipeline.yaml:prepar': pipeline.yaml has no stage 'prepar'");
    expect(addressed.hint).toBe("did you mean 'pipeline.yaml:prepare'?");
    expect(thrownMlpError(() => resolveTargets(pipeline, ['../elsewhere'], { cwd: ROOT })).message).toContain('outside the repository');
  });

  test('without a pipeline file, tracked data is still a target; anything else is the missing file (exit 3)', () => {
    const none: Pipeline = { root: ROOT, file: 'pipeline.yaml', files: [], stages: new Map(), missing: true };
    expect(resolveTargets(none, ['raw.csv'], { cwd: ROOT, tracked }).tracked).toEqual(tracked);
    const missing = thrownMlpError(() => resolveTargets(none, ['train'], { cwd: ROOT, tracked }));
    expect(missing.exitCode).toBe(3);
    expect(missing.message).toContain('pipeline.yaml does not exist');
  });
});

describe('selectTargetStages', () => {
  test('targets with what they depend on; -s only the targets; no targets or -P everything', () => {
    expect(select(['evaluate'])).toEqual(['prepare', 'train@a', 'train@b', 'evaluate']);
    expect(select(['evaluate'], { single: true })).toEqual(['evaluate']);
    expect(select([])).toEqual(dag.order);
    expect(select(['evaluate'], { allPipelines: true })).toEqual(dag.order);
  });

  test('--downstream: the targets and what depends on them, not what they depend on', () => {
    expect(select(['train@a'], { downstream: true })).toEqual(['train@a', 'evaluate']);
    expect(select(['prepare'], { downstream: true })).toEqual(['prepare', 'train@a', 'train@b', 'evaluate']);
    // Tracked data selects the stages that read it.
    expect(select(['raw.csv.mlp'], { downstream: true })).toEqual(['prepare', 'train@a', 'train@b', 'evaluate']);
    // Without --downstream, tracked data alone selects no stage.
    expect(select(['raw.csv.mlp'])).toEqual([]);
  });
});
