/**
 * A small RFC 4180 CSV reader and writer: the one CSV parser of mlp (the text trainer's data,
 * plot files, CSV bodies sent to `mlp serve`; TSV with `delimiter: '\t'`).
 *
 * Why not a package: the text trainer needs exactly one dialect (comma, double quote, header
 * row), exact line numbers for error messages (where a record *starts*, which matters when quoted
 * fields span lines) and strictness about malformed quoting; that is ~150 lines, with no
 * dependency to audit. It accepts what Python's `csv` module writes and reads what it reads for
 * this dialect (LF, CRLF or CR line ends; `""` escapes; commas and line breaks inside quotes).
 * Deliberate choices:
 * - a `"` inside an unquoted field is kept literally (like Python), but text after a closing
 *   quote other than a separator or line end is an error (Python would silently glue it on);
 * - blank lines are skipped (a record that is nothing but a line break carries no data);
 * - a leading UTF-8 BOM is removed by the decoder before parsing (see utf8.ts).
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line on which the record starts. */
  line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based line of the problem. */
    readonly line: number,
    /** 0-based index of the record in the file (0 = header). */
    readonly recordIndex: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export interface ParseCsvOptions {
  /**
   * Tolerate a quoted field left open at the end of the text (used to locate a byte offset in a
   * prefix of a file; never for real parsing).
   */
  allowUnterminated?: boolean;
  /** The field separator: `,` (the default) or `\t` for TSV. */
  delimiter?: ',' | '\t';
}

/** Parses all records (the header included, as record 0). */
export function parseCsv(text: string, options: ParseCsvOptions = {}): CsvRecord[] {
  const records: CsvRecord[] = [];
  const SEPARATOR = (options.delimiter ?? ',').charCodeAt(0);
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (text.charCodeAt(i) === QUOTE) {
        const fieldLine = line;
        i++;
        field = '';
        let segmentStart = i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            if (options.allowUnterminated) {
              line += countLineBreaks(text, i, n);
              field += text.slice(segmentStart);
              i = n;
              break;
            }
            throw new CsvSyntaxError(
              `quoted field opened on line ${fieldLine} is never closed`,
              fieldLine,
              records.length,
            );
          }
          line += countLineBreaks(text, i, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            // `""` is an escaped quote: keep one.
            field += text.slice(segmentStart, q + 1);
            i = q + 2;
            segmentStart = i;
            continue;
          }
          field += text.slice(segmentStart, q);
          i = q + 1;
          break;
        }
        const after = text.charCodeAt(i);
        if (i < n && after !== SEPARATOR && after !== LF && after !== CR) {
          throw new CsvSyntaxError(
            `unexpected ${JSON.stringify(text[i])} after the closing quote of a field ` +
              `(a quote inside a quoted field must be doubled: "")`,
            line,
            records.length,
          );
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === SEPARATOR || c === LF || c === CR) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === SEPARATOR) {
        i++;
        continue;
      }
      // Line end: LF, CRLF or a lone CR.
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    const blank = fields.length === 1 && fields[0] === '';
    if (!blank) records.push({ fields, line: recordLine });
  }
  return records;
}

/** Line breaks (LF, CRLF counted once, lone CR) in text[from, to). */
function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === LF) count++;
    else if (c === CR && text.charCodeAt(k + 1) !== LF) count++;
  }
  return count;
}

/**
 * 0-based index of the record that contains position `prefix.length` of a file whose first
 * characters are `prefix` (0 = header). Used to name the row of a bad byte.
 */
export function recordIndexAtEnd(prefix: string): number {
  const records = parseCsv(prefix, { allowUnterminated: true });
  if (records.length === 0) return 0;
  const last = prefix.charCodeAt(prefix.length - 1);
  // If the prefix ends with a record-ending line break, the position starts the next record.
  const endsRecord = (last === LF || last === CR) && !endsInsideQuotes(prefix);
  return endsRecord ? records.length : records.length - 1;
}

function endsInsideQuotes(text: string): boolean {
  try {
    parseCsv(text);
    return false;
  } catch (error) {
    if (error instanceof CsvSyntaxError) return true;
    throw error;
  }
}

/** Quotes a field only when it needs it (like Python's csv.QUOTE_MINIMAL). */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record, LF-terminated. */
export function formatCsvRecord(fields: readonly string[]): string {
  return fields.map(formatCsvField).join(',') + '\n';
}
