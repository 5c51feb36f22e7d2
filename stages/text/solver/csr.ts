/**
 * Compressed sparse row matrix: the only matrix type the trainer needs. A TF-IDF matrix is
 * >99% zeros (each document uses a few hundred of tens of thousands of terms), so everything is
 * stored and computed in O(non-zeros): 12 bytes an entry (int32 column + float64 value).
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows + 1 offsets into `indices`/`data`; row i is [indptr[i], indptr[i+1]). */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float64Array;
}

/**
 * Where a matrix's arrays are allocated, given its shape: the vectorizer writes the training
 * matrix straight into the solver's wasm arena this way, instead of building it on the JS heap
 * and copying it (which held it twice: 12 bytes a non-zero more at the peak). The arrays must
 * come zeroed.
 */
export type CsrStorage = (rows: number, cols: number, nnz: number) => Pick<CsrMatrix, 'indptr' | 'indices' | 'data'>;

/** Plain typed arrays on the JS heap. */
export const heapCsrStorage: CsrStorage = (rows, _cols, nnz) => ({
  indptr: new Int32Array(rows + 1),
  indices: new Int32Array(nnz),
  data: new Float64Array(nnz),
});

/** Dense copy (tests only). */
export function csrToDense(matrix: CsrMatrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < matrix.rows; i++) {
    const row = new Array<number>(matrix.cols).fill(0);
    for (let p = matrix.indptr[i]!; p < matrix.indptr[i + 1]!; p++) row[matrix.indices[p]!] = matrix.data[p]!;
    out.push(row);
  }
  return out;
}
