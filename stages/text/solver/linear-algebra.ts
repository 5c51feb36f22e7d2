/**
 * The loops the solver spends its time in, behind one interface with two implementations:
 *
 * - `wasm`: kernels/kernels.wat compiled to WebAssembly SIMD, ~4× faster than V8's scalar code.
 *   Arrays must live in its linear memory, so the caller sizes an arena up front
 *   (`createWasmAlgebra(bytes)`) and allocates every vector the kernels touch from it.
 * - `js`: the same loops in TypeScript, used when the arena cannot be had (a problem needing
 *   more than wasm32's 4 GiB, or no WebAssembly) and as the reference the wasm kernels are
 *   tested against.
 *
 * Both perform the same float64 operations in the same order, so results are bit-identical.
 */
import type { CsrMatrix, CsrStorage } from './csr.js';
import { KERNELS_WASM_BASE64 } from './kernels/kernels-wasm.js';

export interface LinearAlgebra {
  readonly name: 'wasm' | 'js';
  /** A zeroed array the kernels can use. */
  float64(length: number): Float64Array;
  int32(length: number): Int32Array;
  /** Whether `array` lives in this algebra's memory already (a wasm arena; never for plain JS). */
  owns(array: Float64Array | Int32Array): boolean;
  /** Z[i·K + k] += Σ_p X[i, j_p] · W[j_p·K + k]   (Z = X·W, added) */
  gather(X: CsrMatrix, W: Float64Array, K: number, Z: Float64Array): void;
  /** G[j·K + k] += Σ_i X[i, j] · R[i·K + k]        (G = Xᵀ·R, added) */
  scatter(X: CsrMatrix, R: Float64Array, K: number, G: Float64Array): void;
  dot(a: Float64Array, b: Float64Array): number;
  /** y += alpha · x */
  axpy(alpha: number, x: Float64Array, y: Float64Array): void;
  /** y = alpha · x (y may be x) */
  scaleInto(alpha: number, x: Float64Array, y: Float64Array): void;
  /** max_i |x_i| */
  maxAbs(x: Float64Array): number;
}

export const jsAlgebra: LinearAlgebra = {
  name: 'js',
  float64: (length) => new Float64Array(length),
  int32: (length) => new Int32Array(length),
  owns: () => false,

  gather(X, W, K, Z) {
    const { indptr, indices, data } = X;
    for (let i = 0; i < X.rows; i++) {
      const row = i * K;
      for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
        const base = indices[p]! * K;
        const v = data[p]!;
        for (let k = 0; k < K; k++) Z[row + k]! += v * W[base + k]!;
      }
    }
  },

  scatter(X, R, K, G) {
    const { indptr, indices, data } = X;
    for (let i = 0; i < X.rows; i++) {
      const row = i * K;
      for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
        const base = indices[p]! * K;
        const v = data[p]!;
        for (let k = 0; k < K; k++) G[base + k]! += v * R[row + k]!;
      }
    }
  },

  dot(a, b) {
    // Four partial sums, combined like the wasm kernel's two f64x2 accumulators.
    const n = a.length;
    const end = n & ~3;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < end; i += 4) {
      s0 += a[i]! * b[i]!;
      s1 += a[i + 1]! * b[i + 1]!;
      s2 += a[i + 2]! * b[i + 2]!;
      s3 += a[i + 3]! * b[i + 3]!;
    }
    let sum = s0 + s2 + (s1 + s3);
    for (let i = end; i < n; i++) sum += a[i]! * b[i]!;
    return sum;
  },

  axpy(alpha, x, y) {
    for (let i = 0; i < x.length; i++) y[i]! += alpha * x[i]!;
  },

  scaleInto(alpha, x, y) {
    for (let i = 0; i < x.length; i++) y[i] = alpha * x[i]!;
  },

  maxAbs(x) {
    let max = 0;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]!));
    return max;
  },
};

interface KernelExports {
  gather(rows: number, indptr: number, indices: number, data: number, w: number, K: number, z: number): void;
  scatter(rows: number, indptr: number, indices: number, data: number, r: number, K: number, g: number): void;
  dot(n: number, a: number, b: number): number;
  axpy(n: number, alpha: number, x: number, y: number): void;
  scale_into(n: number, alpha: number, x: number, y: number): void;
  max_abs(n: number, x: number): number;
  gather1(rows: number, indptr: number, indices: number, data: number, w: number, z: number): void;
  scatter1(rows: number, indptr: number, indices: number, data: number, r: number, g: number): void;
}

/**
 * The slice of the WebAssembly JS API we use. Typed here because the project compiles against
 * ES2023 + Node types only, which do not declare the (DOM-defined) `WebAssembly` global.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      if (wasmApi === undefined) throw new Error('no WebAssembly');
      compiled = new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JS kernels do the work
    }
  }
  return compiled;
}

const PAGE = 65536;
const MAX_BYTES = 65536 * PAGE; // wasm32 addresses at most 4 GiB
const ALIGN = 16;

/** Arena bytes needed for arrays of these element counts. */
export function arenaBytes(float64Lengths: readonly number[], int32Lengths: readonly number[] = []): number {
  const size = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;
  return (
    float64Lengths.reduce((sum, n) => sum + size(n * 8), 0) + int32Lengths.reduce((sum, n) => sum + size(n * 4), 0)
  );
}

/** A wasm-backed algebra with an arena of `bytes`, or undefined if that cannot be had. */
export function createWasmAlgebra(bytes: number): LinearAlgebra | undefined {
  const module = kernelModule();
  if (module === null || wasmApi === undefined || bytes > MAX_BYTES) return undefined;
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  let memory: WasmMemory;
  try {
    memory = new wasmApi.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined; // address space refused: fall back to JS
  }
  const kernels = new wasmApi.Instance(module, { env: { memory } }).exports as KernelExports;
  let next = 0;
  const reserve = (byteLength: number): number => {
    const offset = next;
    next += Math.ceil(byteLength / ALIGN) * ALIGN;
    if (next > memory.buffer.byteLength) throw new Error('wasm arena too small (caller sized it wrong)');
    return offset;
  };
  const at = (array: Float64Array | Int32Array): number => {
    if (array.buffer !== memory.buffer) throw new Error('array is not in the wasm arena');
    return array.byteOffset;
  };
  return {
    name: 'wasm',
    float64: (length) => new Float64Array(memory.buffer, reserve(length * 8), length),
    int32: (length) => new Int32Array(memory.buffer, reserve(length * 4), length),
    owns: (array) => array.buffer === memory.buffer,
    // K = 1 (binary problems) has its own tighter loops.
    gather: (X, W, K, Z) =>
      K === 1
        ? kernels.gather1(X.rows, at(X.indptr), at(X.indices), at(X.data), at(W), at(Z))
        : kernels.gather(X.rows, at(X.indptr), at(X.indices), at(X.data), at(W), K, at(Z)),
    scatter: (X, R, K, G) =>
      K === 1
        ? kernels.scatter1(X.rows, at(X.indptr), at(X.indices), at(X.data), at(R), at(G))
        : kernels.scatter(X.rows, at(X.indptr), at(X.indices), at(X.data), at(R), K, at(G)),
    dot: (a, b) => kernels.dot(a.length, at(a), at(b)),
    axpy: (alpha, x, y) => kernels.axpy(x.length, alpha, at(x), at(y)),
    scaleInto: (alpha, x, y) => kernels.scale_into(x.length, alpha, at(x), at(y)),
    maxAbs: (x) => kernels.max_abs(x.length, at(x)),
  };
}

/** Bytes a CSR matrix takes in an arena. */
export function matrixArenaBytes(X: { rows: number; data: { length: number } }): number {
  return arenaBytes([X.data.length], [X.rows + 1, X.data.length]);
}

/** Allocates a matrix's arrays in the algebra's memory (see CsrStorage). */
export function algebraCsrStorage(algebra: LinearAlgebra): CsrStorage {
  return (rows, _cols, nnz) => {
    const indptr = algebra.int32(rows + 1);
    const indices = algebra.int32(nnz);
    const data = algebra.float64(nnz);
    return { indptr, indices, data };
  };
}

/** Copies X into the algebra's memory (a no-op for the JS algebra, or when X is there already). */
export function placeMatrix(algebra: LinearAlgebra, X: CsrMatrix): CsrMatrix {
  if (algebra.name === 'js' || (algebra.owns(X.indptr) && algebra.owns(X.indices) && algebra.owns(X.data))) return X;
  const indptr = algebra.int32(X.indptr.length);
  indptr.set(X.indptr);
  const indices = algebra.int32(X.indices.length);
  indices.set(X.indices);
  const data = algebra.float64(X.data.length);
  data.set(X.data);
  return { rows: X.rows, cols: X.cols, indptr, indices, data };
}
