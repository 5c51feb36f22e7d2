/** Params files (YAML or JSON) and dotted-key lookups into them. */
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { parseJsonLocated } from '../util/json-text.js';
import { parsePythonParams } from './python-params.js';
import { parseTomlParams } from './toml-params.js';
import type { ParseCache } from '../util/parse-cache.js';
import { yaml } from '../util/yaml.js';

export type ParamValue = unknown;

/**
 * Reads a repository-relative file as text (undefined if it does not exist). Given to the
 * pipeline loader and `ParamsReader` to read files somewhere other than the workspace — at a
 * git revision — in which case the parse cache (keyed by workspace file stats) is bypassed.
 */
export type ReadText = (file: string) => string | undefined;

type YamlDocument = ReturnType<ReturnType<typeof yaml>['parseDocument']>;

export interface YamlParseOptions {
  /**
   * Integers as bigint, so that `1` and `1.0` stay distinct (the text stage's `min_df: 1` is a
   * document count, `min_df: 1.0` a fraction, as in scikit-learn).
   */
  intAsBigInt?: boolean;
}

/** Parses YAML into a document with positions; syntax errors carry file, line and column. */
export function parseYamlDocument(
  text: string,
  file: string,
  options: YamlParseOptions = {},
): { doc: YamlDocument; linePos: (offset: number) => { line: number; col: number } } {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  // `merge`: YAML 1.1 merge keys (`<<: *defaults`), which DVC's parser (ruamel) honours and real
  // pipelines use to share stage definitions; without it `<<` is an ordinary key and is lost.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true, intAsBigInt: options.intAsBigInt === true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const line = pos ? text.split('\n')[pos.line - 1] ?? '' : '';
    const hint = /[[{].*\$\{/.test(line)
      ? '`{` and `}` are YAML syntax inside `[...]` and `{...}`: quote the value ("${item}") or use a block list (- ${item})'
      : undefined;
    throw new PipelineError(
      `invalid YAML: ${first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      { file, line: pos?.line, column: pos?.col },
      { hint },
    );
  }
  return { doc, linePos: (offset) => lineCounter.linePos(offset) };
}

/** Parses YAML (a superset of JSON) text into plain values. */
export function parseYamlText(text: string, file: string, options: YamlParseOptions = {}): unknown {
  return parseYamlDocument(text, file, options).doc.toJS({ maxAliasCount: 1000 }) as unknown;
}

/**
 * Parses the text of a params file: a mapping of keys to values (an empty file is an empty one).
 * A `.json` file is strict JSON (errors say "invalid JSON"), a `.py` file Python constants
 * (params/python-params.ts); anything else is YAML.
 */
export function parseParamsText(text: string, file: string, options: YamlParseOptions = {}): Record<string, unknown> {
  // A `.py` file: its constants and class attributes, as DVC reads Python params files.
  if (file.toLowerCase().endsWith('.py')) return parsePythonParams(text);
  // A `.toml` file: tables as nested mappings, as DVC reads TOML params (params/toml-params.ts).
  if (file.toLowerCase().endsWith('.toml')) return parseTomlParams(text, file);
  const isJson = file.toLowerCase().endsWith('.json');
  const json = isJson && text.trim() !== '' ? parseJsonLocated(text, file, 'fix the JSON syntax (a .json file is strict JSON: no comments, no trailing commas)') : undefined;
  // Integers as bigint come from the YAML parser only (JSON is YAML, so it reads valid JSON alike).
  const value = (isJson && !options.intAsBigInt ? json : parseYamlText(text, file, options)) ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PipelineError('a params file must be a mapping of keys to values', { file });
  }
  return value as Record<string, unknown>;
}

/** Reads params files once per command, through the parse cache (or through `readText`). */
export class ParamsReader {
  private readonly files = new Map<string, Record<string, unknown> | undefined>();

  constructor(
    private readonly root: string,
    private readonly cache: ParseCache,
    private readonly readText?: ReadText,
  ) {}

  /** Absolute paths of every file read so far (whether or not it existed). */
  get filesRead(): string[] {
    return [...this.files.keys()].map((f) => path.join(this.root, f));
  }

  /** The parsed file, or undefined if it does not exist. */
  read(file: string): Record<string, unknown> | undefined {
    if (this.files.has(file)) return this.files.get(file);
    const parse = (text: string): Record<string, unknown> => parseParamsText(text, file);
    let value: Record<string, unknown> | undefined;
    if (this.readText) {
      const text = this.readText(file);
      value = text === undefined ? undefined : parse(text);
    } else {
      value = this.cache.readYaml(path.join(this.root, file), parse) as Record<string, unknown> | undefined;
    }
    this.files.set(file, value);
    return value;
  }
}

const MISSING = Symbol('missing');

/** Looks up `a.b.c` (and list indexes like `a.0`) in a parsed params object. */
export function getDotted(data: unknown, key: string): unknown {
  if (data !== null && typeof data === 'object' && key in (data as Record<string, unknown>)) {
    return (data as Record<string, unknown>)[key]; // a key that itself contains dots
  }
  let value: unknown = data;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in (value as Record<string, unknown>))) return MISSING;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function isMissing(value: unknown): value is typeof MISSING {
  return value === MISSING;
}
