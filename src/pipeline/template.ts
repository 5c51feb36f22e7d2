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

function lookup(context: Context, expression: string): unknown {
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*$/.test(expression)) {
    throw new TemplateError(`\${${expression}} is not a valid reference (use names and dots, e.g. \${train.lr})`);
  }
  const value = getDotted(context, expression.replace(/\[(\d+)\]/g, '.$1'));
  if (isMissing(value)) throw new TemplateError(`\${${expression}} is not defined`);
  return value;
}

export function interpolateString(text: string, context: Context): unknown {
  if (!text.includes('${')) return text;
  if (UNCLOSED.test(text)) {
    throw new TemplateError(`unclosed '\${' in '${text}'`, "close it with '}' (e.g. ${train.lr}), or write '\\${' for a literal '${'");
  }
  const whole = WHOLE.exec(text);
  if (whole) return lookup(context, whole[1] ?? '');
  return text.replace(EXPRESSION, (match, escape: string | undefined, expression: string) => {
    if (escape) return match.slice(1);
    const value = lookup(context, expression);
    if (value !== null && typeof value === 'object') {
      throw new TemplateError(`\${${expression}} is a ${Array.isArray(value) ? 'list' : 'mapping'}; only a scalar can be part of a string`);
    }
    return String(value);
  });
}

/** Interpolates every string inside `value` (keys of mappings included). */
export function interpolate(value: unknown, context: Context): unknown {
  if (typeof value === 'string') return interpolateString(value, context);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, context));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = interpolateString(k, context);
      out[String(key)] = interpolate(v, context);
    }
    return out;
  }
  return value;
}
