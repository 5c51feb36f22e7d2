/** Params files (YAML or JSON) and dotted-key lookups into them. */
import path from 'node:path';
import { PipelineError } from '../errors.js';
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
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, intAsBigInt: options.intAsBigInt === true });
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
 * Parses JSON strictly (a `.json` file is JSON, not YAML); errors say "invalid JSON" with the
 * line and column of the first bad character.
 */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8 gives no offset for some errors ("Unexpected token"): find it with a small scanner.
    const at = jsonErrorOffset(text);
    const before = text.slice(0, at).split('\n');
    const message = (error as Error).message.replace(/ in JSON at position \d+.*$/s, '').replace(/, (\.\.\.)?".*" is not valid JSON$/s, '');
    throw new PipelineError(
      `invalid JSON: ${message}`,
      { file, line: before.length, column: (before.at(-1)?.length ?? 0) + 1 },
      { hint: 'fix the JSON syntax (a .json file is strict JSON: no comments, no trailing commas)' },
    );
  }
}

/** Offset of the first character at which `text` stops being valid JSON (text.length if it ends early). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
          }
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (offset) {
    if (typeof offset === 'number') return Math.min(offset, text.length);
    throw offset;
  }
  return text.length;
}

/**
 * Parses the text of a params file: a mapping of keys to values (an empty file is an empty one).
 * A `.json` file is strict JSON (errors say "invalid JSON"); anything else is YAML.
 */
export function parseParamsText(text: string, file: string, options: YamlParseOptions = {}): Record<string, unknown> {
  const isJson = file.toLowerCase().endsWith('.json');
  const json = isJson && text.trim() !== '' ? parseJsonText(text, file) : undefined;
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
