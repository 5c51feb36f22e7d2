;; Hot loops of the logistic-regression solver, in WebAssembly with 128-bit SIMD (f64x2).
;;
;; Why: V8 runs these loops as scalar code with bounds checks; compiled to wasm SIMD they are
;; ~4x faster (measured on bbc_news: gather+scatter 17.7 ms -> 4.6 ms), which is the difference
;; between training slower and faster than scikit-learn (whose loops are C/BLAS).
;; Every kernel does exactly the float64 operations, in the same order, as its JavaScript twin in
;; linear-algebra.ts (no fused multiply-add; dot uses the same four partial sums), so both give
;; bit-identical results and a model does not depend on which one ran.
;;
;; All pointers are byte offsets into the imported memory; arrays are float64 or int32.
;; Rebuild kernels-wasm.ts after editing: stages/text/kernels/build-kernels.sh
(module
  (import "env" "memory" (memory 1))

  ;; Z[i*K + k] += sum over row i's non-zeros p of data[p] * W[indices[p]*K + k]
  (func (export "gather")
        (param $rows i32) (param $indptr i32) (param $indices i32) (param $data i32)
        (param $w i32) (param $K i32) (param $z i32)
    (local $i i32) (local $p i32) (local $end i32) (local $zrow i32) (local $wrow i32)
    (local $k i32) (local $rowBytes i32) (local $pairBytes i32) (local $v f64) (local $vv v128)
    (local.set $rowBytes (i32.shl (local.get $K) (i32.const 3)))
    (local.set $pairBytes (i32.shl (i32.and (local.get $K) (i32.const -2)) (i32.const 3)))
    (local.set $p (i32.load (local.get $indptr)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $zrow (i32.add (local.get $z) (i32.mul (local.get $i) (local.get $rowBytes))))
      (block $nonZerosDone (loop $nonZeroLoop
        (br_if $nonZerosDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f64.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $vv (f64x2.splat (local.get $v)))
        (local.set $wrow (i32.add (local.get $w)
          (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2))))
                   (local.get $rowBytes))))
        (local.set $k (i32.const 0))
        (block $pairsDone (loop $pairLoop
          (br_if $pairsDone (i32.ge_u (local.get $k) (local.get $pairBytes)))
          (v128.store (i32.add (local.get $zrow) (local.get $k))
            (f64x2.add (v128.load (i32.add (local.get $zrow) (local.get $k)))
                       (f64x2.mul (local.get $vv) (v128.load (i32.add (local.get $wrow) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $pairLoop)))
        (if (i32.lt_u (local.get $k) (local.get $rowBytes))
          (then
            (f64.store (i32.add (local.get $zrow) (local.get $k))
              (f64.add (f64.load (i32.add (local.get $zrow) (local.get $k)))
                       (f64.mul (local.get $v) (f64.load (i32.add (local.get $wrow) (local.get $k))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $nonZeroLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; G[indices[p]*K + k] += data[p] * R[i*K + k] for every non-zero p of every row i
  (func (export "scatter")
        (param $rows i32) (param $indptr i32) (param $indices i32) (param $data i32)
        (param $r i32) (param $K i32) (param $g i32)
    (local $i i32) (local $p i32) (local $end i32) (local $rrow i32) (local $grow i32)
    (local $k i32) (local $rowBytes i32) (local $pairBytes i32) (local $v f64) (local $vv v128)
    (local.set $rowBytes (i32.shl (local.get $K) (i32.const 3)))
    (local.set $pairBytes (i32.shl (i32.and (local.get $K) (i32.const -2)) (i32.const 3)))
    (local.set $p (i32.load (local.get $indptr)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $rrow (i32.add (local.get $r) (i32.mul (local.get $i) (local.get $rowBytes))))
      (block $nonZerosDone (loop $nonZeroLoop
        (br_if $nonZerosDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f64.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $vv (f64x2.splat (local.get $v)))
        (local.set $grow (i32.add (local.get $g)
          (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2))))
                   (local.get $rowBytes))))
        (local.set $k (i32.const 0))
        (block $pairsDone (loop $pairLoop
          (br_if $pairsDone (i32.ge_u (local.get $k) (local.get $pairBytes)))
          (v128.store (i32.add (local.get $grow) (local.get $k))
            (f64x2.add (v128.load (i32.add (local.get $grow) (local.get $k)))
                       (f64x2.mul (local.get $vv) (v128.load (i32.add (local.get $rrow) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $pairLoop)))
        (if (i32.lt_u (local.get $k) (local.get $rowBytes))
          (then
            (f64.store (i32.add (local.get $grow) (local.get $k))
              (f64.add (f64.load (i32.add (local.get $grow) (local.get $k)))
                       (f64.mul (local.get $v) (f64.load (i32.add (local.get $rrow) (local.get $k))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $nonZeroLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; sum of a[i]*b[i]: four partial sums s0..s3 over i mod 4 (lanes of two f64x2 accumulators),
  ;; combined as (s0 + s2) + (s1 + s3), then the n mod 4 tail added one by one.
  (func (export "dot") (param $n i32) (param $a i32) (param $b i32) (result f64)
    (local $i i32) (local $end i32) (local $acc01 v128) (local $acc23 v128) (local $sum v128) (local $s f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3)))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $acc01 (f64x2.add (local.get $acc01)
        (f64x2.mul (v128.load (i32.add (local.get $a) (local.get $i)))
                   (v128.load (i32.add (local.get $b) (local.get $i))))))
      (local.set $acc23 (f64x2.add (local.get $acc23)
        (f64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $i)))
                   (v128.load offset=16 (i32.add (local.get $b) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $loop)))
    (local.set $sum (f64x2.add (local.get $acc01) (local.get $acc23)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $sum)) (f64x2.extract_lane 1 (local.get $sum))))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $tailDone (loop $tail
      (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $s (f64.add (local.get $s)
        (f64.mul (f64.load (i32.add (local.get $a) (local.get $i))) (f64.load (i32.add (local.get $b) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $tail)))
    (local.get $s))

  ;; y[i] += alpha * x[i]
  (func (export "axpy") (param $n i32) (param $alpha f64) (param $x i32) (param $y i32)
    (local $i i32) (local $end i32) (local $alphas v128)
    (local.set $alphas (f64x2.splat (local.get $alpha)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $y) (local.get $i))
        (f64x2.add (v128.load (i32.add (local.get $y) (local.get $i)))
                   (f64x2.mul (local.get $alphas) (v128.load (i32.add (local.get $x) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $loop)))
    (if (i32.lt_u (local.get $i) (i32.shl (local.get $n) (i32.const 3)))
      (then
        (f64.store (i32.add (local.get $y) (local.get $i))
          (f64.add (f64.load (i32.add (local.get $y) (local.get $i)))
                   (f64.mul (local.get $alpha) (f64.load (i32.add (local.get $x) (local.get $i)))))))))

  ;; y[i] = alpha * x[i]  (x and y may be the same array)
  (func (export "scale_into") (param $n i32) (param $alpha f64) (param $x i32) (param $y i32)
    (local $i i32) (local $end i32) (local $alphas v128)
    (local.set $alphas (f64x2.splat (local.get $alpha)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $y) (local.get $i))
        (f64x2.mul (local.get $alphas) (v128.load (i32.add (local.get $x) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $loop)))
    (if (i32.lt_u (local.get $i) (i32.shl (local.get $n) (i32.const 3)))
      (then
        (f64.store (i32.add (local.get $y) (local.get $i))
          (f64.mul (local.get $alpha) (f64.load (i32.add (local.get $x) (local.get $i))))))))

  ;; max |x[i]| (0 for n = 0); exact, so the order does not matter
  (func (export "max_abs") (param $n i32) (param $x i32) (result f64)
    (local $i i32) (local $end i32) (local $acc v128) (local $m f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $acc (f64x2.max (local.get $acc) (f64x2.abs (v128.load (i32.add (local.get $x) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $loop)))
    (local.set $m (f64.max (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.lt_u (local.get $i) (i32.shl (local.get $n) (i32.const 3)))
      (then (local.set $m (f64.max (local.get $m) (f64.abs (f64.load (i32.add (local.get $x) (local.get $i))))))))
    (local.get $m))

  ;; gather for K = 1 (binary problems): z[i] += sum_p data[p] * w[indices[p]]
  (func (export "gather1")
        (param $rows i32) (param $indptr i32) (param $indices i32) (param $data i32)
        (param $w i32) (param $z i32)
    (local $i i32) (local $p i32) (local $end i32) (local $sum f64) (local $zi i32)
    (local.set $p (i32.load (local.get $indptr)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $zi (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $sum (f64.load (local.get $zi)))
      (block $nonZerosDone (loop $nonZeroLoop
        (br_if $nonZerosDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $sum (f64.add (local.get $sum)
          (f64.mul (f64.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3))))
                   (f64.load (i32.add (local.get $w)
                     (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2))))
                              (i32.const 3)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $nonZeroLoop)))
      (f64.store (local.get $zi) (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; scatter for K = 1: g[indices[p]] += data[p] * r[i]
  (func (export "scatter1")
        (param $rows i32) (param $indptr i32) (param $indices i32) (param $data i32)
        (param $r i32) (param $g i32)
    (local $i i32) (local $p i32) (local $end i32) (local $ri f64) (local $gj i32)
    (local.set $p (i32.load (local.get $indptr)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $end (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $ri (f64.load (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3)))))
      (block $nonZerosDone (loop $nonZeroLoop
        (br_if $nonZerosDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $gj (i32.add (local.get $g)
          (i32.shl (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (i32.const 3))))
        (f64.store (local.get $gj)
          (f64.add (f64.load (local.get $gj))
                   (f64.mul (f64.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3))))
                            (local.get $ri))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $nonZeroLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))
)
