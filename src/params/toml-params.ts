/**
 * TOML params files (`params.toml`), as DVC reads them: tables are nested mappings, so
 * `[train] lr = 0.1` is the param `train.lr` in `params:` lists, `file:key` refs, `params diff`
 * and `${train.lr}`. Every TOML read goes through this module.
 *
 * The parser is smol-toml (small, no dependencies, TOML 1.0, errors with line and column).
 */
import { parse, TomlError } from 'smol-toml';
import { PipelineError } from '../errors.js';

export function parseTomlParams(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const first = error.message.split('\n')[0] ?? 'invalid TOML';
    throw new PipelineError(`invalid TOML: ${first.replace(/^Invalid TOML document: /, '')}`, { file, line: error.line, column: error.column }, { hint: 'fix the TOML syntax' });
  }
  return plain(value) as Record<string, unknown>;
}

/**
 * Plain values, as the other params readers give them: TOML dates and times become their TOML
 * text (DVC's lock and `params diff` show them as strings too).
 */
function plain(value: unknown): unknown {
  if (value instanceof Date) return (value as Date & { toISOString(): string }).toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
