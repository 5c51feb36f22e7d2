/**
 * `${a.b}` interpolation, as in DVC: a string that is exactly one `${…}` takes the referenced
 * value with its type; otherwise each `${…}` is replaced by its scalar value. `\${` escapes.
 */
import { getDotted, isMissing } from '../params/params-file.js';

export class TemplateError extends Error {
  constructor(
    message: string,
    /** What to do, when it is not "define the value". */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** An unescaped `${` with no `}` after it: a typo that must not reach the shell as text. */
const UNCLOSED = /(^|[^\\])\$\{[^}]*$/;

const EXPRESSION = /(\\)?\$\{\s*([^}]*?)\s*\}/g;
const WHOLE = /^\$\{\s*([^}]*?)\s*\}$/;

export type Context = Record<string, unknown>;

/**
 * How a mapping becomes command-line arguments inside `cmd` (DVC's `parsing` config):
 * `bool: store_true` writes `--flag` for true and nothing for false, `boolean_optional` also
 * `--no-flag` for false; `list: nargs` writes `--k a b`, `append` writes `--k a --k b`.
 */
export interface ParsingOptions {
  bool: 'store_true' | 'boolean_optional';
  list: 'nargs' | 'append';
}

export const DEFAULT_PARSING: ParsingOptions = { bool: 'store_true', list: 'nargs' };

export interface InterpolateOptions {
  /** Every reference resolved (dotted, `a.b.0`), to track params used through `${…}`. */
  used?: Set<string>;
  /** Set for `cmd`: a mapping referenced in a command is unpacked into `--key value` arguments. */
  cmdArgs?: ParsingOptions;
}

function lookup(context: Context, expression: string, used?: Set<string>): unknown {
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*$/.test(expression)) {
    throw new TemplateError(`\${${expression}} is not a valid reference (use names and dots, e.g. \${train.lr})`);
  }
  const value = getDotted(context, expression.replace(/\[(\d+)\]/g, '.$1'));
  if (isMissing(value)) throw new TemplateError(`\${${expression}} is not defined`);
  used?.add(expression.replace(/\[(\d+)\]/g, '.$1'));
  return value;
}

/** A word the shell reads back as itself (as Python's shlex.quote, which DVC uses). */
export function shellQuote(text: string): string {
  if (text !== '' && /^[\w@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

/** `{lr: 0.1, model: {depth: 3}, fast: true}` → `--lr 0.1 --model.depth 3 --fast` (DVC's rules). */
export function toCmdArgs(value: Record<string, unknown>, options: ParsingOptions, prefix = ''): string {
  const words: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const nested = toCmdArgs(v as Record<string, unknown>, options, `${name}.`);
      if (nested !== '') words.push(nested);
    } else if (typeof v === 'boolean') {
      if (v) words.push(`--${name}`);
      else if (options.bool === 'boolean_optional') words.push(`--no-${name}`);
    } else if (Array.isArray(v)) {
      v.forEach((element, index) => {
        if (element !== null && typeof element === 'object') throw new TemplateError(`cannot unpack the nested list or mapping in '${name}' into command arguments`);
        const word = typeof element === 'string' ? shellQuote(element) : String(element);
        words.push(options.list === 'append' || index === 0 ? `--${name} ${word}` : word);
      });
    } else {
      words.push(`--${name} ${typeof v === 'string' ? shellQuote(v) : String(v)}`);
    }
  }
  return words.join(' ');
}

export function interpolateString(text: string, context: Context, options: InterpolateOptions = {}): unknown {
  if (!text.includes('${')) return text;
  if (UNCLOSED.test(text)) {
    throw new TemplateError(`unclosed '\${' in '${text}'`, "close it with '}' (e.g. ${train.lr}), or write '\\${' for a literal '${'");
  }
  const { used, cmdArgs } = options;
  const whole = WHOLE.exec(text);
  if (whole && !cmdArgs) return lookup(context, whole[1] ?? '', used);
  return text.replace(EXPRESSION, (match, escape: string | undefined, expression: string) => {
    if (escape) return match.slice(1);
    const value = lookup(context, expression, used);
    if (cmdArgs && value !== null && typeof value === 'object' && !Array.isArray(value)) return toCmdArgs(value as Record<string, unknown>, cmdArgs);
    if (value !== null && typeof value === 'object') {
      throw new TemplateError(`\${${expression}} is a ${Array.isArray(value) ? 'list' : 'mapping'}; only a scalar can be part of a string`);
    }
    return String(value);
  });
}

/** Interpolates every string inside `value` (keys of mappings included). */
export function interpolate(value: unknown, context: Context, options: InterpolateOptions = {}): unknown {
  if (typeof value === 'string') return interpolateString(value, context, options);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, context, options));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = interpolateString(k, context, { used: options.used });
      out[String(key)] = interpolate(v, context, options);
    }
    return out;
  }
  return value;
}
