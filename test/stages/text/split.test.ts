import { SplitError, stratifiedSplit, testRowCount } from '../../../stages/text/split.js';

const labels = [...Array<string>(80).fill('ham'), ...Array<string>(15).fill('spam'), ...Array<string>(5).fill('eggs')];

describe('stratifiedSplit', () => {
  test('keeps class proportions, n_test = ceil(test_size · n), disjoint and complete', () => {
    const { train, test } = stratifiedSplit(labels, 0.2, 42);
    expect(test).toHaveLength(20);
    expect(train).toHaveLength(80);
    const count = (rows: number[], label: string): number => rows.filter((r) => labels[r] === label).length;
    expect([count(test, 'ham'), count(test, 'spam'), count(test, 'eggs')]).toEqual([16, 3, 1]);
    expect(new Set([...train, ...test]).size).toBe(100);
    expect(train).toEqual([...train].sort((a, b) => a - b));
  });

  test('deterministic for a seed, different for another seed', () => {
    expect(stratifiedSplit(labels, 0.2, 42)).toEqual(stratifiedSplit(labels, 0.2, 42));
    expect(stratifiedSplit(labels, 0.2, 7).test).not.toEqual(stratifiedSplit(labels, 0.2, 42).test);
  });

  test('test_size ≥ 1 is a row count; rounding follows largest remainders', () => {
    expect(testRowCount(101, 0.2)).toBe(21);
    expect(testRowCount(100, 30)).toBe(30);
    expect(stratifiedSplit(labels, 30, 1).test).toHaveLength(30);
  });

  test('every class keeps at least one training row', () => {
    const few = ['a', 'a', ...Array<string>(8).fill('b')];
    const { train, test } = stratifiedSplit(few, 0.7, 3);
    expect(test).toHaveLength(7);
    expect(train.filter((r) => few[r] === 'a')).toHaveLength(1);
  });

  test('a class with a single row cannot be stratified', () => {
    expect(() => stratifiedSplit(['a', 'a', 'b', 'a'], 0.25, 1)).toThrow(SplitError);
    try {
      stratifiedSplit(['a', 'a', 'b', 'a'], 0.25, 1);
    } catch (error) {
      expect((error as SplitError).index).toBe(2);
      expect((error as SplitError).label).toBe('b');
    }
  });

  test('a test set smaller than the number of classes is refused', () => {
    expect(() => stratifiedSplit(['a', 'a', 'b', 'b', 'c', 'c'], 1, 1)).toThrow(/at least one row per class/);
  });
});
