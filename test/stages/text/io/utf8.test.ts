import { decodeUtf8Strict, firstInvalidUtf8Offset, InvalidUtf8Error } from '../../../../stages/text/io/utf8.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('strict UTF-8', () => {
  test('decodes valid text and drops a leading BOM', () => {
    expect(decodeUtf8Strict(Buffer.from('\uFEFFnaïve 日本 😀', 'utf8'))).toBe('naïve 日本 😀');
  });

  test('reports the offset and line of the first invalid byte', () => {
    const data = Buffer.concat([Buffer.from('text,label\nok,a\ncaf'), bytes(0xe9), Buffer.from(',b\n')]);
    expect(() => decodeUtf8Strict(data)).toThrow(InvalidUtf8Error);
    try {
      decodeUtf8Strict(data);
    } catch (error) {
      const e = error as InvalidUtf8Error;
      expect(e.offset).toBe(19);
      expect(e.line).toBe(3);
      expect(e.byte).toBe(0xe9);
    }
  });

  test.each([
    ['lone continuation byte', bytes(0x61, 0x80), 1],
    ['overlong encoding of "/"', bytes(0xc0, 0xaf), 0],
    ['UTF-16 surrogate', bytes(0xed, 0xa0, 0x80), 0],
    ['truncated sequence', bytes(0x61, 0xe6, 0x97), 1],
    ['above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['valid 4-byte sequence', bytes(0xf0, 0x9f, 0x98, 0x80), -1],
  ])('%s', (_name, data, offset) => {
    expect(firstInvalidUtf8Offset(data)).toBe(offset);
  });
});
