/** The hash state (.mlp/tmp/state.json) stays bounded: stale entries are pruned. */
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, runMlp } from '../helpers/cli.js';

const stateFile = (dir: string): string => path.join(dir, '.mlp/tmp/state.json');
const stateKeys = (dir: string): string[] => Object.keys((JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as { entries: object }).entries);

describe('hash state', () => {
  test('a state bloated with entries for files that no longer exist is pruned by the next command', () => {
    const dir = makeRepo({ 'in.txt': 'x\n', 'pipeline.yaml': 'stages:\n  s: {cmd: cp in.txt out.txt, deps: [in.txt], outs: [out.txt]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const live = stateKeys(dir);
    expect(live).toEqual(expect.arrayContaining(['in.txt', 'out.txt']));
    // What months of use leave behind, as mlp wrote it before pruning existed.
    const entries = (JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as { entries: Record<string, unknown> }).entries;
    for (let i = 0; i < 8000; i++) entries[`old/run-${i}/f.bin`] = [100000 + i, 1_700_000_000_000 + i, 10, 'c'.repeat(64)];
    fs.writeFileSync(stateFile(dir), JSON.stringify({ version: 1, entries }));

    const status = runMlp(dir, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('up to date'); // the live entries still match
    expect(stateKeys(dir).sort()).toEqual([...live].sort());
  });

  test('gc drops the records of what it removed', () => {
    // Above REMEMBER_CHECKS_ABOVE: smaller objects are verified by the read that uses them, not recorded.
    const dir = makeRepo({}, { 'data.txt': 'tracked data\n'.repeat(30_000) });
    expect(runMlp(dir, ['add', 'data.txt']).code).toBe(0);
    fs.rmSync(path.join(dir, 'data.txt'));
    expect(runMlp(dir, ['checkout']).code).toBe(0); // verifies the object: a `cache:<hash>` record
    expect(stateKeys(dir).some((k) => k.startsWith('cache:'))).toBe(true);
    fs.rmSync(path.join(dir, 'data.txt.mlp'));
    fs.rmSync(path.join(dir, 'data.txt'));
    const gc = runMlp(dir, ['gc', '-w', '-f']);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain('Removed 1 object ');
    expect(stateKeys(dir)).toEqual([]);
  });

  test('status of a tracked directory of 1,000 files: a changed file is found, a touched one is not reported', () => {
    const files = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`data/d/part${i % 10}/f${i}.txt`, `row ${i}\n`]));
    const dir = makeRepo({}, files);
    expect(runMlp(dir, ['add', 'data/d']).code).toBe(0);
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
    const file = path.join(dir, 'data/d/part4/f504.txt');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later); // touched, same bytes
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
    fs.writeFileSync(file, 'row 5X4\n'); // same size, new content
    const changed = runMlp(dir, ['status']);
    expect(changed.stdout).toContain('data/d.mlp: data/d modified');
    // Still found by the next command, whose state now records the changed directory.
    expect(runMlp(dir, ['status']).stdout).toContain('data/d.mlp: data/d modified');
    fs.writeFileSync(file, 'row 504\n');
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
  });
});
