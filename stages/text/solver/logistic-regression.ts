/**
 * L2-regularised (multinomial) logistic regression on sparse TF-IDF features.
 *
 * Why our own solver and not the `ml-logistic-regression` package: it works on dense matrices
 * (a 5,000 × 20,000 TF-IDF matrix is 800 MB dense, and 50,000 × 150,000 would be 60 GB), has no
 * intercept, no regularisation (so weights of separable text data grow without bound) and no
 * convergence test (it runs a fixed number of gradient steps); measured here it needed 1.8 GB
 * and hours where scikit-learn takes seconds. What text classification needs is small: the
 * objective in logistic-objective.ts evaluated in O(non-zeros × classes) on CSR, and L-BFGS
 * (lbfgs.ts) — the solver scikit-learn uses by default, with the same stopping rules.
 */
import type { CsrMatrix } from './csr.js';
import { lbfgsVectorCount, minimizeLbfgs, type LbfgsStopReason } from './lbfgs.js';
import {
  arenaBytes,
  createWasmAlgebra,
  jsAlgebra,
  matrixArenaBytes,
  placeMatrix,
  type LinearAlgebra,
} from './linear-algebra.js';
import {
  logisticObjective,
  objectiveScratchLength,
  parameterCount,
  sigmoid,
  weightColumns,
} from './logistic-objective.js';
import type { LogregParams } from '../params.js';

export interface LogisticModel {
  nFeatures: number;
  nClasses: number;
  /** 1 for binary problems (scores of class 1), nClasses otherwise. */
  columns: number;
  /** Feature-major weights: coef[j·columns + k]. */
  coef: Float64Array;
  intercept: Float64Array;
}

export interface FitInfo {
  /** Which kernels ran (results are identical either way). */
  kernels: LinearAlgebra['name'];
  iterations: number;
  evaluations: number;
  converged: boolean;
  stopReason: LbfgsStopReason;
  /** Objective value at the solution: mean log-loss + ‖W‖²/(2Cn), as scikit-learn ≥ 1.4 reports it. */
  loss: number;
  gradientMax: number;
}

/**
 * The algebra a fit of a rows × cols matrix with `nnz` non-zeros runs in: a wasm arena sized for
 * the matrix, the L-BFGS vectors and the objective's scratch (plain JS when it cannot be had).
 * Allocate the matrix in it (`algebraCsrStorage`) and pass it to `fitLogisticRegression`, and the
 * matrix is never copied.
 */
export function solverAlgebra(shape: { rows: number; cols: number; nnz: number }, nClasses: number, fitIntercept: boolean): LinearAlgebra {
  const dimension = parameterCount({ X: shape, nClasses, fitIntercept });
  const vectors = new Array<number>(lbfgsVectorCount()).fill(dimension);
  const bytes = matrixArenaBytes({ rows: shape.rows, data: { length: shape.nnz } }) + arenaBytes([...vectors, objectiveScratchLength(shape.rows, nClasses)]);
  return createWasmAlgebra(bytes) ?? jsAlgebra;
}

export function fitLogisticRegression(
  X: CsrMatrix,
  y: Int32Array,
  nClasses: number,
  params: LogregParams,
  options: { algebra?: LinearAlgebra; onIteration?: (iteration: number, loss: number) => void } = {},
): { model: LogisticModel; info: FitInfo } {
  if (nClasses < 2) throw new Error('logistic regression needs at least two classes');
  const columns = weightColumns(nClasses);
  const dimension = parameterCount({ X, nClasses, fitIntercept: params.fitIntercept });
  const algebra = options.algebra ?? solverAlgebra({ rows: X.rows, cols: X.cols, nnz: X.data.length }, nClasses, params.fitIntercept);
  const problem = { X: placeMatrix(algebra, X), y, nClasses, C: params.C, fitIntercept: params.fitIntercept };
  const result = minimizeLbfgs(logisticObjective(problem, algebra), new Float64Array(dimension), {
    maxIterations: params.maxIter,
    gtol: params.tol,
    algebra,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  });
  const weights = X.cols * columns;
  const model: LogisticModel = {
    nFeatures: X.cols,
    nClasses,
    columns,
    coef: result.x.slice(0, weights),
    intercept: params.fitIntercept ? result.x.slice(weights) : new Float64Array(columns),
  };
  return {
    model,
    info: {
      kernels: algebra.name,
      iterations: result.iterations,
      evaluations: result.evaluations,
      converged: result.converged,
      stopReason: result.reason,
      loss: result.f,
      gradientMax: result.gradientMax,
    },
  };
}

/** Class probabilities, row-major (rows × nClasses). */
export function predictProbabilities(model: LogisticModel, X: CsrMatrix): Float64Array {
  if (X.cols !== model.nFeatures) {
    throw new Error(`matrix has ${X.cols} columns but the model has ${model.nFeatures} features`);
  }
  const { indptr, indices, data } = X;
  const K = model.columns;
  const out = new Float64Array(X.rows * model.nClasses);
  const z = new Float64Array(K);
  for (let i = 0; i < X.rows; i++) {
    z.set(model.intercept);
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const base = indices[p]! * K;
      const v = data[p]!;
      for (let k = 0; k < K; k++) z[k]! += v * model.coef[base + k]!;
    }
    const row = i * model.nClasses;
    if (K === 1) {
      const p1 = sigmoid(z[0]!);
      out[row] = 1 - p1;
      out[row + 1] = p1;
      continue;
    }
    let max = z[0]!;
    for (let k = 1; k < K; k++) if (z[k]! > max) max = z[k]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(z[k]! - max);
      out[row + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) out[row + k]! /= sum;
  }
  return out;
}

/** Index of the most probable class per row (first one on ties, like numpy's argmax). */
export function argmaxRows(probabilities: Float64Array, nClasses: number): Int32Array {
  const rows = probabilities.length / nClasses;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let k = 1; k < nClasses; k++) {
      if (probabilities[i * nClasses + k]! > probabilities[i * nClasses + best]!) best = k;
    }
    out[i] = best;
  }
  return out;
}
