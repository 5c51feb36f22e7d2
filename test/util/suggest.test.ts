import { closest, editDistance } from '../../src/util/suggest.js';

describe('closest', () => {
  test('a typo within a third of the length; a swapped pair is one edit', () => {
    expect(editDistance('trian', 'train')).toBe(1);
    expect(closest('trian', ['train', 'prepare'])).toBe('train');
    expect(closest('exp', ['help', 'push'])).toBeUndefined();
    expect(closest('config', ['commit'])).toBeUndefined();
  });
});
