/**
 * `pipeline.lock`: what each stage last ran with. Written by mlp only, deterministically —
 * stages, paths and param keys sorted, one block per stage — so diffs stay small and merges
 * rarely conflict. Each stage block is serialised once and cached.
 *
 * Writes: `set`/`delete` change the lock in memory and `save` rewrites the file. `record` makes
 * one finished stage durable at once in O(1) — a line in the lock journal (lock-journal.ts) —
 * and `flush` (called by Repo.close for the holder of the repository lock) writes the file once
 * at the end. `load` applies a journal that a running or killed repro left on top of this file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { compareStrings, type HashInfo } from '../hash/hash-path.js';
import { LOCK_FILE } from '../pipeline/schema.js';
import { readValidatedYaml } from '../schema/cached.js';
import { parseYaml, validate } from '../schema/located.js';
import { LOCK_SCHEMA_VERSION, lockKind, lockSchema, type LockYaml } from '../schema/lockfile.js';
import { isRepoPath, type RepoPath } from '../schema/repo-path.js';
import { isSha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';
import { ParseCache } from '../util/parse-cache.js';
import { emitYaml } from '../util/yaml-emit.js';
import { JournalWriter, readJournal } from './lock-journal.js';

export interface LockedPath extends HashInfo {
  path: RepoPath;
}

/** param file → dotted key → value. */
export type LockedParams = Record<string, Record<string, unknown>>;

export interface LockEntry {
  cmd: string[];
  deps: LockedPath[];
  params: LockedParams;
  outs: LockedPath[];
}

const HEADER = '# Written by mlp: do not edit. On a merge conflict: git checkout --theirs pipeline.lock && mlp repro\n';
const SCHEMA = LOCK_SCHEMA_VERSION;

export class Lockfile {
  private readonly blocks = new Map<string, string>();
  /** The entries in memory differ from the file (changed, or applied from a journal). */
  private unsaved = false;
  private journal: JournalWriter | undefined;

  private constructor(
    readonly file: string,
    private readonly entries: Map<string, LockEntry>,
    private readonly cache: ParseCache,
    private readonly journalFile: string | undefined,
  ) {}

  /**
   * Reads and validates `pipeline.lock` in `root` (through the parse cache, validated either
   * way). With `journalFile`, finished stages recorded there on top of this very file (by a repro
   * still running, or killed) are applied, and `record` appends to it; without, `record`
   * rewrites the file.
   */
  static load(root: string, cache = ParseCache.inMemory(), journalFile?: string): Lockfile {
    const file = path.join(root, LOCK_FILE);
    const entries = readValidatedYaml(cache, file, LOCK_FILE, lockSchema, lockKind(LOCK_FILE), lockEntries, checkConflictMarkers);
    const lock = new Lockfile(file, entries ?? new Map(), cache, journalFile);
    if (journalFile) lock.applyJournal(journalFile);
    return lock;
  }

  /** Applies the journal's records, each validated by the lockfile's schema (a rare path: after a crash). */
  private applyJournal(journalFile: string): void {
    const journal = readJournal(journalFile, this.file);
    if (journal.state !== 'current') return;
    for (const record of journal.records) {
      let parsed: Map<string, LockEntry>;
      try {
        const data = validate({ schema: SCHEMA, stages: { [record.stage]: record.entry } }, lockSchema(), journalFile, lockKind(LOCK_FILE));
        parsed = lockEntries(data);
      } catch {
        break; // damaged: ignore it and what follows, like a torn line (those stages rerun or restore)
      }
      for (const [name, entry] of parsed) this.set(name, entry);
    }
  }

  /** Parses and validates lockfile text; `file` names it in errors (e.g. `pipeline.lock at HEAD~1`). */
  static parse(text: string, file = LOCK_FILE): Map<string, LockEntry> {
    checkConflictMarkers(text, file);
    return lockEntries(parseYaml(text, file, lockSchema(), lockKind(LOCK_FILE)));
  }

  get(stage: string): LockEntry | undefined {
    return this.entries.get(stage);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Changes `stage`'s entry in memory (written by `save` or `flush`). */
  set(stage: string, entry: LockEntry): void {
    this.entries.set(stage, normalizeEntry(entry));
    this.blocks.delete(stage);
    this.unsaved = true;
  }

  delete(stage: string): boolean {
    this.blocks.delete(stage);
    const deleted = this.entries.delete(stage);
    if (deleted) this.unsaved = true;
    return deleted;
  }

  /**
   * Sets `stage`'s entry and makes it durable now, in O(1): one line appended to the journal.
   * The first record of a process folds what is pending (a dead run's journal, changes not yet
   * saved) into the file, so the journal always sits on top of the lock file as it is on disk.
   */
  record(stage: string, entry: LockEntry): void {
    if (this.journalFile === undefined) {
      this.set(stage, entry);
      this.save();
      return;
    }
    if (!this.journal) {
      if (this.unsaved) this.save();
      this.journal = JournalWriter.start(this.journalFile, this.file);
    }
    this.set(stage, entry);
    this.journal.append({ stage, entry: entryToYaml(this.entries.get(stage) as LockEntry) });
  }

  /** Whether this process has recorded stages in the journal since the file was last written. */
  get recording(): boolean {
    return this.journal !== undefined;
  }

  /** Writes the file if anything changed since it was read or written, and ends the journal. */
  flush(): void {
    if (this.unsaved) this.save();
    else this.removeJournal();
  }

  serialize(): string {
    const names = [...this.entries.keys()].sort(compareStrings);
    let text = `${HEADER}schema: '${SCHEMA}'\nstages:${names.length === 0 ? ' {}' : ''}\n`;
    for (const name of names) {
      let block = this.blocks.get(name);
      if (block === undefined) {
        block = emitYaml({ [name]: entryToYaml(this.entries.get(name) as LockEntry) }, 2);
        this.blocks.set(name, block);
      }
      text += block;
    }
    return text;
  }

  /**
   * Rewrites the file atomically, records its content in the parse cache (no re-parse next time)
   * and removes the journal, whose records it now holds. (Killed in between, the journal is left
   * but no longer matches the file: it is ignored.)
   */
  save(): void {
    writeFileAtomic(this.file, this.serialize());
    const stages = Object.fromEntries([...this.entries].map(([name, entry]) => [name, entryToYaml(entry)]));
    this.cache.remember(this.file, { schema: SCHEMA, stages });
    this.unsaved = false;
    this.removeJournal();
  }

  private removeJournal(): void {
    if (this.journal) this.journal.remove();
    else if (this.journalFile !== undefined) fs.rmSync(this.journalFile, { force: true });
    this.journal = undefined;
  }
}

function entryToYaml(entry: LockEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { cmd: entry.cmd.length === 1 ? entry.cmd[0] : entry.cmd };
  if (entry.deps.length > 0) out.deps = entry.deps.map(pathToYaml);
  if (Object.keys(entry.params).length > 0) out.params = entry.params;
  if (entry.outs.length > 0) out.outs = entry.outs.map(pathToYaml);
  return out;
}

function pathToYaml(p: LockedPath): Record<string, unknown> {
  const out: Record<string, unknown> = { path: p.path, sha256: p.hash, size: p.size };
  if (p.nfiles !== undefined) out.nfiles = p.nfiles;
  return out;
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort(compareStrings)
        .map((k) => [k, sortKeysDeep((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function normalizeEntry(entry: LockEntry): LockEntry {
  const byPath = (a: LockedPath, b: LockedPath): number => compareStrings(a.path, b.path);
  return {
    cmd: [...entry.cmd],
    deps: [...entry.deps].sort(byPath),
    params: sortKeysDeep(entry.params) as LockedParams,
    outs: [...entry.outs].sort(byPath),
  };
}

function checkConflictMarkers(text: string, file: string): void {
  if (/^(<<<<<<<|>>>>>>>) /m.test(text)) {
    throw new PipelineError(`${LOCK_FILE} contains git merge conflict markers`, { file }, {
      hint: `take one side and rerun what changed: git checkout --theirs ${LOCK_FILE} && mlp repro`,
    });
  }
}

/**
 * Lock entries from a validated (or cached) lockfile. Every path and hash is checked again with
 * the typed constructors, so a damaged parse cache cannot slip one through (it throws instead,
 * and the file itself is validated).
 */
function lockEntries(parsed: unknown): Map<string, LockEntry> {
  const data = parsed as LockYaml;
  const lockedPath = (p: unknown): LockedPath => {
    const v = p as { path: unknown; sha256: unknown; size: unknown; nfiles?: unknown };
    if (!isRepoPath(v.path) || !isSha256(v.sha256) || typeof v.size !== 'number' || (v.nfiles !== undefined && typeof v.nfiles !== 'number')) {
      throw new TypeError('invalid locked path');
    }
    const out: LockedPath = { path: v.path, hash: v.sha256, size: v.size };
    if (typeof v.nfiles === 'number') out.nfiles = v.nfiles;
    return out;
  };
  const entries = new Map<string, LockEntry>();
  for (const [name, r] of Object.entries(data.stages ?? {})) {
    const cmd = typeof r.cmd === 'string' ? [r.cmd] : r.cmd;
    if (!Array.isArray(cmd) || !cmd.every((c) => typeof c === 'string')) throw new TypeError('invalid cmd');
    entries.set(name, {
      cmd: [...cmd],
      deps: (r.deps ?? []).map(lockedPath),
      params: r.params ?? {},
      outs: (r.outs ?? []).map(lockedPath),
    });
  }
  return entries;
}
