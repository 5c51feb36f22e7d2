import { InvalidArgumentError } from 'commander';
import { parsePositiveInt } from '../../src/cli/options.js';

test('positive integers: whole numbers from 1', () => {
  expect(parsePositiveInt('1')).toBe(1);
  expect(parsePositiveInt('16')).toBe(16);
  for (const bad of ['0', '-2', '1.5', 'many', '']) {
    expect(() => parsePositiveInt(bad)).toThrow(InvalidArgumentError);
  }
  expect(() => parsePositiveInt('x')).toThrow("expected a positive integer, got 'x'");
});
