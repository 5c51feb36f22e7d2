/** Where invalid JSON goes wrong: the offset behind "invalid JSON" errors' line:column. */
import { PipelineError } from '../../src/errors.js';
import { jsonErrorOffset, parseJsonLocated } from '../../src/util/json-text.js';

describe('jsonErrorOffset', () => {
  test.each([
    ['{"a": }', 6],
    ['{"a": 1,}', 8],
    ['{\n "a": 1\n "b": 2}', 11],
    ['{"a": 1', 7],
    ['', 0],
    ['[1, tru]', 7],
    ['{"a": "x\\q"}', 9],
    ['{"a": 01}', 7],
    ['{"a": [1, 2]} x', 14],
  ])('%j fails at %i', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  test('valid JSON has no error offset before its end', () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {}}';
    expect(jsonErrorOffset(text)).toBe(text.length);
  });

  test('parseJsonLocated locates the error and drops V8\'s quote of the text', () => {
    let caught: unknown;
    try {
      parseJsonLocated('{\n  "lr": 0.1,\n  "epochs": \n}\n', 'p.json', 'fix it');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PipelineError);
    expect((caught as PipelineError).message).toBe("p.json:4:1: invalid JSON: Unexpected token '}'");
    expect((caught as PipelineError).hint).toBe('fix it');
  });
});
