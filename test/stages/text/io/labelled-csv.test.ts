import { readDocumentsCsv } from '../../../../stages/text/io/labelled-csv.js';
import { mlpError, tempDir, writeFile } from '../helpers.js';

const dir = tempDir();
const columns = { textColumn: 'text', labelColumn: 'label' };

describe('reading labelled CSV', () => {
  test('reads text and label columns in any order, with the line of each row', async () => {
    const file = writeFile(dir, 'ok.csv', 'id,label,text\n1,a,"multi\nline"\n2,b,plain\n');
    const docs = await readDocumentsCsv(file, columns);
    expect(docs.texts).toEqual(['multi\nline', 'plain']);
    expect(docs.labels).toEqual(['a', 'b']);
    expect(docs.lines).toEqual([2, 4]);
  });

  test('custom column names', async () => {
    const file = writeFile(dir, 'custom.csv', 'message,category\nhello,x\n');
    expect((await readDocumentsCsv(file, { textColumn: 'message', labelColumn: 'category' })).labels).toEqual(['x']);
  });
});

describe('bad input is an error naming the file and row', () => {
  test('missing column', async () => {
    const file = writeFile(dir, 'missing.csv', 'body,label\nhello,a\n');
    const error = await mlpError(() => readDocumentsCsv(file, columns));
    expect(error.message).toBe(`${file}, header (line 1): missing column "text"; the columns are "body", "label"`);
    expect(error.hint).toMatch(/--text-col/);
    expect(error.exitCode).toBe(1);
  });

  test('empty file', async () => {
    const file = writeFile(dir, 'empty.csv', '');
    expect((await mlpError(() => readDocumentsCsv(file, columns))).message).toBe(`${file}: the file is empty`);
    const blank = writeFile(dir, 'blank.csv', '\n\n');
    expect((await mlpError(() => readDocumentsCsv(blank, columns))).message).toMatch(/the file is empty/);
  });

  test('header without data rows', async () => {
    const file = writeFile(dir, 'header-only.csv', 'text,label\n');
    expect((await mlpError(() => readDocumentsCsv(file, columns))).message).toBe(
      `${file}: the file has a header but no data rows`,
    );
  });

  test('non-UTF-8 bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('text,label\nfine,a\n"caf'), Buffer.from([0xe9]), Buffer.from('",b\n')]);
    const file = writeFile(dir, 'latin1.csv', bytes);
    const error = await mlpError(() => readDocumentsCsv(file, columns));
    expect(error.message).toBe(
      `${file}, row 2 (line 3): invalid UTF-8 byte 0xe9 at byte offset 22; the file is not UTF-8`,
    );
    expect(error.hint).toMatch(/iconv/);
  });

  test('a row with the wrong number of fields', async () => {
    const file = writeFile(dir, 'fields.csv', 'text,label\nok,a\nnot, quoted,b\n');
    const error = await mlpError(() => readDocumentsCsv(file, columns));
    expect(error.message).toBe(`${file}, row 2 (line 3): 3 fields, but the header has 2`);
    expect(error.hint).toMatch(/quote fields/);
  });

  test('an empty label', async () => {
    const file = writeFile(dir, 'nolabel.csv', 'text,label\nok,a\nmissing,\n');
    expect((await mlpError(() => readDocumentsCsv(file, columns))).message).toBe(
      `${file}, row 2 (line 3): empty label in column "label"`,
    );
  });

  test('malformed quoting', async () => {
    const file = writeFile(dir, 'quote.csv', 'text,label\nok,a\n"open,b\n');
    expect((await mlpError(() => readDocumentsCsv(file, columns))).message).toMatch(
      /quote\.csv, row 2 \(line 3\): malformed CSV: quoted field opened on line 3 is never closed/,
    );
  });

  test('no such file', async () => {
    const file = `${dir}/nope.csv`;
    expect((await mlpError(() => readDocumentsCsv(file, columns))).message).toBe(`${file}: no such CSV file`);
  });
});
