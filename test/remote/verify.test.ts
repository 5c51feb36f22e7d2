/**
 * Corruption never spreads: a damaged cache object is not pushed (it is removed locally and the
 * push fails), and `mlp remote verify` finds damaged or missing objects on a remote and
 * `--repair` fixes them from good local copies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { git, read, runMlp, tempDir } from '../helpers/cli.js';
import { cacheObjects, cloneWithoutData, json, objectsUnder, repoWithData } from './fixtures.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function withLocalRemote(): { dir: string; remote: string } {
  const dir = repoWithData();
  const remote = tempDir('mlp-verify-remote-');
  made.push(dir, remote);
  expect(runMlp(dir, ['remote', 'add', '-d', 'store', remote]).code).toBe(0);
  git(dir, 'commit', '-qam', 'remote');
  return { dir, remote };
}

const hashOf = (dir: string, pointer: string): string => (/sha256: ([0-9a-f]{64})/.exec(read(dir, pointer)) as RegExpMatchArray)[1] as string;
const objectFile = (root: string, hash: string): string => path.join(root, 'files/sha256', hash.slice(0, 2), hash.slice(2));
const cacheFile = (dir: string, hash: string): string => objectFile(path.join(dir, '.mlp/cache'), hash);

/** Overwrites an object in place, as a bad disk or an edit through a hardlink would. */
function damage(file: string, how: 'flip' | 'truncate'): void {
  const data = fs.readFileSync(file);
  fs.chmodSync(file, 0o644);
  if (how === 'flip') {
    data[0] = (data[0] as number) ^ 0x01;
    fs.writeFileSync(file, data);
  } else {
    fs.writeFileSync(file, data.subarray(0, Math.floor(data.length / 2)));
  }
}

/** The hash of data/images/img5.bin (a file inside a tracked directory), from the cache's manifest. */
function imageHash(dir: string): string {
  const manifest = JSON.parse(fs.readFileSync(cacheFile(dir, hashOf(dir, 'data/images.mlp')), 'utf8')) as { path: string; hash: string }[];
  return (manifest.find((e) => e.path === 'img5.bin') as { hash: string }).hash;
}

describe('push verifies what it sends', () => {
  test.each(['flip', 'truncate'] as const)('a cache object damaged by a %s is not pushed, is removed locally, and the push fails', (how) => {
    const { dir, remote } = withLocalRemote();
    const labels = hashOf(dir, 'data/labels.csv.mlp');
    const image = imageHash(dir);
    const images = hashOf(dir, 'data/images.mlp');
    damage(cacheFile(dir, labels), how);
    damage(cacheFile(dir, image), how);

    const result = runMlp(dir, ['push']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: data/labels.csv: the cache object ${labels.slice(0, 12)}`);
    expect(result.stderr).toContain('is corrupted (its content does not match its hash); it was removed and not pushed');
    expect(result.stderr).toContain('error: data/images/img5.bin: the cache object');
    expect(result.stderr).toMatch(/hint: .*mlp add.*mlp commit|hint: .*mlp commit.*mlp add/);
    const onRemote = objectsUnder(remote);
    expect(onRemote).not.toContain(labels);
    expect(onRemote).not.toContain(image);
    expect(onRemote).not.toContain(images); // the directory is incomplete there: its manifest stays behind
    expect(onRemote.length).toBeGreaterThan(0); // everything else went
    expect(fs.existsSync(cacheFile(dir, labels))).toBe(false);
    expect(fs.existsSync(cacheFile(dir, image))).toBe(false);

    // The workspace still has the right data: `mlp commit` stores it again and the push completes.
    expect(runMlp(dir, ['commit']).code).toBe(0);
    const again = json(runMlp(dir, ['push', '--json']));
    expect(again.failures).toEqual([]);
    expect(objectsUnder(remote)).toEqual(cacheObjects(dir));
  });

  test('push --json reports a corrupted object as a failure with its reason', () => {
    const { dir } = withLocalRemote();
    const labels = hashOf(dir, 'data/labels.csv.mlp');
    damage(cacheFile(dir, labels), 'flip');
    const result = runMlp(dir, ['push', '--json']);
    expect(result.code).toBe(1);
    const summary = json(result);
    expect(summary.failures).toEqual([expect.objectContaining({ hash: labels, path: 'data/labels.csv', reason: 'corrupted-local' })]);
  });
});

describe('mlp remote verify', () => {
  test('finds damaged and missing objects; --repair re-uploads good copies', () => {
    const { dir, remote } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const clean = runMlp(dir, ['remote', 'verify']);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`Verified ${cacheObjects(dir).length} objects on 'store': all good.`);

    const labels = hashOf(dir, 'data/labels.csv.mlp');
    const image = imageHash(dir);
    const model = (/path: models\/model.bin\n\s+sha256: ([0-9a-f]{64})/.exec(read(dir, 'pipeline.lock')) as RegExpMatchArray)[1] as string;
    damage(objectFile(remote, labels), 'flip');
    damage(objectFile(remote, image), 'truncate');
    fs.rmSync(objectFile(remote, model));

    const found = runMlp(dir, ['remote', 'verify']);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(new RegExp(`^data/labels.csv +corrupted on the remote \\(${labels.slice(0, 12)}\\)$`, 'm'));
    expect(found.stdout).toMatch(new RegExp(`^data/images/img5.bin +corrupted on the remote \\(${image.slice(0, 12)}\\)$`, 'm'));
    expect(found.stdout).toMatch(new RegExp(`^models/model.bin +missing on the remote \\(${model.slice(0, 12)}\\)$`, 'm'));
    expect(found.stdout).toContain(`Verified ${cacheObjects(dir).length} objects on 'store': 2 corrupted, 1 missing.`);
    expect(found.stderr).toContain('hint: run `mlp remote verify --repair`');
    const report = json(runMlp(dir, ['remote', 'verify', '--json']));
    expect(report).toMatchObject({ remote: 'store', corrupted: 2, missing: 1, repaired: 0 });

    const repaired = runMlp(dir, ['remote', 'verify', '--repair']);
    expect(repaired.stderr).toBe('');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/^data\/labels.csv +corrupted on the remote .*; repaired: uploaded the good local copy$/m);
    expect(repaired.stdout).toContain('repaired: uploaded the good local copy');
    expect(runMlp(dir, ['remote', 'verify']).code).toBe(0);
    // Another clone can pull everything again.
    const clone = cloneWithoutData(dir);
    made.push(path.dirname(clone));
    expect(runMlp(clone, ['pull']).code).toBe(0);
    expect(read(clone, 'data/labels.csv')).toBe(read(dir, 'data/labels.csv'));
  });

  test('--repair deletes a bad remote object when no good copy exists here, and says so', () => {
    const { dir, remote } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const labels = hashOf(dir, 'data/labels.csv.mlp');
    damage(objectFile(remote, labels), 'flip');
    fs.chmodSync(cacheFile(dir, labels), 0o644);
    fs.rmSync(cacheFile(dir, labels));
    const result = runMlp(dir, ['remote', 'verify', '--repair']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^data\/labels.csv +corrupted on the remote/m);
    expect(result.stdout).toContain('deleted it from the remote: no good copy here');
    expect(result.stderr).toContain('hint: ');
    expect(fs.existsSync(objectFile(remote, labels))).toBe(false);
  });
});

describe('mlp remote verify -A', () => {
  test('also checks the objects of older commits', () => {
    const { dir, remote } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const old = hashOf(dir, 'data/labels.csv.mlp');
    fs.writeFileSync(path.join(dir, 'data/labels.csv'), 'a,b\n3,4\n');
    expect(runMlp(dir, ['add', 'data/labels.csv']).code).toBe(0);
    git(dir, 'commit', '-qam', 'new labels');
    expect(runMlp(dir, ['push']).code).toBe(0);
    damage(objectFile(remote, old), 'flip');
    expect(runMlp(dir, ['remote', 'verify']).code).toBe(0); // the workspace no longer uses it
    const all = runMlp(dir, ['remote', 'verify', '-A']);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(new RegExp(`^\\(in a commit\\) ${old.slice(0, 12)} +corrupted on the remote`, 'm'));
    expect(runMlp(dir, ['remote', 'verify', '-A', '--repair']).code).toBe(0); // the cache still has the old version
    expect(runMlp(dir, ['remote', 'verify', '-A']).code).toBe(0);
  });
});

describe('pull', () => {
  test('exits non-zero when a requested file cannot be checked out, and a rerun fetches a good copy', () => {
    const { dir } = withLocalRemote();
    expect(runMlp(dir, ['push']).code).toBe(0);
    const labels = hashOf(dir, 'data/labels.csv.mlp');
    damage(cacheFile(dir, labels), 'flip'); // the cache has it, so nothing is fetched, but it is bad
    fs.rmSync(path.join(dir, 'data/labels.csv'));
    const result = runMlp(dir, ['pull', 'data/labels.csv']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Checkout: 0 restored, 0 unchanged, 1 not available.');
    expect(result.stderr).toContain('is corrupted (its content does not match its hash)');
    expect(result.stderr).toContain('hint: rerun `mlp pull`');
    const json = runMlp(dir, ['pull', '--json', 'data/labels.csv']);
    expect(json.code).toBe(0); // the damaged object was removed: this pull fetched a good copy
    expect(read(dir, 'data/labels.csv')).toBe('a,b\n1,2\n');
  });
});
