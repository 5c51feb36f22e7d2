import { thrownMlpError } from '../helpers/errors.js';
import { imageType, parseData, parseDelimited, PlotDataError } from '../../src/plots/data.js';

describe('plot data files', () => {
  test('CSV: a header, quoted fields with commas, quotes and newlines, CRLF; numbers become numbers', () => {
    const text = '\ufeffstep,"name, full",loss\r\n0,"a ""b""",0.5\r\n1,"two\nlines",1e-3\r\n';
    expect(parseDelimited(text, ',', 'x.csv')).toEqual([
      { step: 0, 'name, full': 'a "b"', loss: 0.5 },
      { step: 1, 'name, full': 'two\nlines', loss: 0.001 },
    ]);
  });

  test('TSV (as DVCLive writes it)', () => {
    expect(parseData('timestamp\tstep\tloss\n1700000000\t0\t0.9\n1700000001\t1\t0.7\n', 'dvclive/plots/metrics/loss.tsv')).toEqual([
      { timestamp: 1700000000, step: 0, loss: 0.9 },
      { timestamp: 1700000001, step: 1, loss: 0.7 },
    ]);
  });

  test('a row with the wrong number of fields is an error that names its line', () => {
    expect(() => parseData('a,b\n1,2\n3\n', 'bad.csv')).toThrow(/bad\.csv' line 3: 1 fields where the header has 2/);
  });

  test('JSON: a list of records, a mapping holding one (DVC), or columns', () => {
    const records = [{ x: 1, y: 2 }];
    expect(parseData(JSON.stringify(records), 'a.json')).toEqual(records);
    expect(parseData(JSON.stringify({ train: records }), 'a.json')).toEqual(records);
    expect(parseData(JSON.stringify({ meta: { v: 1 }, nested: { rows: records } }), 'a.json')).toEqual(records);
    expect(parseData(JSON.stringify({ x: [1, 2], y: [3, 4] }), 'a.json')).toEqual([
      { x: 1, y: 3 },
      { x: 2, y: 4 },
    ]);
  });

  test('YAML: the same shapes', () => {
    expect(parseData('- {actual: cat, predicted: dog}\n- {actual: dog, predicted: dog}\n', 'c.yaml')).toEqual([
      { actual: 'cat', predicted: 'dog' },
      { actual: 'dog', predicted: 'dog' },
    ]);
  });

  test('broken JSON and data with no records are typed errors with a hint', () => {
    expect(() => parseData('{"a": ', 'a.json')).toThrow(PlotDataError);
    const error = thrownMlpError(() => parseData('{"a": 1}', 'a.json'));
    expect(error.message).toMatch(/holds no list of records/);
    expect(error.hint).toMatch(/list of objects/);
  });

  test('images are recognised by extension', () => {
    expect(imageType('plots/confusion.PNG')).toBe('image/png');
    expect(imageType('a.jpeg')).toBe('image/jpeg');
    expect(imageType('a.svg')).toBe('image/svg+xml');
    expect(imageType('a.csv')).toBeUndefined();
  });
});
