import { arenaBytes, createWasmAlgebra, matrixArenaBytes, placeMatrix } from '../../../../stages/text/solver/linear-algebra.js';
import {
  logisticObjective,
  objectiveScratchLength,
  parameterCount,
  type LogisticProblem,
} from '../../../../stages/text/solver/logistic-objective.js';
import { randomCsr, randomLabels, randomVector } from './fixtures.js';

const cases: [string, number, boolean][] = [
  ['multinomial, 3 classes, intercept', 3, true],
  ['multinomial, 4 classes, no intercept', 4, false],
  ['binary, intercept', 2, true],
  ['binary, no intercept', 2, false],
];

describe('logistic objective', () => {
  test.each(cases)('gradient matches central differences: %s', (_name, nClasses, fitIntercept) => {
    const X = randomCsr(40, 15, 0.3, nClasses);
    const problem: LogisticProblem = { X, y: randomLabels(40, nClasses, 9), nClasses, C: 0.7, fitIntercept };
    const fg = logisticObjective(problem);
    const n = parameterCount(problem);
    const x = randomVector(n, 11, 0.8);
    const g = new Float64Array(n);
    fg(x, g);
    const scratch = new Float64Array(n);
    const h = 1e-6;
    for (let i = 0; i < n; i++) {
      const plus = x.slice();
      plus[i]! += h;
      const minus = x.slice();
      minus[i]! -= h;
      const numeric = (fg(plus, scratch) - fg(minus, scratch)) / (2 * h);
      expect(Math.abs(numeric - g[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    }
  });

  test('value by hand: one document, two classes, zero weights → log 2; penalty excludes intercepts', () => {
    const X = { rows: 1, cols: 1, indptr: Int32Array.from([0, 1]), indices: Int32Array.from([0]), data: Float64Array.from([1]) };
    const fg = logisticObjective({ X, y: Int32Array.from([1]), nClasses: 2, C: 0.5, fitIntercept: true });
    const g = new Float64Array(2);
    expect(fg(Float64Array.from([0, 0]), g)).toBeCloseTo(Math.log(2), 15);
    expect(Array.from(g)).toEqual([-0.5, -0.5]); // σ(0) − 1 for the weight and the intercept
    // w = 2, b = 3: loss log(1 + e^{-5}) + w²/(2C) = log1p(e^{-5}) + 4
    expect(fg(Float64Array.from([2, 3]), g)).toBeCloseTo(Math.log1p(Math.exp(-5)) + 4, 14);
  });

  test('the mean loss, and the penalty divided by n too (scikit-learn ≥ 1.4): tol means the same for any n', () => {
    const X = { rows: 2, cols: 1, indptr: Int32Array.from([0, 1, 2]), indices: Int32Array.from([0, 0]), data: Float64Array.from([1, 1]) };
    const fg = logisticObjective({ X, y: Int32Array.from([1, 1]), nClasses: 2, C: 0.5, fitIntercept: true });
    const g = new Float64Array(2);
    // Two copies of the one-row problem above: (2·log1p(e^{-5}))/2 + w²/(2·C·2) = log1p(e^{-5}) + 2.
    expect(fg(Float64Array.from([2, 3]), g)).toBeCloseTo(Math.log1p(Math.exp(-5)) + 2, 14);
    const residual = 1 / (1 + Math.exp(-5)) - 1;
    expect(g[0]).toBeCloseTo(residual + 2 / (0.5 * 2), 14); // mean residual + w/(Cn)
    expect(g[1]).toBeCloseTo(residual, 14);
  });

  test('no overflow for huge scores', () => {
    const X = { rows: 2, cols: 1, indptr: Int32Array.from([0, 1, 2]), indices: Int32Array.from([0, 0]), data: Float64Array.from([1, 1]) };
    const binary = logisticObjective({ X, y: Int32Array.from([1, 0]), nClasses: 2, C: 1e18, fitIntercept: false });
    const g = new Float64Array(1);
    // z = 1000 for both rows: the positive row costs ~0, the negative one ~1000; the mean is 500.
    expect(binary(Float64Array.from([1000]), g)).toBeCloseTo(500, 6);
    expect(g[0]).toBeCloseTo(0.5, 9); // ((σ(1000) − 1) + (σ(1000) − 0)) / 2
    const multi = logisticObjective({ X, y: Int32Array.from([0, 2]), nClasses: 3, C: 1e18, fitIntercept: false });
    const g3 = new Float64Array(3);
    expect(multi(Float64Array.from([800, -800, 0]), g3)).toBeCloseTo(400, 6); // row 1 (label 0) costs ~0, row 2 (label 2) 800 − 0: mean 400
    expect(Array.from(g3).every(Number.isFinite)).toBe(true);
  });

  test.each(cases)('wasm and JS kernels give bit-identical values and gradients: %s', (_name, nClasses, fitIntercept) => {
    const X = randomCsr(60, 30, 0.25, 3);
    const problem: LogisticProblem = { X, y: randomLabels(60, nClasses, 4), nClasses, C: 2, fitIntercept };
    const n = parameterCount(problem);
    const wasm = createWasmAlgebra(matrixArenaBytes(X) + arenaBytes([n, n, objectiveScratchLength(60, nClasses)]))!;
    const x = wasm.float64(n);
    x.set(randomVector(n, 8));
    const g = wasm.float64(n);
    const fWasm = logisticObjective({ ...problem, X: placeMatrix(wasm, X) }, wasm)(x, g);
    const gJs = new Float64Array(n);
    const fJs = logisticObjective(problem)(x.slice(), gJs);
    expect(fWasm).toBe(fJs);
    expect(Array.from(g)).toEqual(Array.from(gJs));
  });
});
