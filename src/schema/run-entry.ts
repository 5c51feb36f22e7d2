/**
 * Run-cache entries (`.mlp/cache/runs/<2 hex>/<62 hex>`, and the same on remotes): JSON
 * `{outs: [{path, hash, size, nfiles?}]}`, the outputs a stage produced for one run-cache key.
 */
import type * as V from 'valibot';
import { countSchema, repoPathSchema, sha256Schema } from './common.js';
import { parseJson, strictMap, type FileKind } from './located.js';
import type { RepoPath } from './repo-path.js';
import type { Sha256 } from './sha256.js';
import { valibot } from './valibot.js';

export interface RunEntryOut {
  path: RepoPath;
  hash: Sha256;
  size: number;
  nfiles?: number;
}

const RUN_ENTRY_KIND: FileKind = {
  hint: 'delete the entry (mlp writes it again the next time the stage runs), or run with --no-run-cache',
};

let schema: V.GenericSchema<unknown, { outs: RunEntryOut[] }> | undefined;

function runEntrySchema(): V.GenericSchema<unknown, { outs: RunEntryOut[] }> {
  const v = valibot();
  const out = strictMap({ path: repoPathSchema(), hash: sha256Schema(), size: countSchema(), nfiles: v.optional(countSchema()) }, 'a mapping with path, hash and size');
  return (schema ??= strictMap({ outs: v.array(out, (issue) => `must be a list of outputs, got ${issue.received}`) }, 'a mapping with `outs`'));
}

/** Validates the text of a run-cache entry; `file` names it in errors. */
export function parseRunEntry(text: string, file: string): RunEntryOut[] {
  return parseJson(text, file, runEntrySchema(), RUN_ENTRY_KIND).outs;
}
