/** The lock journal: finished stages made durable by one appended line, folded into pipeline.lock. */
import fs from 'node:fs';
import path from 'node:path';
import { readJournal } from '../../src/lock/lock-journal.js';
import { Lockfile, type LockEntry } from '../../src/lock/lockfile.js';
import { toRepoPath as p } from '../../src/schema/repo-path.js';
import { toSha256 as h } from '../../src/schema/sha256.js';
import { signatureOf } from '../../src/util/stat-signature.js';
import { tempDir } from '../helpers/cli.js';

const entry = (n: number): LockEntry => ({
  cmd: [`cp a${n} b${n}`],
  deps: [{ path: p(`a${n}`), hash: h('e'.repeat(64)), size: n }],
  params: { 'params.yaml': { lr: n / 10, layers: [n, n + 1] } },
  outs: [{ path: p(`b${n}`), hash: h('a'.repeat(64)), size: 5, nfiles: 2 }],
});

function setup() {
  const dir = tempDir();
  const journal = path.join(dir, 'journal');
  const lockFile = path.join(dir, 'pipeline.lock');
  const load = () => Lockfile.load(dir, undefined, journal);
  /** What pipeline.lock holds when the same entries are written the old way, in one save. */
  const expected = (...ns: number[]): string => {
    const other = tempDir();
    const lock = Lockfile.load(other);
    for (const n of ns) lock.set(`s${n}`, entry(n));
    return lock.serialize();
  };
  return { dir, journal, lockFile, load, expected };
}

describe('lock journal', () => {
  test('record() appends one line per stage and leaves pipeline.lock alone; another reader sees the stages', () => {
    const { journal, lockFile, load, expected } = setup();
    const first = load();
    first.set('s1', entry(1));
    first.save();
    const before = signatureOf(lockFile);
    const lock = load();
    lock.record('s2', entry(2));
    lock.record('s3', entry(3));
    expect(signatureOf(lockFile)).toBe(before); // not rewritten: O(1) per stage
    expect(fs.readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(3); // header + 2 records
    // A reader (e.g. `mlp status` while the repro runs) sees the lock plus the journal.
    const reader = load();
    expect(reader.names().sort()).toEqual(['s1', 's2', 's3']);
    expect(reader.get('s2')).toEqual(lock.get('s2'));
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(1));
  });

  test('flush() writes pipeline.lock exactly as a full save would, and removes the journal', () => {
    const { journal, lockFile, load, expected } = setup();
    const lock = load();
    lock.record('s2', entry(2));
    lock.record('s1', entry(1));
    lock.flush();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(1, 2));
    expect(fs.existsSync(journal)).toBe(false);
    expect(load().get('s1')).toEqual(entry(1));
  });

  test('a journal left by a killed run is applied on load and folded by the next writer', () => {
    const { journal, lockFile, load, expected } = setup();
    const killed = load();
    killed.record('s1', entry(1));
    killed.record('s2', entry(2));
    // `killed` never flushes: the process died. The next command sees both stages.
    const next = load();
    expect(next.names().sort()).toEqual(['s1', 's2']);
    // Its first record folds the leftovers into the file, then starts a journal of its own.
    next.record('s3', entry(3));
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(1, 2));
    const contents = readJournal(journal, lockFile);
    expect(contents.state === 'current' && contents.records.map((r) => r.stage)).toEqual(['s3']);
    next.flush();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(1, 2, 3));
  });

  test('a leftover journal is folded by flush() even when nothing new was recorded', () => {
    const { journal, lockFile, load, expected } = setup();
    load().record('s1', entry(1));
    load().flush();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(1));
    expect(fs.existsSync(journal)).toBe(false);
  });

  test('a torn last line (power loss mid-write) is ignored, and so is everything after a damaged line', () => {
    const { journal, load } = setup();
    const lock = load();
    lock.record('s1', entry(1));
    lock.record('s2', entry(2));
    const whole = fs.readFileSync(journal, 'utf8');
    fs.writeFileSync(journal, whole.slice(0, -20)); // s2's line cut short, no newline
    expect(load().names()).toEqual(['s1']);
    // Cut exactly before the newline: the JSON would parse, but an unterminated line is not trusted.
    fs.writeFileSync(journal, whole.slice(0, -1));
    expect(load().names()).toEqual(['s1']);
    // A damaged line in the middle: it and what follows are ignored.
    const lines = whole.split('\n');
    fs.writeFileSync(journal, [lines[0], '{"stage":"s1","entry":{"cmd":', lines[2], ''].join('\n'));
    expect(load().names()).toEqual([]);
    // A record the lock parser rejects (an out without a hash) stops the replay too.
    fs.writeFileSync(journal, [lines[0], '{"stage":"bad","entry":{"cmd":"x","outs":[{"path":"o"}]}}', lines[2], ''].join('\n'));
    expect(load().names()).toEqual([]);
  });

  test('a journal written on top of another pipeline.lock (e.g. before a git checkout) is ignored and removed', () => {
    const { dir, journal, lockFile, load } = setup();
    const lock = load();
    lock.record('s1', entry(1));
    // The lock file is replaced by another one (git checkout, or a hand edit).
    const other = Lockfile.load(dir);
    other.set('s9', entry(9));
    other.save();
    expect(readJournal(journal, lockFile).state).toBe('stale');
    const next = load();
    expect(next.names()).toEqual(['s9']);
    next.flush();
    expect(fs.existsSync(journal)).toBe(false);
    expect(load().names()).toEqual(['s9']);
  });

  test('an empty or headerless journal applies nothing', () => {
    const { journal, load } = setup();
    fs.writeFileSync(journal, '');
    expect(load().names()).toEqual([]);
    fs.writeFileSync(journal, '{"stage":"s1","entry":{"cmd":"x"}}\n');
    expect(load().names()).toEqual([]);
  });

  test('save() after records writes everything and ends the journal; without a journal file, record() saves', () => {
    const { dir, journal, lockFile, load, expected } = setup();
    const lock = load();
    lock.record('s1', entry(1));
    lock.delete('s1');
    lock.set('s2', entry(2));
    lock.save();
    expect(fs.existsSync(journal)).toBe(false);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(2));
    const plain = Lockfile.load(dir);
    plain.record('s3', entry(3));
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(expected(2, 3));
  });
});
