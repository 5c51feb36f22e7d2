/**
 * TOML params files (`params.toml`), as DVC reads them: tables are nested mappings, so
 * `[train] lr = 0.1` is the param `train.lr` in `params:` lists, `file:key` refs, `params diff`
 * and `${train.lr}`. Every TOML read goes through this module.
 *
 * The parser is smol-toml (small, no dependencies, TOML 1.0, errors with line and column). It is
 * not among mlp's dependencies yet, so TOML files are still refused with the message below; adding
 * it is `npm install smol-toml` and setting `TOML_PACKAGE` to 'smol-toml'.
 */
import { createRequire } from 'node:module';
import { PipelineError } from '../errors.js';

const TOML_PACKAGE: string | undefined = undefined;

interface TomlParser {
  parse(text: string): unknown;
}

interface TomlSyntaxError {
  line?: number;
  column?: number;
  message?: string;
}

export function parseTomlParams(text: string, file: string): Record<string, unknown> {
  if (TOML_PACKAGE === undefined) {
    // Read as YAML, a TOML file would give a confusing syntax error, or worse, wrong values.
    throw new PipelineError('TOML params files are not supported yet', { file }, { hint: 'convert it to params.yaml (or JSON), or to Python constants in a .py file' });
  }
  const parser = createRequire(import.meta.url)(TOML_PACKAGE) as TomlParser;
  let value: unknown;
  try {
    value = parser.parse(text);
  } catch (error) {
    const e = error as TomlSyntaxError;
    const first = (e.message ?? String(error)).split('\n')[0] ?? 'invalid TOML';
    throw new PipelineError(`invalid TOML: ${first.replace(/^Invalid TOML document: /, '')}`, { file, line: e.line, column: e.column }, { hint: 'fix the TOML syntax' });
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
