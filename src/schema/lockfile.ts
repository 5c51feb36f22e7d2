/**
 * `pipeline.lock`: `schema: '1'`, `stages: {name: {cmd, deps?, params?, outs?}}`, each dep and
 * out `{path, sha256, size, nfiles?}`.
 */
import type * as V from 'valibot';
import { countSchema, repoPathSchema, sha256Schema } from './common.js';
import { mapOf, strictMap, type FileKind } from './located.js';
import type { RepoPath } from './repo-path.js';
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

let schema: V.GenericSchema<unknown, LockYaml> | undefined;

export function lockSchema(): V.GenericSchema<unknown, LockYaml> {
  if (schema) return schema;
  const v = valibot();
  const locked = strictMap({ path: repoPathSchema(), sha256: sha256Schema(), size: countSchema(), nfiles: v.optional(countSchema()) }, 'a mapping with path, sha256 and size');
  const paths = v.optional(v.array(locked, (issue) => `must be a list of {path, sha256, size}, got ${issue.received}`));
  const command = v.union(
    [v.string(), v.pipe(v.array(v.string()), v.minLength(1))],
    (issue) => `must be a command string or a non-empty list of them, got ${issue.received}`,
  );
  const params = v.optional(mapOf(mapOf(v.unknown(), 'a mapping of keys to values'), 'a mapping of params files to their values'));
  const stage = strictMap({ cmd: command, deps: paths, params, outs: paths }, 'a mapping with cmd, deps, params and outs');
  return (schema = strictMap(
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
  ));
}
