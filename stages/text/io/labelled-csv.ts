/**
 * Reads a CSV of documents (and labels) with errors that name the file, the row and the fix.
 */
import { readFile } from 'node:fs/promises';
import { CsvSyntaxError, parseCsv, recordIndexAtEnd, type CsvRecord } from '../../../src/util/csv.js';
import { errorCode } from '../../../src/errors.js';
import { inputError } from '../../common/errors.js';
import { decodeUtf8Strict, InvalidUtf8Error } from './utf8.js';

export interface Documents {
  /** File the documents came from (as the user named it). */
  file: string;
  texts: string[];
  /** One per text; empty when the reader was not asked for labels. */
  labels: string[];
  /** 1-based physical line where each row starts (for error messages). */
  lines: number[];
}

export interface CsvColumns {
  textColumn: string;
  /** Omit to read unlabelled documents (prediction input). */
  labelColumn?: string;
  /**
   * The columns are the split format's, not a choice of the command (train, evaluate): a hint
   * must not suggest --text-col/--label-col, which those commands do not have.
   */
  fixed?: boolean;
}

/** Reads a file's bytes as strict UTF-8; a missing file or bad byte is a user error. */
export async function readUtf8File(file: string, what = 'file'): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw inputError({ file }, `no such ${what}`);
    if (errorCode(error) === 'EISDIR') throw inputError({ file }, `is a directory, expected a ${what}`);
    throw inputError({ file }, `cannot read: ${(error as Error).message}`);
  }
  try {
    return decodeUtf8Strict(bytes);
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) throw error;
    throw utf8Error(file, bytes, error);
  }
}

function utf8Error(file: string, bytes: Buffer, error: InvalidUtf8Error): Error {
  // Name the CSV row: parse the valid prefix and see which record the bad byte falls in.
  let row: number | undefined;
  try {
    row = recordIndexAtEnd(bytes.subarray(0, error.offset).toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    row = undefined;
  }
  return inputError(
    { file, row, line: error.line },
    `${error.message}; the file is not UTF-8`,
    'convert it to UTF-8 first, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`',
  );
}

/** Parses `text` as CSV with a header; errors name `file`. */
export function parseDocumentsCsv(text: string, file: string, columns: CsvColumns): Documents {
  if (text.trim() === '') {
    throw inputError({ file }, 'the file is empty', `expected a header row (e.g. "${headerHint(columns)}") and data rows`);
  }
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    throw inputError({ file, row: error.recordIndex, line: error.line }, `malformed CSV: ${error.message}`);
  }
  const header = records[0]!;
  const textIndex = columnIndex(header, columns.textColumn, file, columnHint(columns, '--text-col'));
  const labelIndex =
    columns.labelColumn === undefined ? -1 : columnIndex(header, columns.labelColumn, file, columnHint(columns, '--label-col'));
  if (records.length === 1) {
    throw inputError({ file }, 'the file has a header but no data rows');
  }
  const width = header.fields.length;
  const documents: Documents = { file, texts: [], labels: [], lines: [] };
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!;
    if (record.fields.length !== width) {
      throw inputError(
        { file, row: r, line: record.line },
        `${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, but the header has ${width}`,
        'quote fields that contain commas or line breaks: "like, this"',
      );
    }
    documents.texts.push(record.fields[textIndex]!);
    documents.lines.push(record.line);
    if (labelIndex >= 0) {
      const label = record.fields[labelIndex]!;
      if (label.trim() === '') {
        throw inputError({ file, row: r, line: record.line }, `empty label in column "${columns.labelColumn}"`);
      }
      documents.labels.push(label);
    }
  }
  return documents;
}

export async function readDocumentsCsv(file: string, columns: CsvColumns): Promise<Documents> {
  return parseDocumentsCsv(await readUtf8File(file, 'CSV file'), file, columns);
}

function columnHint(columns: CsvColumns, flag: string): string {
  if (!columns.fixed) return `pick the column with ${flag} <name>`;
  return 'this command reads the columns text,label that `mlp text prepare` writes: run prepare on your CSV (its --text-col and --label-col pick other columns)';
}

function columnIndex(header: CsvRecord, name: string, file: string, hint: string): number {
  const matches = header.fields.flatMap((field, index) => (field === name ? [index] : []));
  if (matches.length === 1) return matches[0]!;
  const where = { file, row: 0, line: header.line };
  if (matches.length > 1) throw inputError(where, `column "${name}" appears ${matches.length} times in the header`);
  const shown = header.fields.map((field) => JSON.stringify(field)).join(', ');
  throw inputError(where, `missing column "${name}"; the columns are ${shown}`, hint);
}

function headerHint(columns: CsvColumns): string {
  return columns.labelColumn === undefined ? columns.textColumn : `${columns.textColumn},${columns.labelColumn}`;
}

/** Row number (1-based, as in messages) and line of document `index`. */
export function rowOf(documents: Documents, index: number): { file: string; row: number; line: number } {
  return { file: documents.file, row: index + 1, line: documents.lines[index]! };
}
