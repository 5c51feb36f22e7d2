/**
 * Reading a YAML file through the parse cache without trusting the cache: a cache miss parses
 * and validates the text (the schema's output is what gets cached); a hit is turned into typed
 * values by `revive`, which re-runs the cheap typed constructors (`isRepoPath`, `isSha256`) on
 * every path and hash. A cached value that fails them is ignored and the file itself is parsed
 * and validated again, so the parse cache can make a command faster but never lets an invalid
 * value through — and a command whose files are all cached does not load the schema library.
 */
import type { ParseCache } from '../util/parse-cache.js';
import { parseYaml, type FileKind, type Schema } from './located.js';

export function readValidatedYaml<T>(
  cache: ParseCache,
  abs: string,
  file: string,
  schema: () => Schema<unknown>,
  kind: FileKind,
  revive: (raw: unknown) => T,
  precheck?: (text: string, file: string) => void,
): T | undefined {
  const parse = (text: string): unknown => {
    precheck?.(text, file);
    return parseYaml(text, file, schema(), kind);
  };
  const raw = cache.readYaml(abs, parse);
  if (raw === undefined) return undefined;
  try {
    return revive(raw);
  } catch {
    // fall through
  }
  // Only a damaged parse cache gets here: forget it and validate the file itself.
  cache.forget(abs);
  const checked = cache.readYaml(abs, parse);
  return checked === undefined ? undefined : revive(checked);
}

/** Throws unless `condition`: the cheap checks of `revive` functions. */
export function expectValid(condition: boolean): asserts condition {
  if (!condition) throw new TypeError('invalid cached value');
}
