/** Several pipeline files as one pipeline (pipelines.ts): which files count, addresses, paths relative to each file. */
import fs from 'node:fs';
import { PipelineError } from '../../src/errors.js';
import { localName, lockFileOf, splitAddress, stageAddress } from '../../src/pipeline/address.js';
import { buildDag } from '../../src/pipeline/dag.js';
import { loadPipelines, pipelineFilesOf } from '../../src/pipeline/pipelines.js';
import { resolveTargets } from '../../src/pipeline/targets.js';
import { tempDir, writeFiles } from '../helpers/cli.js';
import { thrownMlpError } from '../helpers/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function load(files: Record<string, string>) {
  const dir = tempDir();
  dirs.push(dir);
  writeFiles(dir, files);
  return loadPipelines(dir, pipelineFilesOf(Object.keys(files)));
}

describe('pipeline files of a listing', () => {
  test('the root one first, then the others sorted; .git, .mlp, nested repositories and ignored directories are skipped', () => {
    const listing = ['z/pipeline.yaml', 'pipeline.yaml', 'a/b/pipeline.yaml', 'a/pipeline.yaml.bak', '.mlp/pipeline.yaml', 'x/.git/pipeline.yaml', 'nested/.mlp/config.yaml', 'nested/pipeline.yaml', 'nested/deep/pipeline.yaml', 'ignored/pipeline.yaml', 'sub/.git'];
    expect(pipelineFilesOf(listing, { isIgnored: (rel, isDir) => isDir && rel === 'ignored' })).toEqual(['pipeline.yaml', 'a/b/pipeline.yaml', 'z/pipeline.yaml']);
    expect(pipelineFilesOf(['s/pipeline.yaml'], { isNestedRepo: (dir) => dir === 's' })).toEqual([]);
  });

  test('addresses: plain names in the root file, file:name elsewhere', () => {
    expect(stageAddress('pipeline.yaml', 'train')).toBe('train');
    expect(stageAddress('nlp/pipeline.yaml', 'train@a')).toBe('nlp/pipeline.yaml:train@a');
    expect(splitAddress('nlp/pipeline.yaml:train@a')).toEqual({ file: 'nlp/pipeline.yaml', name: 'train@a' });
    expect(splitAddress('train')).toEqual({ file: 'pipeline.yaml', name: 'train' });
    expect(localName({ name: 'a/b/pipeline.yaml:x' })).toBe('x');
    expect(lockFileOf('a/b/pipeline.yaml')).toBe('a/b/pipeline.lock');
    expect(lockFileOf('pipeline.yaml')).toBe('pipeline.lock');
  });
});

describe('loading several pipeline files', () => {
  test('paths, wdir, vars and params.yaml are relative to the file; one DAG across files', () => {
    const p = load({
      'pipeline.yaml': 'stages:\n  prepare: {cmd: echo, outs: [data/shared.txt]}\n',
      'nlp/params.yaml': 'lr: 0.1\n',
      'nlp/vars.yaml': 'epochs: 3\n',
      'nlp/pipeline.yaml': 'vars: [vars.yaml]\nstages:\n  train:\n    cmd: echo ${lr} ${epochs}\n    deps: [../data/shared.txt]\n    params: [lr]\n    outs: [model.txt]\n  eval:\n    wdir: src\n    cmd: echo\n    deps: [../model.txt]\n    metrics: [m.json]\n',
    });
    expect(p.files).toEqual(['pipeline.yaml', 'nlp/pipeline.yaml']);
    expect([...p.stages.keys()]).toEqual(['prepare', 'nlp/pipeline.yaml:train', 'nlp/pipeline.yaml:eval']);
    const train = p.stages.get('nlp/pipeline.yaml:train');
    expect(train?.cmd).toEqual(['echo 0.1 3']);
    expect(train?.wdir).toBe('nlp');
    expect(train?.deps).toEqual(['data/shared.txt']);
    expect(train?.outs.map((o) => o.path)).toEqual(['nlp/model.txt']);
    expect(train?.params).toEqual([
      { file: 'nlp/params.yaml', keys: ['lr'] },
      { file: 'nlp/vars.yaml', keys: ['epochs'] },
    ]);
    const evaluate = p.stages.get('nlp/pipeline.yaml:eval');
    expect(evaluate?.wdir).toBe('nlp/src');
    expect(evaluate?.outs.map((o) => o.path)).toEqual(['nlp/src/m.json']);
    const dag = buildDag(p);
    expect(dag.order).toEqual(['prepare', 'nlp/pipeline.yaml:train', 'nlp/pipeline.yaml:eval']);
    expect([...(dag.upstream.get('nlp/pipeline.yaml:train') ?? [])]).toEqual(['prepare']);
  });

  test('a path leaving the repository is refused at its file:line:column', () => {
    let error: unknown;
    try {
      load({ 'sub/pipeline.yaml': 'stages:\n  s:\n    cmd: echo\n    outs: [../../x]\n' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe("sub/pipeline.yaml:4:5: stage 's': path '../../x' is outside the repository");
  });

  test('across files: an output declared twice and a cycle are refused; a sub-pipeline may not write another lock file', () => {
    expect(() => load({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, outs: [s/x]}\n', 's/pipeline.yaml': 'stages:\n  b: {cmd: echo, outs: [x]}\n' })).toThrow("output 's/x' is declared by both 'a' and 's/pipeline.yaml:b'");
    expect(() => load({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, deps: [s/y], outs: [x]}\n', 's/pipeline.yaml': 'stages:\n  b: {cmd: echo, deps: [../x], outs: [y]}\n' })).toThrow(/cycle/);
    expect(() => load({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo, outs: [s/pipeline.lock]}\n', 's/pipeline.yaml': 'stages:\n  b: {cmd: echo}\n' })).toThrow("output 's/pipeline.lock' is mlp's lockfile");
  });

  test('targets: addresses, plain names when unambiguous, the current directory\'s file otherwise', () => {
    const p = load({
      'pipeline.yaml': 'stages:\n  prepare: {cmd: echo}\n',
      'a/pipeline.yaml': 'stages:\n  train: {cmd: echo}\n  only-a: {cmd: echo}\n',
      'b/pipeline.yaml': 'stages:\n  train: {cmd: echo}\n',
    });
    const root = p.root;
    expect(resolveTargets(p, ['only-a'], { cwd: root }).stages).toEqual(['a/pipeline.yaml:only-a']);
    expect(resolveTargets(p, ['b/pipeline.yaml:train'], { cwd: root }).stages).toEqual(['b/pipeline.yaml:train']);
    expect(resolveTargets(p, ['train'], { cwd: `${root}/b` }).stages).toEqual(['b/pipeline.yaml:train']);
    expect(resolveTargets(p, ['pipeline.yaml:train'], { cwd: `${root}/a` }).stages).toEqual(['a/pipeline.yaml:train']);
    const ambiguous = thrownMlpError(() => resolveTargets(p, ['train'], { cwd: root }));
    expect(ambiguous.message).toBe("ambiguous target 'train': 2 pipeline files have a stage 'train': a/pipeline.yaml:train, b/pipeline.yaml:train");
    expect(ambiguous.exitCode).toBe(2);
    expect(thrownMlpError(() => resolveTargets(p, ['a/pipeline.yaml:trian'], { cwd: root })).hint).toBe("did you mean 'a/pipeline.yaml:train'?");
  });
});
