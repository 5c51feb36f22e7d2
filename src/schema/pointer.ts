/**
 * Pointer files (`<path>.mlp`): `outs: [{path, sha256, size, nfiles?}]`. `path` is relative to
 * the pointer file's directory and must stay inside the repository.
 */
import type * as V from 'valibot';
import { countSchema, sha256Schema } from './common.js';
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
  const out = strictMap({ path: target, sha256: sha256Schema(), size: countSchema(), nfiles: v.optional(countSchema()) }, 'a mapping with path, sha256 and size');
  return strictMap(
    { outs: v.pipe(v.array(out, 'must be a list with one entry'), v.length(1, (issue) => `must hold exactly one entry, got ${issue.received}`)) },
    'a mapping with `outs: [{path, sha256, size}]`',
  );
}

/** Typed values from a validated (or cached) pointer file in `dir`. */
export function revivePointer(dir: string, raw: unknown): { path: RepoPath; out: PointerOut } {
  const out = (raw as { outs: PointerOut[] }).outs[0] as PointerOut;
  const target = pointerTarget(dir, out.path);
  expectValid(relativePathProblem(out.path) === undefined && isRepoPath(target) && isSha256(out.sha256) && typeof out.size === 'number');
  expectValid(out.nfiles === undefined || typeof out.nfiles === 'number');
  return { path: target as RepoPath, out };
}
