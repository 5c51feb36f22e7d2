/**
 * `pipeline.lock`: `schema: '1'`, `stages: {name: {cmd, deps?, params?, outs?}}`, each dep and
 * out `{path, sha256, size, nfiles?}`.
 */
import path from 'node:path';
import type * as V from 'valibot';
import { countSchema, repoPathSchema, sha256Schema } from './common.js';
import { mapOf, strictMap, type FileKind } from './located.js';
import { describePathProblem, isRepoPath, repoPathProblem, type RepoPath } from './repo-path.js';
import type { Sha256 } from './sha256.js';
import { valibot } from './valibot.js';

export const LOCK_SCHEMA_VERSION = '1';

export interface LockedPathYaml {
  path: RepoPath;
  sha256: Sha256;
  size: number;
  nfiles?: number;
}

export interface LockStageYaml {
  cmd: string | string[];
  deps?: LockedPathYaml[];
  params?: Record<string, Record<string, unknown>>;
  outs?: LockedPathYaml[];
}

export interface LockYaml {
  schema?: string | number;
  stages?: Record<string, LockStageYaml> | null;
}

export function lockKind(file: string): FileKind {
  return { hint: `restore it with \`git checkout ${file}\`, or delete it and run \`mlp commit\` (or \`mlp repro\`)` };
}

const schemas = new Map<string, V.GenericSchema<unknown, LockYaml>>();

/**
 * The lock file schema. `base`: the directory of the lock file (repository-relative, '.' for the
 * root). A lock next to a pipeline in a subdirectory records paths and params files relative to
 * its directory, as DVC's dvc.lock does (so a subproject moved elsewhere keeps its lock); the
 * schema turns them into repository paths, refusing one that leaves the repository.
 */
export function lockSchema(base = '.'): V.GenericSchema<unknown, LockYaml> {
  const known = schemas.get(base);
  if (known) return known;
  const v = valibot();
  const pathSchema: V.GenericSchema<unknown, RepoPath> =
    base === '.'
      ? repoPathSchema()
      : v.pipe(
          v.string((issue) => `must be a path, got ${issue.received}`),
          v.transform((p) => path.posix.join(base, p)),
          v.custom<RepoPath>(isRepoPath, (issue) => `${describePathProblem(issue.input, repoPathProblem(issue.input) ?? 'is invalid')} (paths here are relative to ${base}/)`),
        );
  const rebase = (params: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> =>
    base === '.' ? params : Object.fromEntries(Object.entries(params).map(([file, values]) => [path.posix.join(base, file), values]));
  const locked = strictMap({ path: pathSchema, sha256: sha256Schema(), size: countSchema(), nfiles: v.optional(countSchema()) }, 'a mapping with path, sha256 and size');
  const paths = v.optional(v.array(locked, (issue) => `must be a list of {path, sha256, size}, got ${issue.received}`));
  const command = v.union(
    [v.string(), v.pipe(v.array(v.string()), v.minLength(1))],
    (issue) => `must be a command string or a non-empty list of them, got ${issue.received}`,
  );
  const params = v.optional(v.pipe(mapOf(mapOf(v.unknown(), 'a mapping of keys to values'), 'a mapping of params files to their values'), v.transform(rebase)));
  const stage = strictMap({ cmd: command, deps: paths, params, outs: paths }, 'a mapping with cmd, deps, params and outs');
  const schema = strictMap(
    {
      schema: v.optional(
        v.pipe(
          v.union([v.string(), v.number()]),
          v.check((s) => String(s) === LOCK_SCHEMA_VERSION, (issue) => `unsupported schema ${String(issue.input)} (this mlp writes ${LOCK_SCHEMA_VERSION})\nupdate mlp, or take the lockfile from a branch this mlp wrote`),
        ),
      ),
      stages: v.nullish(mapOf(stage, 'a mapping of stage names to entries')),
    },
    'a mapping with `schema` and `stages`',
  );
  schemas.set(base, schema);
  return schema;
}
