import { CsvSyntaxError, formatCsvRecord, parseCsv, recordIndexAtEnd } from '../../src/util/csv.js';

const fields = (text: string): string[][] => parseCsv(text).map((record) => record.fields);

describe('parseCsv (RFC 4180)', () => {
  test('plain records, LF and CRLF line ends, no trailing newline', () => {
    expect(fields('text,label\nhello,a\r\nworld,b')).toEqual([
      ['text', 'label'],
      ['hello', 'a'],
      ['world', 'b'],
    ]);
  });

  test('quoted fields keep commas, doubled quotes and line breaks', () => {
    const text = 'text,label\n"a, b",x\n"she said ""hi""",y\n"two\nlines\r\nhere",z\n';
    expect(fields(text)).toEqual([
      ['text', 'label'],
      ['a, b', 'x'],
      ['she said "hi"', 'y'],
      ['two\nlines\r\nhere', 'z'],
    ]);
  });

  test('records remember the line they start on, across quoted line breaks', () => {
    const records = parseCsv('h1,h2\n"a\nb\nc",1\nnext,2\n');
    expect(records.map((r) => r.line)).toEqual([1, 2, 5]);
  });

  test('empty fields, trailing comma, blank lines skipped, lone CR line ends', () => {
    expect(fields('a,b,c\n,,\n\n1,2,\r3,"",4\n\n')).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
      ['1', '2', ''],
      ['3', '', '4'],
    ]);
  });

  test('a quote inside an unquoted field is literal', () => {
    expect(fields('t,l\n5" screen,x\n')).toEqual([
      ['t', 'l'],
      ['5" screen', 'x'],
    ]);
  });

  test('an unterminated quoted field is an error naming where it opened', () => {
    const error = captureCsvError('t,l\nok,1\n"never closed,2\nmore\n');
    expect(error.line).toBe(3);
    expect(error.recordIndex).toBe(2);
    expect(error.message).toMatch(/opened on line 3 is never closed/);
  });

  test('text after a closing quote is an error', () => {
    const error = captureCsvError('t,l\n"ab"c,1\n');
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/after the closing quote/);
  });

  test('empty input has no records', () => {
    expect(parseCsv('')).toEqual([]);
  });
});

describe('formatCsvRecord', () => {
  test('quotes only what needs quoting and round-trips', () => {
    const values = ['plain', 'with, comma', 'with "quotes"', 'multi\nline', 'cr\rhere', '', ' spaced '];
    const line = formatCsvRecord(values);
    expect(line).toBe('plain,"with, comma","with ""quotes""","multi\nline","cr\rhere",, spaced \n');
    expect(fields(`${formatCsvRecord(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'])}${line}`)[1]).toEqual(values);
  });
});

describe('recordIndexAtEnd', () => {
  test('names the record a position falls in', () => {
    expect(recordIndexAtEnd('h1,h2\nrow1,a\nro')).toBe(2);
    expect(recordIndexAtEnd('h1,h2\nrow1,a\n')).toBe(2);
    expect(recordIndexAtEnd('h1,h2\n"quoted\n')).toBe(1);
    expect(recordIndexAtEnd('h1,h')).toBe(0);
  });
});

function captureCsvError(text: string): CsvSyntaxError {
  try {
    parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a CsvSyntaxError');
}
