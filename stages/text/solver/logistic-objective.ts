/**
 * The objective scikit-learn's `LogisticRegression(solver='lbfgs')` minimises, on a CSR matrix of
 * n rows, scaled as scikit-learn ≥ 1.4 scales it (PR #26721):
 *
 *   f(W, b) = (1/n) Σ_i loss(x_i·W + b, y_i) + ‖W‖² / (2Cn)   (the intercept b is not penalised)
 *
 * That is the classic Σ loss + ‖W‖²/(2C) divided by n: the same minimiser, but the stopping rule
 * (the largest gradient component ≤ tol) then means the same on 500 rows as on 50,000. On the
 * summed form, tol = 1e-4 asks n times more of a large set, and L-BFGS ran out of `max_iter`
 * where scikit-learn had converged.
 *
 * - multinomial (≥ 3 classes): loss = −log softmax(z)_y, one weight column per class;
 * - binary (2 classes): scikit-learn fits one logistic model for the second class
 *   (`multi_class='auto'` → one-vs-rest), loss = log(1 + e^{−s·z}) with s = ±1. (A 2-class
 *   softmax with the same C would be a different model: its penalty is half as strong.)
 *
 * Parameter vector layout: W row-major by feature (`x[j·K + k]`, so one document's non-zeros
 * touch contiguous K-blocks), then the K intercepts. One evaluation is two passes over the
 * non-zeros — Z = X·W (gather), then ∇W = Xᵀ·(P − Y) (scatter) — both O(nnz·K) in the
 * LinearAlgebra kernels, with the per-row softmax in between on the small n×K matrix Z.
 */
import type { CsrMatrix } from './csr.js';
import type { ValueAndGradient } from './lbfgs.js';
import { jsAlgebra, type LinearAlgebra } from './linear-algebra.js';

export interface LogisticProblem {
  /** In `algebra`'s memory (see placeMatrix). */
  X: CsrMatrix;
  /** Class index of each row, in [0, nClasses). */
  y: Int32Array;
  nClasses: number;
  C: number;
  fitIntercept: boolean;
}

/** Weight columns: 1 for a binary problem, one per class otherwise. */
export function weightColumns(nClasses: number): number {
  return nClasses === 2 ? 1 : nClasses;
}

export function parameterCount(problem: { X: { cols: number }; nClasses: number; fitIntercept: boolean }): number {
  const K = weightColumns(problem.nClasses);
  return problem.X.cols * K + (problem.fitIntercept ? K : 0);
}

/** Float64 scratch the objective allocates from the algebra (for sizing an arena). */
export function objectiveScratchLength(rows: number, nClasses: number): number {
  return rows * weightColumns(nClasses);
}

/**
 * f and ∇f of the problem; x and gradient must be `algebra` arrays of length parameterCount.
 */
export function logisticObjective(problem: LogisticProblem, algebra: LinearAlgebra = jsAlgebra): ValueAndGradient {
  const { X, y, C, fitIntercept } = problem;
  const K = weightColumns(problem.nClasses);
  const weights = X.cols * K;
  const rows = X.rows;
  const inverseN = rows > 0 ? 1 / rows : 1;
  const penalty = inverseN / C;
  // Scores, then (in place) residuals p − onehot(y), one row of K per document.
  const Z = algebra.float64(rows * K);
  const interceptGradient = new Float64Array(K);
  const residuals = K === 1 ? binaryResiduals : softmaxResiduals;
  return (x, g) => {
    if (fitIntercept) for (let i = 0; i < rows; i++) Z.set(x.subarray(weights, weights + K), i * K);
    else Z.fill(0);
    algebra.gather(X, x, K, Z);
    const f = residuals(Z, y, K, interceptGradient, inverseN);
    // Penalty ‖W‖²/(2Cn) and its gradient W/(Cn); the scatter then adds Xᵀ·R/n on top.
    const W = x.subarray(0, weights);
    const squares = algebra.dot(W, W);
    algebra.scaleInto(penalty, W, g.subarray(0, weights));
    algebra.scatter(X, Z, K, g);
    if (fitIntercept) g.set(interceptGradient, weights);
    return f + 0.5 * penalty * squares;
  };
}

/**
 * Multinomial: replaces each row of scores z by (softmax(z) − onehot(label))·scale, adds the rows
 * into `columnSums` (the intercept gradient) and returns scale·Σ −log softmax(z)_label.
 */
function softmaxResiduals(Z: Float64Array, y: Int32Array, K: number, columnSums: Float64Array, scale: number): number {
  columnSums.fill(0);
  let loss = 0;
  for (let i = 0, offset = 0; i < y.length; i++, offset += K) {
    const label = y[i]!;
    let max = Z[offset]!;
    for (let k = 1; k < K; k++) if (Z[offset + k]! > max) max = Z[offset + k]!;
    const labelScore = Z[offset + label]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(Z[offset + k]! - max);
      Z[offset + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) Z[offset + k]! /= sum;
    Z[offset + label]! -= 1;
    for (let k = 0; k < K; k++) {
      Z[offset + k]! *= scale;
      columnSums[k]! += Z[offset + k]!;
    }
    loss += max + Math.log(sum) - labelScore;
  }
  return loss * scale;
}

/**
 * Binary (label 1 = positive): replaces each score z by (σ(z) − label)·scale, sums those into
 * `columnSums[0]` and returns scale·Σ log(1 + e^{−m}) with margin m = ±z — one exp and one log1p
 * a row, without overflow for large |z|.
 */
function binaryResiduals(Z: Float64Array, y: Int32Array, _K: number, columnSums: Float64Array, scale: number): number {
  let loss = 0;
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const z = Z[i]!;
    const label = y[i]!;
    const e = Math.exp(-Math.abs(z));
    const p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    const margin = label === 1 ? z : -z;
    loss += Math.log1p(e) + (margin < 0 ? -margin : 0);
    const residual = (p - label) * scale;
    Z[i] = residual;
    sum += residual;
  }
  columnSums[0] = sum;
  return loss * scale;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
