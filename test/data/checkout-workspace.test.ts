/** checkoutWorkspace / recordedPaths (src/data/checkout-workspace.ts) on real temp repositories. */
import fs from 'node:fs';
import path from 'node:path';
import { addPaths } from '../../src/data/add.js';
import { checkoutWorkspace, recordedPaths } from '../../src/data/checkout-workspace.js';
import type { HashInfo } from '../../src/hash/hash-path.js';
import type { Repo } from '../../src/repo/repo.js';
import { read, writeFiles } from '../helpers/cli.js';
import { P, coreRepo, removeCoreRepos, reopen, type CoreRepo } from '../helpers/core-repo.js';

afterEach(removeCoreRepos);

const PIPELINE = [
  'stages:',
  '  prep:',
  '    cmd: echo prep',
  '    outs: [data/prep]',
  '  train:',
  '    cmd: echo train',
  '    outs: [models/m.bin]',
  '',
].join('\n');

/** Records `rel` (written from `files`) as an output of `stage` in pipeline.lock. */
async function recordOutput(repo: Repo, stage: string, rel: string): Promise<HashInfo> {
  const hashed = await repo.workspace.hashAndSave(P(rel));
  if (!hashed) throw new Error(`${rel} missing`);
  const info = { hash: hashed.hash, size: hashed.size, ...(hashed.nfiles === undefined ? {} : { nfiles: hashed.nfiles }) };
  const entry = repo.lock.get(stage) ?? { cmd: [`echo ${stage}`], deps: [], params: {}, outs: [] };
  repo.lock.set(stage, { ...entry, outs: [...entry.outs, { path: P(rel), ...info }] });
  repo.lock.save();
  return info;
}

/** A repository with two stage outputs recorded in pipeline.lock and `raw` tracked by a pointer. */
async function recorded(): Promise<CoreRepo> {
  const r = coreRepo({ 'pipeline.yaml': PIPELINE });
  writeFiles(r.root, { 'data/prep/a.txt': 'prep a', 'data/prep/b.txt': 'prep b', 'models/m.bin': 'model', 'raw/x.csv': 'x' });
  await recordOutput(r.repo, 'prep', 'data/prep');
  await recordOutput(r.repo, 'train', 'models/m.bin');
  await addPaths(r.repo, [P('raw')]);
  reopen(r);
  return r;
}

function removeWorkspaceData(r: CoreRepo): void {
  for (const p of ['data/prep', 'models/m.bin', 'raw']) fs.rmSync(path.join(r.root, p), { recursive: true });
}

const outcomes = (items: { path: string; outcome: string }[]): Record<string, string> => Object.fromEntries(items.map((i) => [i.path, i.outcome]));

describe('checkoutWorkspace', () => {
  test('restores every recorded output and tracked path, then finds them unchanged', async () => {
    const r = await recorded();
    removeWorkspaceData(r);
    const items = checkoutWorkspace(r.repo, []);
    expect(items.map((i) => [i.path, i.source, i.outcome])).toEqual([
      ['data/prep', 'prep', 'restored'],
      ['models/m.bin', 'train', 'restored'],
      ['raw', 'raw.mlp', 'restored'],
    ]);
    expect(read(r.root, 'data/prep/b.txt')).toBe('prep b');
    expect(read(r.root, 'models/m.bin')).toBe('model');
    expect(read(r.root, 'raw/x.csv')).toBe('x');
    expect(outcomes(checkoutWorkspace(reopen(r), []))).toEqual({ 'data/prep': 'unchanged', 'models/m.bin': 'unchanged', raw: 'unchanged' });
  });

  test('onProgress hears the paths and their bytes before the first and after each path', async () => {
    const r = await recorded();
    removeWorkspaceData(r);
    const heard: unknown[] = [];
    checkoutWorkspace(r.repo, [], { onProgress: (p) => heard.push(p) });
    // data/prep: 12 bytes in two files, models/m.bin 5, raw 1.
    expect(heard).toEqual([
      { paths: 0, totalPaths: 3, bytes: 0, totalBytes: 18 },
      { paths: 1, totalPaths: 3, bytes: 12, totalBytes: 18 },
      { paths: 2, totalPaths: 3, bytes: 17, totalBytes: 18 },
      { paths: 3, totalPaths: 3, bytes: 18, totalBytes: 18 },
    ]);
  });

  test('targets: a stage, an output path, a tracked path or its pointer file select only that', async () => {
    const r = await recorded();
    // Targets are what a user typed, relative to the working directory (the CLI runs inside the repository).
    const cwd = process.cwd();
    process.chdir(r.root);
    try {
      expect(recordedPaths(r.repo, ['train']).map((w) => w.path)).toEqual(['models/m.bin']);
      expect(recordedPaths(r.repo, ['data/prep']).map((w) => w.path)).toEqual(['data/prep']);
      expect(recordedPaths(r.repo, ['data']).map((w) => w.path)).toEqual(['data/prep']);
      expect(recordedPaths(r.repo, ['raw']).map((w) => w.path)).toEqual(['raw']);
      expect(recordedPaths(r.repo, ['raw.mlp']).map((w) => w.path)).toEqual(['raw']);
      expect(recordedPaths(r.repo, ['raw/x.csv']).map((w) => w.path)).toEqual(['raw']);
      expect(recordedPaths(r.repo, [path.join(r.root, 'raw')]).map((w) => w.path)).toEqual(['raw']);
      expect(() => recordedPaths(r.repo, ['elsewhere'])).toThrow("unknown target 'elsewhere'");
      expect(() => recordedPaths(r.repo, ['../outside'])).toThrow('is outside the repository');

      removeWorkspaceData(r);
      expect(outcomes(checkoutWorkspace(r.repo, ['train']))).toEqual({ 'models/m.bin': 'restored' });
    } finally {
      process.chdir(cwd);
    }
    expect(fs.existsSync(path.join(r.root, 'data/prep'))).toBe(false);
    expect(fs.existsSync(path.join(r.root, 'raw'))).toBe(false);
  });

  test('a path with unsaved changes is left alone and reported; the others are still restored; force overwrites', async () => {
    const r = await recorded();
    fs.rmSync(path.join(r.root, 'raw'), { recursive: true });
    writeFiles(r.root, { 'models/m.bin': 'my edit', 'data/prep/mine.txt': 'new file' });
    const items = checkoutWorkspace(r.repo, []);
    expect(outcomes(items)).toEqual({ 'data/prep': 'unsaved', 'models/m.bin': 'unsaved', raw: 'restored' });
    expect(items.find((i) => i.path === 'data/prep')?.files).toEqual(['data/prep/mine.txt']);
    expect(items.find((i) => i.path === 'models/m.bin')?.files).toEqual(['models/m.bin']);
    expect(read(r.root, 'models/m.bin')).toBe('my edit');
    expect(read(r.root, 'data/prep/mine.txt')).toBe('new file');

    expect(outcomes(checkoutWorkspace(reopen(r), [], { force: true }))).toEqual({ 'data/prep': 'restored', 'models/m.bin': 'restored', raw: 'unchanged' });
    expect(read(r.root, 'models/m.bin')).toBe('model');
    expect(fs.existsSync(path.join(r.root, 'data/prep/mine.txt'))).toBe(false);
  });

  test('a path whose data is not in the cache is reported missing; the others are restored', async () => {
    const r = await recorded();
    removeWorkspaceData(r);
    const model = r.repo.lock.get('train')?.outs[0];
    fs.rmSync(r.repo.objects.objectPath(model?.hash as never));
    const items = checkoutWorkspace(r.repo, []);
    expect(outcomes(items)).toEqual({ 'data/prep': 'restored', 'models/m.bin': 'missing', raw: 'restored' });
    expect(items.find((i) => i.path === 'models/m.bin')?.message).toContain('is not in the cache');
  });

  test('an output recorded in pipeline.lock that the stage no longer declares is not checked out', async () => {
    const r = await recorded();
    removeWorkspaceData(r);
    fs.writeFileSync(path.join(r.root, 'pipeline.yaml'), PIPELINE.replace('outs: [models/m.bin]', 'outs: [models/other.bin]'));
    expect(outcomes(checkoutWorkspace(reopen(r), []))).toEqual({ 'data/prep': 'restored', raw: 'restored' });
    expect(fs.existsSync(path.join(r.root, 'models/m.bin'))).toBe(false);
  });
});
