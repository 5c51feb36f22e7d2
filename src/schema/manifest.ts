/**
 * Directory manifests: the JSON list of `{path, hash, size}` a directory's hash is computed from,
 * stored as an object in the cache (and on remotes). Its entry paths are joined to a workspace
 * directory at checkout, so each must be a normalised relative path with no `..`, listed once,
 * and never both a file and a directory.
 */
import type * as V from 'valibot';
import type { ManifestEntry } from '../hash/hash-path.js';
import { countSchema, entryPathSchema, sha256Schema } from './common.js';
import { parseJsonText, strictMap, validate, type FileKind, type PathKey } from './located.js';
import { isEntryPath } from './repo-path.js';
import { isSha256 } from './sha256.js';
import { valibot } from './valibot.js';

const MANIFEST_KIND: FileKind = {
  hint: 'the object has been tampered with or was written by something else: delete it, then `mlp pull` it again or rebuild the directory with `mlp repro` / `mlp add`',
  describe: (keys: readonly PathKey[]) => {
    const index = typeof keys[0] === 'number' ? `entry ${keys[0] + 1}` : String(keys[0]);
    return keys.length > 1 ? `${index}, ${String(keys[1])}` : index;
  },
};

let schema: V.GenericSchema<unknown, ManifestEntry[]> | undefined;

export function manifestSchema(): V.GenericSchema<unknown, ManifestEntry[]> {
  const v = valibot();
  const entry = strictMap({ path: entryPathSchema(), hash: sha256Schema(), size: countSchema() }, 'a mapping with path, hash and size');
  return (schema ??= v.pipe(
    v.array(entry, (issue) => `a directory manifest must be a list of entries, got ${issue.received}`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const entries = dataset.value;
      const files = new Set<string>();
      for (const e of entries) files.add(e.path);
      const seen = new Set<string>();
      entries.forEach((e, index) => {
        const problem = seen.has(e.path)
          ? `path '${e.path}' is listed more than once`
          : ancestors(e.path).find((a) => files.has(a)) !== undefined
            ? `path '${e.path}' is inside '${ancestors(e.path).find((a) => files.has(a)) as string}', which is listed as a file`
            : undefined;
        seen.add(e.path);
        if (problem) addIssue({ message: problem, path: [{ type: 'array', origin: 'value', input: entries, key: index, value: e }] });
      });
    }),
  ));
}

function ancestors(p: string): string[] {
  const parts = p.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Validates the text of a manifest object; `file` names it in errors. A manifest can list
 * hundreds of thousands of files, and the schema costs several times JSON.parse per entry, so a
 * direct check of the same rules goes first; only a manifest it rejects goes through the schema,
 * which says what is wrong and where.
 */
export function parseManifest(text: string, file: string): ManifestEntry[] {
  const value = parseJsonText(text, file, MANIFEST_KIND);
  return isValidManifest(value) ? value : validate(value, manifestSchema(), file, MANIFEST_KIND, text);
}

/** The schema's rules, checked directly (test/schema/files.test.ts keeps the two in step). */
export function isValidManifest(value: unknown): value is ManifestEntry[] {
  if (!Array.isArray(value)) return false;
  const paths = new Set<string>();
  for (const e of value as unknown[]) {
    if (e === null || typeof e !== 'object' || Array.isArray(e) || Object.keys(e).length !== 3) return false;
    const { path, hash, size } = e as Record<string, unknown>;
    if (!isEntryPath(path) || !isSha256(hash) || typeof size !== 'number' || !Number.isInteger(size) || size < 0) return false;
    if (paths.has(path)) return false;
    paths.add(path);
  }
  for (const p of paths) {
    for (let slash = p.indexOf('/'); slash !== -1; slash = p.indexOf('/', slash + 1)) if (paths.has(p.slice(0, slash))) return false;
  }
  return true;
}
