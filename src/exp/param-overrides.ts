/**
 * `-S/--set-param [file:]key=value`: param overrides for `mlp exp run`, their sweeps, and editing
 * params files in place.
 *
 * Grammar (Hydra's, as DVC uses it):
 * - `key=value` changes a key that exists; a key that does not exist is an error (a typo in a key
 *   would otherwise run a whole experiment with the default). DVC applies overrides in OmegaConf's
 *   struct mode, which refuses unknown keys the same way.
 * - `+key=value` adds a key that does not exist yet; `++key=value` sets it either way.
 * - `value` is a YAML scalar (`0.1`, `true`, `null`, `"a,b"`) or flow collection (`[1, 2]`).
 * - A sweep: `a,b,c` (top-level commas) or `range(start,stop[,step])` (stop excluded, as in
 *   Python and Hydra). Several sweeps expand to their cartesian product.
 *
 * Edits go through the `yaml` package's Document API so that comments, key order and the
 * spelling of untouched values survive; JSON files are rewritten as JSON with their indentation.
 */
import fs from 'node:fs';
import { ExitCode, MlpError, PipelineError } from '../errors.js';
import { DEFAULT_PARAMS_FILE } from '../pipeline/schema.js';
import { normalizeRepoPath, type RepoPath } from '../schema/repo-path.js';
import { parseJsonLocated } from '../util/json-text.js';
import { yaml } from '../util/yaml.js';

export type OverrideMode = 'set' | 'add' | 'upsert';

/** One `-S` argument, parsed. */
export interface ParamOverride {
  /** As the user wrote it, for messages. */
  text: string;
  file: RepoPath;
  key: string;
  mode: OverrideMode;
  /** Source text of each value: one for a plain override, several for a sweep. */
  values: string[];
}

/** One override of one experiment: a single value. */
export interface ParamAssignment {
  file: RepoPath;
  key: string;
  mode: OverrideMode;
  /** Source text of the value (kept, so that `1e-3` or `1.0` are written as the user spelled them). */
  value: string;
}

function usage(message: string, hint: string): MlpError {
  return new MlpError(message, { hint, exitCode: ExitCode.usage });
}

const FORMAT_HINT = "write -S [file:]key=value, e.g. -S train.lr=0.01, -S 'train.lr=0.1,0.01' (a sweep) or -S other.yaml:seed=3";

/** Parses one `-S` argument; the file defaults to params.yaml at the repository root. */
export function parseSetParam(text: string): ParamOverride {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usage(`invalid --set-param '${text}': expected key=value`, FORMAT_HINT);
  const left = text.slice(0, eq);
  const right = text.slice(eq + 1);
  const colon = left.lastIndexOf(':');
  const fileText = colon === -1 ? DEFAULT_PARAMS_FILE : left.slice(0, colon);
  let key = colon === -1 ? left : left.slice(colon + 1);
  let mode: OverrideMode = 'set';
  if (key.startsWith('++')) [mode, key] = ['upsert', key.slice(2)];
  else if (key.startsWith('+')) [mode, key] = ['add', key.slice(1)];
  if (key === '' || key.startsWith('.') || key.endsWith('.') || key.includes('..') || /\s/.test(key)) {
    throw usage(`invalid --set-param '${text}': '${key}' is not a param key`, 'keys are dotted paths into the params file, e.g. train.lr or layers.0.units');
  }
  const normal = normalizeRepoPath(fileText);
  if ('problem' in normal) {
    throw usage(`invalid --set-param '${text}': params file '${fileText}' ${normal.problem}`, 'the file is relative to the repository root, e.g. -S configs/train.yaml:lr=0.1');
  }
  return { text, file: normal.path, key, mode, values: splitSweep(right, text) };
}

/** The values of a sweep (`a,b`, `range(…)`), or the one value. */
function splitSweep(value: string, text: string): string[] {
  const range = /^\s*range\((.*)\)\s*$/.exec(value);
  if (range) return expandRange(range[1] ?? '', text);
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  if (parts.length > 1 && parts.some((p) => p.trim() === '')) {
    throw usage(`invalid --set-param '${text}': an empty value in the sweep`, "separate sweep values with single commas (a,b,c); quote a value that holds a comma: 'k=\"a,b\"'");
  }
  return parts.map((p) => (parts.length > 1 ? p.trim() : p));
}

function expandRange(args: string, text: string): string[] {
  const numbers = args.split(',').map((a) => Number(a.trim()));
  const bad = (): MlpError => usage(`invalid --set-param '${text}': range() takes 2 or 3 numbers`, 'range(start, stop[, step]) counts from start up to, not including, stop: range(5,20,5) is 5, 10, 15');
  if (numbers.length < 2 || numbers.length > 3 || numbers.some((n) => !Number.isFinite(n)) || args.trim() === '') throw bad();
  const [start, stop, step = 1] = numbers as [number, number, number?];
  if (step === 0) throw bad();
  const values: string[] = [];
  // Counted by index, so that a float step does not accumulate rounding error.
  for (let i = 0; ; i++) {
    const v = Number((start + i * step).toPrecision(12));
    if (step > 0 ? v >= stop : v <= stop) break;
    values.push(String(v));
    if (values.length > 10_000) throw usage(`invalid --set-param '${text}': the range has more than 10,000 values`, 'use a larger step');
  }
  if (values.length === 0) throw usage(`invalid --set-param '${text}': the range is empty`, 'range(start, stop[, step]) needs start < stop for a positive step');
  return values;
}

/**
 * Every combination of the overrides' values (the cartesian product, the first `-S` varying
 * slowest), each a list of single assignments in `-S` order.
 */
export function expandSweeps(overrides: readonly ParamOverride[]): ParamAssignment[][] {
  let combos: ParamAssignment[][] = [[]];
  for (const o of overrides) {
    combos = combos.flatMap((combo) => o.values.map((value) => [...combo, { file: o.file, key: o.key, mode: o.mode, value }]));
  }
  return combos;
}

/** `file:key=value`, for messages and commit messages. */
export function describeAssignment(a: ParamAssignment): string {
  return `${a.file === DEFAULT_PARAMS_FILE ? '' : `${a.file}:`}${a.key}=${a.value}`;
}

type YamlNode = unknown;

/** The value text as a YAML node (so `1.0` stays `1.0`); an empty value is the empty string. */
function valueNode(value: string, a: ParamAssignment): YamlNode {
  const { parseDocument, Scalar } = yaml();
  if (value === '') return new Scalar('');
  const doc = parseDocument(value);
  if (doc.errors.length > 0 || doc.contents === null) {
    throw usage(`invalid value in --set-param '${describeAssignment(a)}': ${doc.errors[0]?.message.split('\n')[0] ?? 'empty'}`, "values are YAML: quote strings that hold YAML syntax, e.g. -S 'name=\"a: b\"'");
  }
  return doc.contents;
}

/** The path of a dotted key in `data`: a key that itself contains dots is taken whole, list indexes as numbers. */
function keyPath(data: unknown, key: string): Array<string | number> {
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && key in (data as Record<string, unknown>)) return [key];
  const pathParts: Array<string | number> = [];
  let node: unknown = data;
  for (const part of key.split('.')) {
    const index = Array.isArray(node) && /^\d+$/.test(part) ? Number(part) : undefined;
    pathParts.push(index ?? part);
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[index ?? part] : undefined;
  }
  return pathParts;
}

function has(data: unknown, parts: ReadonlyArray<string | number>): boolean {
  let node: unknown = data;
  for (const p of parts) {
    if (node === null || typeof node !== 'object' || !(p in (node as object))) return false;
    node = (node as Record<string | number, unknown>)[p];
  }
  return true;
}

function checkMode(a: ParamAssignment, exists: boolean): void {
  if (a.mode === 'set' && !exists) {
    throw usage(`param '${a.key}' does not exist in ${a.file}`, `check the spelling (\`mlp params diff --all\` lists the params); to add a new key, write -S '${a.file === DEFAULT_PARAMS_FILE ? '' : `${a.file}:`}+${a.key}=${a.value}'`);
  }
  if (a.mode === 'add' && exists) {
    throw usage(`param '${a.key}' already exists in ${a.file}: '+' only adds new keys`, `to change it, drop the '+' (-S ${a.key}=${a.value}); '++' sets a key whether or not it exists`);
  }
}

/** `text` of the params file `file` with `assignments` (all of that file) applied. */
export function applyToText(text: string, file: string, assignments: readonly ParamAssignment[]): string {
  if (file.toLowerCase().endsWith('.json')) return applyToJson(text, file, assignments);
  const { parseDocument, isMap, isSeq, isNode } = yaml();
  const doc = parseDocument(text, { uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw new PipelineError(`invalid YAML: ${first.message.split('\n')[0]}`, { file, line: first.linePos?.[0].line, column: first.linePos?.[0].col });
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  if (!isMap(doc.contents)) throw new PipelineError('a params file must be a mapping of keys to values', { file });
  for (const a of assignments) {
    const data = doc.toJS() as unknown;
    const parts = keyPath(data, a.key);
    checkMode(a, has(data, parts));
    // A new key under a parent that is a scalar or list cannot be added as a mapping entry.
    const parent = parts.length > 1 ? doc.getIn(parts.slice(0, -1), true) : doc.contents;
    if (parent !== undefined && !isMap(parent) && !(isSeq(parent) && typeof parts.at(-1) === 'number')) {
      throw usage(`cannot set '${a.key}' in ${file}: '${parts.slice(0, -1).join('.')}' is not a mapping`, 'set the parent key itself, or use another key');
    }
    const node = valueNode(a.value, a);
    // The value's own comments (`lr: 0.1  # learning rate`) belong to the line, not to the old value.
    const previous = doc.getIn(parts, true);
    if (isNode(previous) && isNode(node)) {
      node.comment = previous.comment;
      node.commentBefore = previous.commentBefore;
      node.spaceBefore = previous.spaceBefore;
    }
    doc.setIn(parts, node);
  }
  // `[64, 32]` as people write it (the library pads flow collections by default).
  return doc.toString({ flowCollectionPadding: false });
}

function applyToJson(text: string, file: string, assignments: readonly ParamAssignment[]): string {
  const data = (text.trim() === '' ? {} : parseJsonLocated(text, file, 'fix the JSON syntax (a .json file is strict JSON)')) as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new PipelineError('a params file must be a mapping of keys to values', { file });
  for (const a of assignments) {
    const parts = keyPath(data, a.key);
    checkMode(a, has(data, parts));
    let node = data as Record<string | number, unknown>;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (next === undefined) node = node[p] = {};
      else if (next !== null && typeof next === 'object') node = next as Record<string | number, unknown>;
      else throw usage(`cannot set '${a.key}' in ${file}: '${parts.slice(0, -1).join('.')}' is not a mapping`, 'set the parent key itself, or use another key');
    }
    const value: unknown = a.value === '' ? '' : yaml().parse(a.value);
    node[parts.at(-1) as string | number] = value;
  }
  const indent = /^[ \t]*\{\s*\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  return `${JSON.stringify(data, null, indent)}\n`;
}

/** The text of params file `file` (absolute `abs`); a missing one is a clear error. */
export function readParamsText(abs: string, file: string): string {
  try {
    return fs.readFileSync(abs, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw usage(`params file '${file}' does not exist`, 'create it, or name another file: -S other.yaml:key=value');
    }
    throw error;
  }
}
