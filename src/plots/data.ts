/**
 * Plot data files: CSV, TSV, JSON and YAML read into a list of records, and image files (PNG,
 * JPEG, GIF, SVG) recognised by their extension. The core of `mlp plots`; it never prints.
 */
import path from 'node:path';
import { MlpError } from '../errors.js';
import { parseYamlText } from '../params/params-file.js';
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../util/csv.js';

export type DataRecord = Record<string, unknown>;

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

export const DATA_EXTENSIONS = ['.csv', '.tsv', '.json', '.yaml', '.yml'] as const;

/** The MIME type of an image plot file, or undefined when the file is not an image. */
export function imageType(file: string): string | undefined {
  return IMAGE_TYPES[path.extname(file).toLowerCase()];
}

/** Why a data file could not be read: the plot still shows the other files and revisions. */
export class PlotDataError extends MlpError {}

/**
 * The records of a data file. JSON and YAML may be a list of records, a mapping whose first
 * list of records (searched depth first, as DVC does) is the data (`{"train": [...]}`), or a
 * mapping of equal-length columns (`{"step": [0, 1], "loss": [0.9, 0.5]}`).
 */
export function parseData(text: string, file: string): DataRecord[] {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return parseDelimited(text, ext === '.tsv' ? '\t' : ',', file);
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    let value: unknown;
    try {
      value = ext === '.json' ? (JSON.parse(text) as unknown) : parseYamlText(text, file);
    } catch (error) {
      const detail = error instanceof Error ? error.message.replace(`${file}:`, 'line ') : String(error);
      throw new PlotDataError(`plot file '${file}' is not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${detail})`, {
        hint: 'fix the stage that writes it',
        cause: error,
      });
    }
    const records = findRecords(value);
    if (!records) {
      throw new PlotDataError(`plot file '${file}' holds no list of records`, {
        hint: 'write a list of objects ([{"step": 0, "loss": 0.9}, …]), a mapping holding one, or a mapping of equal-length columns',
      });
    }
    return records;
  }
  throw new PlotDataError(`plot file '${file}' is not a data file mlp can plot`, {
    hint: `plots are ${DATA_EXTENSIONS.join(', ')} data files or ${Object.keys(IMAGE_TYPES).join(', ')} images`,
  });
}

function isRecord(value: unknown): value is DataRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function findRecords(value: unknown): DataRecord[] | undefined {
  if (Array.isArray(value)) return value.length > 0 && value.every(isRecord) ? value : value.length === 0 ? [] : undefined;
  if (!isRecord(value)) return undefined;
  const columns = Object.entries(value);
  if (columns.length > 0 && columns.every(([, v]) => Array.isArray(v) && !v.some(isRecord))) {
    const length = (columns[0]?.[1] as unknown[]).length;
    if (columns.every(([, v]) => (v as unknown[]).length === length)) {
      return Array.from({ length }, (_, i) => Object.fromEntries(columns.map(([k, v]) => [k, (v as unknown[])[i]])));
    }
  }
  for (const [, v] of columns) {
    const found = findRecords(v);
    if (found && found.length > 0) return found;
  }
  return undefined;
}

/** A number written as text (`0.25`, `1e-3`, `-4`) becomes a number; anything else stays text. */
function cell(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed !== '' && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return Number(trimmed);
  return text;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF) or TSV; the first row names the columns. */
export function parseDelimited(text: string, delimiter: ',' | '\t', file: string): DataRecord[] {
  const kind = delimiter === '\t' ? 'TSV' : 'CSV';
  let rows: CsvRecord[];
  try {
    // A byte-order mark is not part of the first column's name.
    rows = parseCsv(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { delimiter });
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    throw new PlotDataError(`plot file '${file}' line ${error.line}: ${error.message}`, { hint: `fix the ${kind} quoting` });
  }
  const header = rows[0]?.fields;
  if (!header) return [];
  return rows.slice(1).map(({ fields, line }) => {
    if (fields.length !== header.length) {
      throw new PlotDataError(`plot file '${file}' line ${line}: ${fields.length} fields where the header has ${header.length}`, {
        hint: `every row of a ${kind} plot file has one value per column of its first line`,
      });
    }
    return Object.fromEntries(header.map((name, k) => [name, cell(fields[k]!)]));
  });
}
