/** The drift statistics against values scipy 1.10 and scikit-learn 1.2 compute for the same inputs. */
import { Random } from '../../stages/common/random.js';
import { chiSquare, chiSquareSurvival, expectedCounts, ksTwoSample, mmdPermutationTest, percentile, psi, rocAuc } from '../../src/monitor/statistics.js';

/** Standard normal draws (Box–Muller) from the seeded stream. */
function normals(random: Random, n: number, shift = 0): Float64Array {
  return Float64Array.from({ length: n }, () => shift + Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next()));
}

describe('ksTwoSample', () => {
  test('D and a p-value near scipy.stats.ks_2samp', () => {
    const a = [0.1, 0.4, 0.35, 0.8, 0.9, 1.2, 1.5, 0.3, 0.2, 0.05, 0.6, 0.7];
    const b = [0.5, 1.1, 1.3, 1.9, 2.2, 0.9, 1.6, 1.7, 2.5, 1.0];
    const result = ksTwoSample(a, b);
    expect(result.statistic).toBeCloseTo(0.65, 12);
    // scipy: 0.0105 (exact), 0.0138 (asymptotic without the small-sample correction).
    expect(result.p_value).toBeGreaterThan(0.008);
    expect(result.p_value).toBeLessThan(0.014);
  });

  test('ties count once; identical samples give D = 0, p = 1', () => {
    expect(ksTwoSample([1, 1, 2, 2], [1, 2, 1, 2])).toEqual({ statistic: 0, p_value: 1 });
    expect(ksTwoSample([0, 0, 0], [1, 1, 1]).statistic).toBe(1);
  });

  test('a shift of 0.3 standard deviations is found at a few hundred values, none is not', () => {
    const random = new Random(7);
    const x = normals(random, 400);
    expect(ksTwoSample(x, normals(random, 300)).p_value).toBeGreaterThan(0.05);
    expect(ksTwoSample(x, normals(random, 300, 0.3)).p_value).toBeLessThan(0.01);
  });
});

describe('chiSquare', () => {
  test('statistic and p-value as scipy.stats.chisquare', () => {
    const result = chiSquare([30, 50, 20], [25, 55, 20]);
    expect(result.statistic).toBeCloseTo(1.4545454545, 9);
    expect(result.p_value).toBeCloseTo(0.4832250811898253, 9);
  });

  test('the survival function of χ² as scipy.stats.chi2.sf', () => {
    expect(chiSquareSurvival(12.5, 4)).toBeCloseTo(0.013995792487650894, 12);
    expect(chiSquareSurvival(0.3, 1)).toBeCloseTo(0.583882420770365, 12);
    expect(chiSquareSurvival(40, 10) / 1.694474393006737e-5).toBeCloseTo(1, 8);
  });

  test('expected counts follow the reference shares; a category the reference never had stays finite', () => {
    expect(expectedCounts([60, 40], 50)).toEqual([30, 20]);
    const expected = expectedCounts([100, 0], 100);
    expect(Number.isFinite(chiSquare([50, 50], expected).statistic)).toBe(true);
    expect(chiSquare([50, 50], expected).p_value).toBeLessThan(1e-6);
  });
});

describe('psi', () => {
  test('0 for equal shares, Σ (p − q) ln(p/q) otherwise, zero shares as 0.0001', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 12);
    expect(psi([50, 50], [80, 20])).toBeCloseTo((0.5 - 0.8) * Math.log(0.5 / 0.8) + (0.5 - 0.2) * Math.log(0.5 / 0.2), 12);
    expect(psi([100, 0], [50, 50])).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5) + (0.0001 - 0.5) * Math.log(0.0001 / 0.5), 12);
  });
});

describe('rocAuc', () => {
  test('ties count half, as sklearn.metrics.roc_auc_score', () => {
    expect(rocAuc([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4])).toBeCloseTo(0.6666666666666667, 12);
    expect(rocAuc([0, 1], [0.2, 0.9])).toBe(1);
    expect(rocAuc([0, 1], [0.9, 0.2])).toBe(0);
    expect(() => rocAuc([1, 1], [0.1, 0.2])).toThrow(RangeError);
  });
});

describe('percentile', () => {
  test('linear interpolation, as numpy.percentile', () => {
    expect(percentile([3, 1, 4, 1, 5, 9, 2, 6], 95)).toBeCloseTo(7.95, 12);
    expect(percentile([5], 50)).toBe(5);
  });
});

describe('mmdPermutationTest', () => {
  const dimension = 5;
  const rows = (random: Random, n: number, shift: number): Float64Array => normals(random, n * dimension, shift);

  test('samples of one distribution: p above 0.05; a shifted one: p = 0', () => {
    const random = new Random(3);
    const x = rows(random, 120, 0);
    const same = mmdPermutationTest(x, rows(random, 100, 0), dimension, { random: random.next });
    expect(same.p_value).toBeGreaterThan(0.05);
    expect(same.permutations).toBe(100);
    const shifted = mmdPermutationTest(x, rows(random, 100, 0.5), dimension, { random: random.next });
    expect(shifted.p_value).toBe(0);
    expect(shifted.statistic).toBeGreaterThan(same.statistic);
  });

  test('σ is the median heuristic: √(median squared distance / 2)', () => {
    // Points 0, 1, 3, 6 on a line: squared distances 1, 9, 36, 4, 25, 9 → median (lower) 9.
    const result = mmdPermutationTest(Float64Array.from([0, 1]), Float64Array.from([3, 6]), 1, { random: new Random(1).next, permutations: 10 });
    expect(result.sigma).toBeCloseTo(Math.sqrt(9 / 2), 12);
  });

  test('the same seed gives the same p-value', () => {
    const random = new Random(5);
    const x = rows(random, 50, 0);
    const y = rows(random, 50, 0.2);
    const a = mmdPermutationTest(x, y, dimension, { random: new Random(9).next });
    const b = mmdPermutationTest(x, y, dimension, { random: new Random(9).next });
    expect(a).toEqual(b);
  });
});
