/**
 * Pointer files (`<path>.mlp`): `outs: [{path, sha256, size, nfiles?, remote?}]`. `path` is
 * relative to the pointer file's directory and must stay inside the repository. A pointer written
 * by `mlp import` also records where the data came from, as DVC's import `.dvc` files do:
 * `deps: [{path, repo: {url, rev?, rev_lock}}]` (`path` inside the source repository) and
 * `frozen: true` (only `mlp update` changes it).
 */
import type * as V from 'valibot';
import { countSchema, repoPathSchema, sha256Schema, stringSchema } from './common.js';
import { strictMap, type FileKind } from './located.js';
import { describePathProblem, isRepoPath, relativePathProblem, repoPathProblem, type RepoPath } from './repo-path.js';
import { isSha256, type Sha256 } from './sha256.js';
import { valibot } from './valibot.js';
import { expectValid } from './cached.js';

export interface PointerOut {
  path: string;
  sha256: Sha256;
  size: number;
  nfiles?: number;
  /** The remote that push/pull/fetch use for this data instead of the default (DVC's `remote:`). */
  remote?: string;
}

/** Where imported data came from: a path of another repository at a revision. */
export interface ImportSource {
  /** Repository-relative, in the source repository. */
  path: RepoPath;
  repo: { url: string; rev?: string; rev_lock: string };
}

/** A git commit id (what `rev_lock` pins). */
export function isCommitId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{40}$/.test(value);
}

export function pointerKind(file: string): FileKind {
  return { hint: `restore it with \`git checkout ${file}\`, or re-create it with \`mlp add\`` };
}

/** The tracked path a pointer in directory `dir` names with `rel`. */
export function pointerTarget(dir: string, rel: string): string {
  return dir === '.' || dir === '' ? rel : `${dir}/${rel}`;
}

function targetProblem(dir: string, rel: unknown): string | undefined {
  const problem = relativePathProblem(rel);
  if (problem !== undefined) return problem;
  return repoPathProblem(pointerTarget(dir, rel as string));
}

/** The schema of a pointer file in directory `dir` (repository-relative, `.` for the root). */
export function pointerSchema(dir: string): V.GenericSchema<unknown, { outs: PointerOut[] }> {
  const v = valibot();
  const target = v.custom<string>(
    (value) => targetProblem(dir, value) === undefined,
    (issue) => describePathProblem(issue.input, targetProblem(dir, issue.input) ?? 'is invalid'),
  );
  const remote = v.pipe(stringSchema('remote: archive'), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a remote name (letters, digits, ".", "_" and "-")'));
  const out = strictMap(
    { path: target, sha256: sha256Schema(), size: countSchema(), nfiles: v.optional(countSchema()), remote: v.optional(remote) },
    'a mapping with path, sha256 and size',
  );
  const one = <T>(item: V.GenericSchema<unknown, T>): V.GenericSchema<unknown, T[]> =>
    v.pipe(v.array(item, 'must be a list with one entry'), v.length(1, (issue) => `must hold exactly one entry, got ${issue.received}`));
  const source = strictMap(
    {
      path: repoPathSchema(),
      repo: strictMap(
        {
          url: v.pipe(stringSchema('url: https://github.com/org/data-registry'), v.minLength(1, 'must not be empty')),
          rev: v.optional(stringSchema('rev: main')),
          rev_lock: v.custom<string>(isCommitId, (issue) => `must be a git commit id (40 hex digits), got ${String(issue.input)}`),
        },
        'a mapping with url, rev and rev_lock',
      ),
    },
    'a mapping with path and repo',
  );
  return strictMap(
    { outs: one(out), deps: v.optional(one(source)), frozen: v.optional(v.boolean('must be true or false')) },
    'a mapping with `outs: [{path, sha256, size}]`',
  );
}

/** The import source of a validated (or cached) pointer, if it has one. */
export function reviveImportSource(raw: unknown): ImportSource | undefined {
  const deps = (raw as { deps?: ImportSource[] }).deps;
  const dep = deps?.[0];
  if (dep === undefined) return undefined;
  expectValid(isRepoPath(dep.path) && typeof dep.repo?.url === 'string' && isCommitId(dep.repo.rev_lock));
  return dep;
}

/** Typed values from a validated (or cached) pointer file in `dir`. */
export function revivePointer(dir: string, raw: unknown): { path: RepoPath; out: PointerOut } {
  const out = (raw as { outs: PointerOut[] }).outs[0] as PointerOut;
  const target = pointerTarget(dir, out.path);
  expectValid(relativePathProblem(out.path) === undefined && isRepoPath(target) && isSha256(out.sha256) && typeof out.size === 'number');
  expectValid(out.nfiles === undefined || typeof out.nfiles === 'number');
  expectValid(out.remote === undefined || typeof out.remote === 'string');
  return { path: target as RepoPath, out };
}
