/**
 * DVC's files, as `mlp migrate` reads them: `dvc.lock` (schema 2.0, DVC 2 and 3), `.dvc` files,
 * the `.dir` manifests of DVC's cache, and `.dvc/config` (INI). Keys mlp has no use for are
 * allowed (DVC writes `isexec`, `cloud`, `desc`, …); every hash must be an md5 and every path a
 * relative path, and paths are checked again once joined to the directory they are relative to
 * (`dvcTarget`), so nothing a DVC file says can name a place outside the repository.
 */
import type * as V from 'valibot';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { countSchema, entryPathSchema } from './common.js';
import { locate, mapOf, parseJsonText, parseYaml, validate, type FileKind, type PathKey } from './located.js';
import type { EntryPath, RepoPath } from './repo-path.js';
import { describePathProblem, normalizeRepoPath } from './repo-path.js';
import { dvcHashProblem, isDvcHash, isMd5, type DvcHash, type Md5 } from './md5.js';
import { valibot } from './valibot.js';

export const DVC_KIND: FileKind = { hint: 'fix the DVC file (or restore it with `git checkout`), then run `mlp migrate` again' };

export interface DvcOut {
  path: string;
  /** Undefined when the entry has no md5 (a cloud-versioned or external output). */
  md5?: DvcHash;
  size?: number;
  nfiles?: number;
  /** `hash: md5` (DVC 3); absent in DVC 2 files, whose md5 of a text file ignores CRLF. */
  hash?: string;
}

export interface DvcLockStage {
  cmd: string | string[];
  deps?: DvcOut[];
  params?: Record<string, Record<string, unknown>>;
  outs?: DvcOut[];
}

export interface DvcLock {
  schema?: string;
  stages: Record<string, DvcLockStage>;
}

export interface DvcFile {
  outs: DvcOut[];
  deps?: unknown[];
  wdir?: string;
  frozen?: boolean;
}

export interface DvcDirEntry {
  md5: Md5;
  relpath: EntryPath;
}

function dvcHashSchema(): V.GenericSchema<unknown, DvcHash> {
  return valibot().custom<DvcHash>(isDvcHash, (issue) => dvcHashProblem(issue.input));
}

/** A path as DVC files write it: relative (`..` allowed: it is checked once joined, by `dvcTarget`). */
function dvcPathSchema(): V.GenericSchema<unknown, string> {
  const v = valibot();
  return v.pipe(
    v.string((issue) => `must be a path string, got ${issue.received}`),
    v.check((p) => p !== '' && !p.includes('\0'), 'must be a non-empty path'),
    v.check((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), (issue) => describePathProblem(issue.input, 'is absolute: it is outside the repository')),
    v.check((p) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(p), (issue) => describePathProblem(issue.input, 'is an external URL: mlp migrates data inside the repository only')),
  );
}

function outSchema(): V.GenericSchema<unknown, DvcOut> {
  const v = valibot();
  return v.looseObject(
    { path: dvcPathSchema(), md5: v.optional(dvcHashSchema()), size: v.optional(countSchema()), nfiles: v.optional(countSchema()), hash: v.optional(v.string()) },
    (issue) => `must be a mapping with path and md5, got ${issue.received}`,
  ) as V.GenericSchema<unknown, DvcOut>;
}

export function dvcLockSchema(): V.GenericSchema<unknown, DvcLock> {
  const v = valibot();
  const paths = v.optional(v.array(outSchema(), (issue) => `must be a list of {path, md5}, got ${issue.received}`));
  const command = v.union([v.string(), v.array(v.string())], (issue) => `must be a command string or a list of them, got ${issue.received}`);
  const stage = v.looseObject({ cmd: command, deps: paths, params: v.optional(mapOf(mapOf(v.unknown(), 'a mapping of keys to values'), 'a mapping of params files')), outs: paths });
  return v.looseObject(
    {
      schema: v.optional(
        v.pipe(
          v.string((issue) => `must be '2.0', got ${issue.received}`),
          v.check((s) => s.startsWith('2.'), (issue) => `unsupported dvc.lock schema ${String(issue.input)} (mlp reads 2.x)`),
        ),
      ),
      stages: v.optional(mapOf(stage, 'a mapping of stage names to entries'), {}),
    },
    (issue) => `must be a mapping with schema and stages, got ${issue.received}`,
  ) as V.GenericSchema<unknown, DvcLock>;
}

export function dvcFileSchema(): V.GenericSchema<unknown, DvcFile> {
  const v = valibot();
  return v.looseObject(
    {
      outs: v.array(outSchema(), (issue) => `must be a list of {path, md5}, got ${issue.received}`),
      deps: v.optional(v.array(v.unknown())),
      wdir: v.optional(dvcPathSchema()),
      frozen: v.optional(v.boolean()),
    },
    (issue) => `must be a mapping with \`outs: [{path, md5}]\`, got ${issue.received}`,
  ) as V.GenericSchema<unknown, DvcFile>;
}

export function parseDvcLock(text: string, file: string): DvcLock {
  const lock = parseYaml(text, file, dvcLockSchema(), DVC_KIND);
  if (lock.schema === undefined) {
    throw new PipelineError("no `schema: '2.0'`: this dvc.lock was written by DVC 1, whose format mlp does not read", { file, line: 1, column: 1 }, {
      hint: 'run `dvc repro` with DVC 2 or 3 to rewrite it, or remove it (the stages then rerun after the migration)',
    });
  }
  return lock;
}

export function parseDvcFile(text: string, file: string): DvcFile {
  return parseYaml(text, file, dvcFileSchema(), DVC_KIND);
}

/** A `.dir` object of DVC's cache: `[{md5, relpath}, …]`. */
export function parseDvcDirManifest(text: string, file: string): DvcDirEntry[] {
  const v = valibot();
  const entry = v.looseObject({ md5: v.custom<Md5>(isMd5, (issue) => dvcHashProblem(issue.input)), relpath: entryPathSchema() });
  const kind: FileKind = { hint: 'the DVC cache object is damaged: fetch it again with `dvc fetch`, or leave it out' };
  const entries = validate(parseJsonText(text, file, kind), v.array(entry), file, kind, text) as DvcDirEntry[];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.relpath)) throw new PipelineError(`path '${e.relpath}' is listed more than once`, { file }, { hint: kind.hint });
    seen.add(e.relpath);
  }
  return entries;
}

/**
 * The repository path that `rel`, written in a DVC file in directory `dir` (repository-relative,
 * '.' for the root), names; a located error (exit 3) if it leaves the repository or names .git/.mlp.
 */
export function dvcTarget(dir: string, rel: string, at: { file: string; text: string; keys: readonly PathKey[] }): RepoPath {
  const joined = dir === '.' || dir === '' ? rel : `${dir}/${rel}`;
  const checked = normalizeRepoPath(path.posix.normalize(joined));
  if ('path' in checked) return checked.path;
  const where = locate(at.text, at.file, at.keys, 'value');
  const problem = checked.problem === 'is outside the repository' ? `is outside the repository (it resolves to ${joined})` : checked.problem;
  throw new PipelineError(describePathProblem(rel, problem), { file: at.file, line: where?.line, column: where?.column }, {
    hint: 'mlp migrates data inside the repository only: move the data into the repository (and fix the DVC file), or remove the entry',
  });
}

/** One `key = value` of `.dvc/config`, with the line it is on. */
export interface IniValue {
  value: string;
  line: number;
}

/** `.dvc/config`: section name (`core`, `remote "storage"`, `cache`) → key → value. */
export type DvcConfig = Map<string, Map<string, IniValue>>;

/**
 * Parses DVC's config (configobj INI): `[section]` or `['remote "name"']` headers, `key = value`
 * lines, `#`/`;` comments. A line that is none of these is a located error.
 */
export function parseDvcConfig(text: string, file: string): DvcConfig {
  const sections: DvcConfig = new Map();
  let current: Map<string, IniValue> | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      let name = header[1] as string;
      // configobj quotes a section name that has quotes in it: ['remote "storage"'].
      if (/^'.*'$/.test(name)) name = name.slice(1, -1).trim();
      name = name.replace(/\s+/g, ' ');
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      return;
    }
    const pair = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair || !current) {
      throw new PipelineError(current ? 'expected `key = value`' : 'expected a [section] header first', { file, line: index + 1, column: raw.length - raw.trimStart().length + 1 }, {
        hint: 'fix the DVC config (`dvc config --list` shows how DVC reads it), then run `mlp migrate` again',
      });
    }
    let value = (pair[2] as string).trim();
    if (/^'.*'$/.test(value) || /^".*"$/.test(value)) value = value.slice(1, -1);
    current.set(pair[1] as string, { value, line: index + 1 });
  });
  return sections;
}

/** The name of a `remote "name"` section, or undefined for other sections. */
export function remoteSectionName(section: string): string | undefined {
  return /^remote "(.+)"$/.exec(section)?.[1];
}
