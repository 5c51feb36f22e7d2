/** Request bodies of the three serving protocols → inputs, and the errors clients get instead. */
import { RequestError, csvColumn, inferInputs, invocationInputs, parseMultipart, predictInputs } from '../../src/serve/requests.js';

const json = (value: unknown): { contentType: string; bytes: Buffer } => ({ contentType: 'application/json; charset=utf-8', bytes: Buffer.from(JSON.stringify(value)) });

function rejection(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof RequestError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a RequestError');
}

describe('/predict bodies', () => {
  test('one input or a list, under the model field', () => {
    expect(predictInputs(json({ text: 'a' }), 'text')).toEqual({ inputs: [{ json: 'a' }], single: true });
    expect(predictInputs(json({ texts: ['a', 'b'] }), 'text')).toEqual({ inputs: [{ json: 'a' }, { json: 'b' }], single: false });
    expect(rejection(() => predictInputs(json({ text: 'a', texts: [] }), 'text')).message).toBe('send either "text" or "texts", not both');
    expect(rejection(() => predictInputs(json(['a']), 'text')).status).toBe(400);
  });

  test('a raw upload is one input; an unknown content type is a 415', () => {
    expect(predictInputs({ contentType: 'image/png', bytes: Buffer.from([1]) }, 'image').inputs).toEqual([{ bytes: Buffer.from([1]), name: 'the request body' }]);
    expect(rejection(() => predictInputs({ contentType: 'application/xml', bytes: Buffer.from('<a/>') }, 'text')).status).toBe(415);
  });

  test('multipart/form-data: files keep their name, fields are values', () => {
    const boundary = 'XyZ';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--${boundary}--\r\n`,
      'latin1',
    );
    const parts = parseMultipart({ contentType: `multipart/form-data; boundary=${boundary}`, bytes: body });
    expect(parts).toEqual([
      { name: 'image', filename: 'a.png', data: Buffer.from('\x89PNG', 'latin1') },
      { name: 'text', data: Buffer.from('hello') },
    ]);
    expect(rejection(() => parseMultipart({ contentType: 'multipart/form-data', bytes: body })).message).toContain('without a boundary');
    expect(rejection(() => parseMultipart({ contentType: `multipart/form-data; boundary=${boundary}`, bytes: body.subarray(0, 40) })).message).toContain('closing boundary');
  });
});

describe('MLflow /invocations bodies', () => {
  const values = (body: unknown): unknown[] => invocationInputs(json(body), 'text').map((i) => (i as { json: unknown }).json);

  test('each of the four JSON formats', () => {
    expect(values({ dataframe_split: { columns: ['id', 'text'], data: [[1, 'a'], [2, 'b']] } })).toEqual(['a', 'b']);
    expect(values({ dataframe_split: { data: [['a']] } })).toEqual(['a']);
    expect(values({ dataframe_records: [{ text: 'a' }, { other: 'b' }] })).toEqual(['a', 'b']);
    expect(values({ instances: ['a', { text: 'b' }] })).toEqual(['a', 'b']);
    expect(values({ inputs: { text: ['a', 'b'] } })).toEqual(['a', 'b']);
  });

  test('errors say what to send', () => {
    expect(rejection(() => values({ something: 1 })).message).toBe('expected one of dataframe_split, dataframe_records, instances, inputs');
    expect(rejection(() => values({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } })).message).toBe('no column "text" among ["a","b"]');
    expect(rejection(() => values({ dataframe_records: [{ a: 1, b: 2 }] })).message).toBe('dataframe_records[0] has no "text" field');
  });

  test('CSV: RFC 4180 quoting, the named or the only column', () => {
    expect(csvColumn('text\n"a, ""quoted""\nline two"\nb\r\n', 'text')).toEqual(['a, "quoted"\nline two', 'b']);
    expect(csvColumn('id,text\n1,x\n', 'text')).toEqual(['x']);
    expect(rejection(() => csvColumn('id,text\n1\n', 'text')).message).toBe('CSV line 2 has 1 fields, the header 2');
    expect(rejection(() => csvColumn('text\n"open\n', 'text')).message).toBe('the CSV body: quoted field opened on line 2 is never closed');
  });
});

describe('v2 infer bodies', () => {
  test('BYTES inputs one per row; numeric tensors sliced by the first dimension', () => {
    expect(inferInputs(json({ id: 'x', inputs: [{ name: 't', shape: [2], datatype: 'BYTES', data: ['a', 'b'] }] }), 't')).toEqual({ inputs: [{ json: 'a' }, { json: 'b' }], id: 'x' });
    const pixels = inferInputs(json({ inputs: [{ name: 'image', shape: [2, 2], datatype: 'UINT8', data: [[1, 2], [3, 4]] }] }), 'image');
    expect(pixels.inputs).toEqual([{ json: [1, 2] }, { json: [3, 4] }]);
  });

  test('shape and data must agree; one input tensor', () => {
    expect(rejection(() => inferInputs(json({ inputs: [{ name: 't', shape: [3], datatype: 'BYTES', data: ['a'] }] }), 't')).message).toBe('"data" has 1 values, but shape [3] needs 3');
    expect(rejection(() => inferInputs(json({ inputs: [] }), 't')).message).toBe('the model takes one input tensor ("t"), got 0');
    expect(rejection(() => inferInputs({ contentType: 'text/plain', bytes: Buffer.from('') }, 't')).status).toBe(415);
  });
});
