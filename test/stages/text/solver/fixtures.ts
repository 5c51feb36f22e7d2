/** Small deterministic sparse problems for the solver tests. */
import type { CsrMatrix } from '../../../../stages/text/solver/csr.js';
import { mulberry32 } from '../../../../stages/common/random.js';

/** A random CSR matrix with about `density` of its entries set, values in (0, 1]. */
export function randomCsr(rows: number, cols: number, density: number, seed: number): CsrMatrix {
  const random = mulberry32(seed);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (random() < density) {
        indices.push(j);
        data.push(1 - random());
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(indices), data: Float64Array.from(data) };
}

export function randomLabels(rows: number, classes: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  // Every class at least once, then random.
  return Int32Array.from({ length: rows }, (_, i) => (i < classes ? i : Math.floor(random() * classes)));
}

export function randomVector(length: number, seed: number, scale = 1): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from({ length }, () => (random() * 2 - 1) * scale);
}
