/**
 * Turns text into a typed value through a schema, or into a located error: the file, the line and
 * column of the offending node (mapped from the schema issue's key path through the yaml Document
 * API), what is wrong, and a hint — a `PipelineError`, exit code 3.
 *
 * Message conventions for schemas built in src/schema: an issue message is what is wrong with the
 * value (`must be a positive integer`); a second line, if any, is the hint. `strictMap` reports
 * unknown keys with the list of known ones.
 */
import type * as V from 'valibot';
import { PipelineError } from '../errors.js';
import { parseYamlDocument } from '../params/params-file.js';
import { parseJsonLocated } from '../util/json-text.js';
import { yaml } from '../util/yaml.js';
import { valibot } from './valibot.js';

export type Schema<T> = V.GenericSchema<unknown, T>;
export type PathKey = string | number;

/** How errors about one kind of file are worded. */
export interface FileKind {
  /** What to do about a broken file of this kind. */
  hint: string;
  /** How an issue's key path is shown; default `a.b[0].c`. */
  describe?: (keys: readonly PathKey[]) => string;
}

export interface Location {
  line: number;
  column: number;
}

/** Parses YAML `text` (the content of `file`) and validates it against `schema`. */
export function parseYaml<T>(text: string, file: string, schema: Schema<T>, kind: FileKind): T {
  const { doc } = parseYamlDocument(text, file);
  return validate(doc.toJS({ maxAliasCount: 1000 }) as unknown, schema, file, kind, text);
}

/**
 * Parses JSON `text` and validates it. JSON.parse is far faster than the YAML parser on large
 * manifests; the YAML parser (JSON is YAML) is used only to locate an error.
 */
export function parseJson<T>(text: string, file: string, schema: Schema<T>, kind: FileKind): T {
  return validate(parseJsonText(text, file, kind), schema, file, kind, text);
}

/** JSON.parse with a located error. */
export function parseJsonText(text: string, file: string, kind: FileKind): unknown {
  return parseJsonLocated(text, file, kind.hint);
}

/** Validates a parsed value; `text`, when given, is used to locate an error. */
export function validate<T>(value: unknown, schema: Schema<T>, file: string, kind: FileKind, text?: string): T {
  const result = valibot().safeParse(schema, value);
  if (result.success) return result.output;
  // A misspelt key explains the "missing key" that comes with it: report it first.
  const unknownKey = result.issues.find((i) => i.type === 'strict_object' && i.expected === 'never');
  throw issueError(unknownKey ?? result.issues[0], file, kind, text);
}

/** A located error for `issue`. */
export function issueError(issue: V.BaseIssue<unknown>, file: string, kind: FileKind, text?: string): PipelineError {
  const explained = explain(issue, []);
  const describe = kind.describe ?? dotted;
  const [what = '', ...hintLines] = explained.message.split('\n');
  let message: string;
  if (explained.problem === 'unknown-key') {
    const parent = explained.keys.slice(0, -1);
    message = `unknown key '${String(explained.keys[explained.keys.length - 1])}'${parent.length ? ` in ${describe(parent)}` : ''}`;
  } else if (explained.problem === 'missing-key') {
    const parent = explained.keys.slice(0, -1);
    message = `missing key '${String(explained.keys[explained.keys.length - 1])}'${parent.length ? ` in ${describe(parent)}` : ''}`;
  } else {
    // "outs[0]: path '../x' climbs out", not "outs[0].path: path '../x' …".
    const keys = explained.keys[explained.keys.length - 1] === 'path' && what.startsWith('path ') ? explained.keys.slice(0, -1) : explained.keys;
    message = keys.length ? `${describe(keys)}: ${what}` : what;
  }
  const at = text === undefined ? undefined : locate(text, file, explained.keys, explained.problem === 'unknown-key' ? 'key' : explained.problem === 'missing-key' ? 'parent' : 'value');
  return new PipelineError(message, { file, ...toPipelineLocation(at ?? {}) }, { hint: hintLines.length ? hintLines.join('\n') : kind.hint });
}

interface Explained {
  keys: PathKey[];
  message: string;
  problem: 'unknown-key' | 'missing-key' | 'value';
}

function explain(issue: V.BaseIssue<unknown>, base: PathKey[]): Explained {
  const keys = [...base, ...(issue.path ?? []).map((item) => item.key as PathKey)];
  // A union whose input matched one option's type reports that option's issues: take the deepest.
  if (issue.type === 'union' && issue.issues?.length) {
    const deepest = [...issue.issues].sort((a, b) => (b.path?.length ?? 0) - (a.path?.length ?? 0))[0];
    if (deepest?.path?.length) return explain(deepest, keys);
  }
  if (issue.type === 'strict_object' && issue.expected === 'never') return { keys, message: issue.message, problem: 'unknown-key' };
  if (issue.kind === 'schema' && issue.received === 'undefined' && keys.length > 0 && issue.type !== 'custom') {
    return { keys, message: issue.message, problem: 'missing-key' };
  }
  const message = issue.message.startsWith('Invalid ') ? `must be ${expectedWords(issue.expected)}, got ${issue.received}` : issue.message;
  return { keys, message, problem: 'value' };
}

function expectedWords(expected: string | null): string {
  const words: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', Object: 'a mapping', Array: 'a list' };
  if (expected === null) return 'something else';
  return expected
    .replace(/^\(|\)$/g, '')
    .split(' | ')
    .map((e) => words[e] ?? e)
    .join(' or ');
}

/** `a.b[0].c` */
export function dotted(keys: readonly PathKey[]): string {
  let out = '';
  for (const key of keys) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

/**
 * Where the node at `keys` is in `text`: the value itself, its key (an unknown key), or the
 * mapping that should hold it (a missing key). Falls back to the nearest ancestor that exists.
 */
export function locate(text: string, file: string, keys: readonly PathKey[], at: 'value' | 'key' | 'parent'): Location | undefined {
  let parsed: ReturnType<typeof parseYamlDocument>;
  try {
    parsed = parseYamlDocument(text, file);
  } catch {
    return undefined;
  }
  const { doc, linePos } = parsed;
  const Y = yaml();
  const position = (node: unknown): Location | undefined => {
    const offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (at === 'key' && keys.length > 0) {
    const parent = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
    const last = keys[keys.length - 1];
    if (Y.isMap(parent)) {
      const pair = parent.items.find((p) => Y.isScalar(p.key) && String(p.key.value) === String(last));
      if (pair) return position(pair.key);
    }
  }
  const from = at === 'parent' ? keys.slice(0, -1) : keys;
  for (let n = from.length; n > 0; n--) {
    const node = doc.getIn(from.slice(0, n), true);
    if (node !== undefined && node !== null) return position(node);
  }
  return position(doc.contents);
}

function toPipelineLocation(at: Partial<Location>): { line?: number; column?: number } {
  return at.line === undefined ? {} : { line: at.line, column: at.column };
}

/**
 * A mapping that allows only `entries`' keys: an unknown one is reported with the list of known
 * ones (the usual cause is a typo).
 */
export function strictMap<const E extends V.ObjectEntries>(entries: E, what = 'a mapping'): V.GenericSchema<unknown, V.InferOutput<V.StrictObjectSchema<E, undefined>>> {
  const v = valibot();
  const known = Object.keys(entries).join(', ');
  return v.pipe(
    isMapping(what),
    v.strictObject(entries, (issue) => (issue.expected === 'never' ? `unknown key ${issue.received}\nknown keys: ${known}` : `must be ${what}, got ${issue.received}`)),
  );
}

/** A mapping from any key to `value` (a YAML/JSON object, not a list). */
export function mapOf<T>(value: V.GenericSchema<unknown, T>, what: string): V.GenericSchema<unknown, Record<string, T>> {
  const v = valibot();
  return v.pipe(isMapping(what), v.record(v.string(), value));
}

/** Objects only: valibot's object and record schemas would take a list as a mapping of indexes. */
function isMapping(what: string): V.GenericSchema<unknown, Record<string, unknown>> {
  return valibot().custom<Record<string, unknown>>(
    (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
    (issue) => `must be ${what}, got ${Array.isArray(issue.input) ? 'a list' : issue.received}`,
  );
}
