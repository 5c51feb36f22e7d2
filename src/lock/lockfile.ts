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
import { parseYamlText } from '../params/params-file.js';
import { LOCK_FILE } from '../pipeline/schema.js';
import { writeFileAtomic } from '../util/fs.js';
import { ParseCache } from '../util/parse-cache.js';
import { emitYaml } from '../util/yaml-emit.js';
import { JournalWriter, readJournal } from './lock-journal.js';

export interface LockedPath extends HashInfo {
  path: string;
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
const SCHEMA = '1';

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
   * Reads `pipeline.lock` in `root`. With `journalFile`, finished stages recorded there on top
   * of this very file (by a repro still running, or killed) are applied, and `record` appends to
   * it; without, `record` rewrites the file.
   */
  static load(root: string, cache = ParseCache.inMemory(), journalFile?: string): Lockfile {
    const file = path.join(root, LOCK_FILE);
    const data = cache.readYaml(file, parseLockText);
    const lock = new Lockfile(file, data === undefined ? new Map() : lockEntries(data), cache, journalFile);
    if (journalFile) lock.applyJournal(journalFile);
    return lock;
  }

  private applyJournal(journalFile: string): void {
    const journal = readJournal(journalFile, this.file);
    if (journal.state !== 'current') return;
    for (const record of journal.records) {
      let parsed: Map<string, LockEntry>;
      try {
        parsed = lockEntries({ schema: SCHEMA, stages: { [record.stage]: record.entry } });
      } catch {
        break; // damaged: ignore it and what follows, like a torn line (those stages rerun or restore)
      }
      for (const [name, entry] of parsed) this.set(name, entry);
    }
  }

  static parse(text: string): Map<string, LockEntry> {
    return lockEntries(parseLockText(text));
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

function corrupt(detail: string): PipelineError {
  return new PipelineError(`${LOCK_FILE} is not a valid lockfile: ${detail}`, { file: LOCK_FILE }, {
    hint: `restore it with \`git checkout ${LOCK_FILE}\`, or delete it and run \`mlp commit\` (or \`mlp repro\`)`,
  });
}

function parseLockedPath(value: unknown, stage: string): LockedPath {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v.path !== 'string' || typeof v.sha256 !== 'string' || typeof v.size !== 'number') {
    throw corrupt(`stage '${stage}' has an entry without path, sha256 and size`);
  }
  const out: LockedPath = { path: v.path, hash: v.sha256, size: v.size };
  if (typeof v.nfiles === 'number') out.nfiles = v.nfiles;
  return out;
}

function parseLockText(text: string): unknown {
  if (/^(<<<<<<<|>>>>>>>) /m.test(text)) {
    throw new PipelineError(`${LOCK_FILE} contains git merge conflict markers`, { file: LOCK_FILE }, {
      hint: `take one side and rerun what changed: git checkout --theirs ${LOCK_FILE} && mlp repro`,
    });
  }
  return parseYamlText(text, LOCK_FILE);
}

function lockEntries(parsed: unknown): Map<string, LockEntry> {
  const data = parsed as { schema?: unknown; stages?: unknown } | null;
  if (!data || typeof data !== 'object') throw corrupt('expected a mapping with `schema` and `stages`');
  if (data.schema !== undefined && String(data.schema) !== SCHEMA) {
    throw corrupt(`unsupported schema ${String(data.schema)} (this mlp writes ${SCHEMA})`);
  }
  const stages = data.stages ?? {};
  if (typeof stages !== 'object' || Array.isArray(stages)) throw corrupt('`stages` must be a mapping');
  const entries = new Map<string, LockEntry>();
  for (const [name, raw] of Object.entries(stages as Record<string, unknown>)) {
    const r = raw as Record<string, unknown> | null;
    if (!r || typeof r !== 'object') throw corrupt(`stage '${name}' is not a mapping`);
    const cmd = typeof r.cmd === 'string' ? [r.cmd] : r.cmd;
    if (!Array.isArray(cmd)) throw corrupt(`stage '${name}' has no cmd`);
    entries.set(name, {
      cmd: cmd.map(String),
      deps: ((r.deps as unknown[] | undefined) ?? []).map((d) => parseLockedPath(d, name)),
      params: (r.params as LockedParams | undefined) ?? {},
      outs: ((r.outs as unknown[] | undefined) ?? []).map((o) => parseLockedPath(o, name)),
    });
  }
  return entries;
}
