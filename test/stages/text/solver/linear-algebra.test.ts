import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  arenaBytes,
  createWasmAlgebra,
  jsAlgebra,
  matrixArenaBytes,
  placeMatrix,
} from '../../../../stages/text/solver/linear-algebra.js';
import { randomCsr, randomVector } from './fixtures.js';

const kernelsDir = path.resolve(import.meta.dirname, '../../../../stages/text/solver/kernels');

describe('wasm kernels are bit-identical to the JS ones', () => {
  test.each([1, 2, 3, 5, 20])('gather and scatter with K = %i', (K) => {
    const X = randomCsr(37, 53, 0.2, K);
    const wasm = createWasmAlgebra(matrixArenaBytes(X) + arenaBytes([53 * K, 37 * K, 37 * K, 53 * K, 53 * K]))!;
    expect(wasm.name).toBe('wasm');
    const Xw = placeMatrix(wasm, X);
    const W = wasm.float64(53 * K);
    W.set(randomVector(53 * K, 1));
    const Z = wasm.float64(37 * K);
    Z.set(randomVector(37 * K, 2)); // gather adds to what is there
    const zJs = Z.slice();
    wasm.gather(Xw, W, K, Z);
    jsAlgebra.gather(X, W.slice(), K, zJs);
    expect(Array.from(Z)).toEqual(Array.from(zJs));

    const R = wasm.float64(37 * K);
    R.set(randomVector(37 * K, 3));
    const G = wasm.float64(53 * K);
    G.set(randomVector(53 * K, 4));
    const gJs = G.slice();
    wasm.scatter(Xw, R, K, G);
    jsAlgebra.scatter(X, R.slice(), K, gJs);
    expect(Array.from(G)).toEqual(Array.from(gJs));
  });

  test.each([0, 1, 3, 4, 7, 1001])('dot and axpy, length %i', (n) => {
    const wasm = createWasmAlgebra(arenaBytes([n, n, n]))!;
    const a = wasm.float64(n);
    a.set(randomVector(n, 5, 1e3));
    const b = wasm.float64(n);
    b.set(randomVector(n, 6, 1e-3));
    expect(wasm.dot(a, b)).toBe(jsAlgebra.dot(a.slice(), b.slice()));
    const y = b.slice();
    wasm.axpy(-0.37, a, b);
    jsAlgebra.axpy(-0.37, a.slice(), y);
    expect(Array.from(b)).toEqual(Array.from(y));

    const scaled = wasm.float64(n);
    wasm.scaleInto(-2.5, a, scaled);
    const scaledJs = new Float64Array(n);
    jsAlgebra.scaleInto(-2.5, a.slice(), scaledJs);
    expect(Array.from(scaled)).toEqual(Array.from(scaledJs));
    const halfJs = a.slice();
    jsAlgebra.scaleInto(0.5, halfJs, halfJs);
    wasm.scaleInto(0.5, a, a); // in place
    expect(Array.from(a)).toEqual(Array.from(halfJs));
    expect(wasm.maxAbs(b)).toBe(jsAlgebra.maxAbs(b.slice()));
    expect(wasm.maxAbs(b)).toBe(n === 0 ? 0 : Math.max(...Array.from(b, Math.abs)));
  });

  test('dot is a true inner product', () => {
    expect(jsAlgebra.dot(Float64Array.from([1, 2, 3, 4, 5]), Float64Array.from([5, 4, 3, 2, 1]))).toBe(35);
  });

  test('arrays outside the arena are refused, and an over-full arena says so', () => {
    const wasm = createWasmAlgebra(arenaBytes([4]))!;
    expect(() => wasm.dot(new Float64Array(4), new Float64Array(4))).toThrow(/not in the wasm arena/);
    wasm.float64(4);
    expect(() => wasm.float64(70000)).toThrow(/arena too small/);
  });

  test('a problem beyond wasm32 memory falls back (undefined)', () => {
    expect(createWasmAlgebra(5 * 2 ** 30)).toBeUndefined();
  });

  test('the generated kernels-wasm.ts was built from the current kernels.wat', () => {
    const wat = readFileSync(path.join(kernelsDir, 'kernels.wat'));
    const generated = readFileSync(path.join(kernelsDir, 'kernels-wasm.ts'), 'utf8');
    expect(generated).toContain(`sha256 ${createHash('sha256').update(wat).digest('hex')}`);
  });
});

describe('a training matrix built in the solver arena', () => {
  test('the vectorizer fills arrays in the arena; the solver uses them without a copy and fits the same model', async () => {
    const { fitTfidf } = await import('../../../../stages/text/features/vectorizer.js');
    const { defaultTextParams } = await import('../../../../stages/text/params.js');
    const { fitLogisticRegression, solverAlgebra } = await import('../../../../stages/text/solver/logistic-regression.js');
    const { algebraCsrStorage } = await import('../../../../stages/text/solver/linear-algebra.js');
    const docs = ['good great fun', 'great film good', 'bad awful boring', 'boring bad plot', 'fun plot great', 'awful film bad'];
    const y = Int32Array.from([1, 1, 0, 0, 1, 0]);
    const params = defaultTextParams();
    let algebra: ReturnType<typeof solverAlgebra> | undefined;
    const inArena = fitTfidf(docs, params.tfidf, {
      matrixStorage: (rows, cols, nnz) => {
        algebra = solverAlgebra({ rows, cols, nnz }, 2, true);
        return algebraCsrStorage(algebra)(rows, cols, nnz);
      },
    }).matrix;
    expect(algebra?.name).toBe('wasm');
    expect([inArena.indptr, inArena.indices, inArena.data].every((a) => algebra!.owns(a))).toBe(true);
    expect(placeMatrix(algebra!, inArena)).toBe(inArena); // no copy
    const onHeap = fitTfidf(docs, params.tfidf).matrix;
    expect(jsAlgebra.owns(onHeap.data)).toBe(false);
    expect([Array.from(inArena.indptr), Array.from(inArena.indices), Array.from(inArena.data)]).toEqual([
      Array.from(onHeap.indptr),
      Array.from(onHeap.indices),
      Array.from(onHeap.data),
    ]);
    const a = fitLogisticRegression(inArena, y, 2, params.logreg, { algebra: algebra! });
    const b = fitLogisticRegression(onHeap, y, 2, params.logreg);
    expect(Array.from(a.model.coef)).toEqual(Array.from(b.model.coef));
  });
});
