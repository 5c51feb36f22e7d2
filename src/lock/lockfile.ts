/**
 * `pipeline.lock`: what each stage last ran with. Written by mlp only, deterministically —
 * stages, paths and param keys sorted, one block per stage — so diffs stay small and merges
 * rarely conflict. Each stage block is serialised once and cached.
 *
 * Writes: `set`/`delete` change the lock in memory and `save` rewrites the file. `record` makes
 * one finished stage durable at once in O(1) — a line in the lock journal (lock-journal.ts) —
 * and `flush` (called by Repo.close for the holder of the repository lock) writes the file once
 * at the end. `load` applies a journal that a running or killed repro left on top of this file.
 *
 * Several pipeline files: as DVC keeps a dvc.lock next to each dvc.yaml, each pipeline file's
 * stages are locked in the `pipeline.lock` next to it (under their plain names, so a subproject
 * moved elsewhere keeps its lock). In memory, and in the journal, stages are keyed by address
 * (`sub/pipeline.yaml:train`, address.ts); `save` writes each lock file from its stages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { compareStrings, type HashInfo } from '../hash/hash-path.js';
import { lockFileOf, splitAddress, stageAddress } from '../pipeline/address.js';
import { LOCK_FILE, PIPELINE_FILE } from '../pipeline/schema.js';
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

  /** Lock files (repository-relative) whose stages changed since they were read or written. */
  private readonly dirty = new Set<string>();

  private constructor(
    readonly root: string,
    /** The root lock file, absolute. */
    readonly file: string,
    /** Every lock file, repository-relative, the root's first. */
    private readonly lockFiles: readonly string[],
    private readonly entries: Map<string, LockEntry>,
    private readonly cache: ParseCache,
    private readonly journalFile: string | undefined,
  ) {}

  /**
   * Reads and validates `pipeline.lock` in `root`, and the lock file next to each of
   * `pipelineFiles` in a subdirectory (through the parse cache, validated either way). With
   * `journalFile`, finished stages recorded there on top of these very files (by a repro still
   * running, or killed) are applied, and `record` appends to it; without, `record` rewrites the
   * file.
   */
  static load(root: string, cache = ParseCache.inMemory(), journalFile?: string, pipelineFiles: readonly string[] = [PIPELINE_FILE]): Lockfile {
    const lockFiles = [...new Set([LOCK_FILE, ...pipelineFiles.map(lockFileOf)])];
    const entries = new Map<string, LockEntry>();
    for (const rel of lockFiles) {
      const pipelineFile = rel === LOCK_FILE ? PIPELINE_FILE : `${path.posix.dirname(rel)}/${PIPELINE_FILE}`;
      const base = path.posix.dirname(rel);
      const read = readValidatedYaml(cache, path.join(root, rel), rel, () => lockSchema(base), lockKind(rel), lockEntries, checkConflictMarkers);
      for (const [name, entry] of read ?? []) entries.set(stageAddress(pipelineFile, name), entry);
    }
    const lock = new Lockfile(root, path.join(root, LOCK_FILE), lockFiles, entries, cache, journalFile);
    if (journalFile) lock.applyJournal(journalFile);
    return lock;
  }

  /** The lock files, absolute (what the journal sits on top of). */
  private absFiles(): string[] {
    return this.lockFiles.map((f) => path.join(this.root, f));
  }

  /** The lock file that holds stage `address`. */
  private lockFileFor(address: string): string {
    return lockFileOf(splitAddress(address).file);
  }

  /** Applies the journal's records, each validated by the lockfile's schema (a rare path: after a crash). */
  private applyJournal(journalFile: string): void {
    const journal = readJournal(journalFile, this.lockFiles.length === 1 ? this.file : this.absFiles());
    if (journal.state !== 'current') return;
    for (const record of journal.records) {
      let parsed: Map<string, LockEntry>;
      try {
        // Validated under the plain name (the schema's stage names), kept under the address.
        const data = validate({ schema: SCHEMA, stages: { [splitAddress(record.stage).name]: record.entry } }, lockSchema(), journalFile, lockKind(LOCK_FILE));
        parsed = lockEntries(data);
      } catch {
        break; // damaged: ignore it and what follows, like a torn line (those stages rerun or restore)
      }
      for (const entry of parsed.values()) this.set(record.stage, entry);
    }
  }

  /**
   * Parses and validates lockfile text; `file` names it in errors (e.g. `pipeline.lock at HEAD~1`),
   * and a repository-relative `sub/pipeline.lock` says which directory its paths are relative to.
   */
  static parse(text: string, file = LOCK_FILE): Map<string, LockEntry> {
    checkConflictMarkers(text, file);
    // `sub/pipeline.lock` records paths relative to `sub/` (a description such as `pipeline.lock at HEAD~1` is the root's).
    const base = !file.includes(' ') && path.posix.basename(file) === LOCK_FILE ? path.posix.dirname(file) : '.';
    return lockEntries(parseYaml(text, file, lockSchema(base), lockKind(file)));
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
    this.dirty.add(this.lockFileFor(stage));
  }

  delete(stage: string): boolean {
    this.blocks.delete(stage);
    const deleted = this.entries.delete(stage);
    if (deleted) {
      this.unsaved = true;
      this.dirty.add(this.lockFileFor(stage));
    }
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
      this.journal = JournalWriter.start(this.journalFile, this.lockFiles.length === 1 ? this.file : this.absFiles());
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

  /** The text of lock file `lockFile` (repository-relative; the root one by default). */
  serialize(lockFile: string = LOCK_FILE): string {
    const addresses = this.addressesIn(lockFile);
    let text = `${HEADER}schema: '${SCHEMA}'\nstages:${addresses.length === 0 ? ' {}' : ''}\n`;
    for (const address of addresses) {
      let block = this.blocks.get(address);
      if (block === undefined) {
        block = emitYaml({ [splitAddress(address).name]: entryToYaml(this.entries.get(address) as LockEntry, path.posix.dirname(lockFile)) }, 2);
        this.blocks.set(address, block);
      }
      text += block;
    }
    return text;
  }

  /** The stages lock file `lockFile` holds, sorted by plain name as the file lists them. */
  private addressesIn(lockFile: string): string[] {
    return [...this.entries.keys()]
      .filter((a) => this.lockFileFor(a) === lockFile)
      .sort((a, b) => compareStrings(splitAddress(a).name, splitAddress(b).name));
  }

  /**
   * Rewrites the file atomically, records its content in the parse cache (no re-parse next time)
   * and removes the journal, whose records it now holds. (Killed in between, the journal is left
   * but no longer matches the file: it is ignored.)
   */
  save(): void {
    // The root lock is always written (as before there were several); another only when its
    // stages changed, and not created empty.
    for (const rel of this.lockFiles) {
      if (rel !== LOCK_FILE && !this.dirty.has(rel)) continue;
      const abs = path.join(this.root, rel);
      const addresses = this.addressesIn(rel);
      if (rel !== LOCK_FILE && addresses.length === 0 && !fs.existsSync(abs)) continue;
      writeFileAtomic(abs, this.serialize(rel));
      const stages = Object.fromEntries(addresses.map((a) => [splitAddress(a).name, entryToYaml(this.entries.get(a) as LockEntry)]));
      this.cache.remember(abs, { schema: SCHEMA, stages });
    }
    this.dirty.clear();
    this.unsaved = false;
    this.removeJournal();
  }

  private removeJournal(): void {
    if (this.journal) this.journal.remove();
    else if (this.journalFile !== undefined) fs.rmSync(this.journalFile, { force: true });
    this.journal = undefined;
  }
}

/**
 * A stage's block as the lock file writes it; `base`: the lock file's directory, which paths and
 * params files are written relative to ('.': repository paths, as in the root lock and the journal).
 */
function entryToYaml(entry: LockEntry, base = '.'): Record<string, unknown> {
  const rel = (p: string): string => (base === '.' ? p : path.posix.relative(base, p));
  const out: Record<string, unknown> = { cmd: entry.cmd.length === 1 ? entry.cmd[0] : entry.cmd };
  if (entry.deps.length > 0) out.deps = entry.deps.map((p) => pathToYaml(p, rel));
  if (Object.keys(entry.params).length > 0) out.params = base === '.' ? entry.params : Object.fromEntries(Object.entries(entry.params).map(([file, values]) => [rel(file), values]));
  if (entry.outs.length > 0) out.outs = entry.outs.map((p) => pathToYaml(p, rel));
  return out;
}

function pathToYaml(p: LockedPath, rel: (p: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = { path: rel(p.path), sha256: p.hash, size: p.size };
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
    const name = path.basename(file) === LOCK_FILE && !path.isAbsolute(file) ? file : LOCK_FILE;
    throw new PipelineError(`${name} contains git merge conflict markers`, { file }, {
      hint: `take one side and rerun what changed: git checkout --theirs ${name} && mlp repro`,
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
