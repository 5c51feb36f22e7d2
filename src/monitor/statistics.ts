/**
 * The statistics `mlp monitor` judges drift with, small enough to check by hand: the two-sample
 * Kolmogorov–Smirnov test, Pearson's chi-square goodness-of-fit test, the population stability
 * index, ROC-AUC (with ties), percentiles as numpy computes them, and the kernel maximum mean
 * discrepancy with a permutation p-value as alibi-detect's `MMDDrift` computes it.
 *
 * Pure functions of numbers: no I/O, no randomness but the generator a caller passes.
 */

export interface TestStatistic {
  statistic: number;
  p_value: number;
}

/**
 * Two-sample Kolmogorov–Smirnov: D = sup |F₁ − F₂| over the pooled values, and the asymptotic
 * p-value Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D) with nₑ = nm/(n+m) (Stephens' small-sample correction,
 * Numerical Recipes §14.3): close to scipy's exact p-values from a few dozen values up.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): TestStatistic {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) throw new RangeError('the KS test needs values on both sides');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    // Step past every copy of the smaller value on both sides, so ties count once.
    const v = Math.min(x[i]!, y[j]!);
    while (i < n && x[i]! <= v) i++;
    while (j < m && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const en = Math.sqrt((n * m) / (n + m));
  return { statistic: d, p_value: kolmogorovQ((en + 0.12 + 0.11 / en) * d) };
}

/** Q_KS(λ) = 2 Σ (−1)^(j−1) e^(−2j²λ²): the probability that the Kolmogorov statistic exceeds λ. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12 * Math.abs(sum)) return clamp01(2 * sum);
    sign = -sign;
  }
  return clamp01(2 * sum);
}

/**
 * Pearson's chi-square: observed counts against expected counts, k − 1 degrees of freedom (as
 * scipy's `chisquare(f_obs, f_exp)`). Categories expected nowhere but observed make the statistic
 * infinite; callers give them a small expected count instead (see `expectedCounts`).
 */
export function chiSquare(observed: readonly number[], expected: readonly number[]): TestStatistic {
  if (observed.length !== expected.length) throw new RangeError('observed and expected counts differ in length');
  let statistic = 0;
  for (let k = 0; k < observed.length; k++) {
    const e = expected[k]!;
    if (e > 0) statistic += (observed[k]! - e) ** 2 / e;
  }
  const df = observed.length - 1;
  return { statistic, p_value: df < 1 ? 1 : chiSquareSurvival(statistic, df) };
}

/**
 * The counts the current window would have if it followed the reference's proportions (Evidently's
 * chi-square: reference counts × n_current / n_reference). A category the reference never had
 * gets half a reference count, so that the statistic stays finite and still large.
 */
export function expectedCounts(reference: readonly number[], currentTotal: number): number[] {
  const total = reference.reduce((s, c) => s + c, 0);
  return reference.map((c) => (Math.max(c, 0.5) * currentTotal) / total);
}

/** P(X ≥ x) for X ~ χ²(df): the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return clamp01(upperGammaQ(df / 2, x / 2));
}

/**
 * Population stability index Σ (pᵢ − qᵢ)·ln(pᵢ/qᵢ) over shares of categories, with a share of 0
 * replaced by 0.0001 as Evidently does. Usual reading: < 0.1 stable, 0.1–0.2 some shift, > 0.2 shifted.
 */
export function psi(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  const shares = (counts: readonly number[]): number[] => {
    const total = counts.reduce((s, c) => s + c, 0);
    return counts.map((c) => (total > 0 && c > 0 ? c / total : 0.0001));
  };
  const p = shares(referenceCounts);
  const q = shares(currentCounts);
  let value = 0;
  for (let k = 0; k < p.length; k++) value += (p[k]! - q[k]!) * Math.log(p[k]! / q[k]!);
  return value;
}

/** Area under the ROC curve of `scores` for binary `labels` (1 = positive): the Mann–Whitney U / (n₁n₀), ties counted half. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const rank = (start + end) / 2 + 1; // average rank of the tied run, 1-based
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) throw new RangeError('ROC-AUC needs both classes');
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The q-th percentile (0–100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  const position = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

export interface MmdResult extends TestStatistic {
  /** The RBF kernel's bandwidth σ: k(x, y) = exp(−‖x − y‖² / (2σ²)). */
  sigma: number;
  permutations: number;
  /** MMD² of each permutation: the null distribution the p-value comes from. */
  permuted: Float64Array;
}

/**
 * Maximum mean discrepancy between two samples of d-dimensional rows (row-major), with an RBF
 * kernel whose σ comes from the median heuristic, and a permutation p-value — as alibi-detect's
 * `MMDDrift` (defaults: `n_permutations=100`, `sigma=None`):
 * - σ = √(median(‖xᵢ − xⱼ‖²) / 2) over the pairs of distinct rows of the pooled sample;
 * - MMD² unbiased: the within-sample kernel means without the diagonal, minus twice the cross mean;
 * - p = share of permutations of the pooled rows whose MMD² is at least the observed one.
 */
export function mmdPermutationTest(
  x: Float64Array,
  y: Float64Array,
  dimension: number,
  options: { permutations?: number; random: () => number },
): MmdResult {
  const n = x.length / dimension;
  const m = y.length / dimension;
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 2 || m < 2) throw new RangeError('MMD needs at least two rows on each side');
  const total = n + m;
  const rows = new Float64Array(total * dimension);
  rows.set(x);
  rows.set(y, x.length);
  // Squared distances of every pair, once; the kernel matrix follows from them.
  const dist = new Float64Array(total * total);
  for (let i = 0; i < total; i++) {
    for (let j = i + 1; j < total; j++) {
      let s = 0;
      for (let k = 0; k < dimension; k++) {
        const diff = rows[i * dimension + k]! - rows[j * dimension + k]!;
        s += diff * diff;
      }
      dist[i * total + j] = s;
      dist[j * total + i] = s;
    }
  }
  const offDiagonal = new Float64Array((total * (total - 1)) / 2);
  let p = 0;
  for (let i = 0; i < total; i++) for (let j = i + 1; j < total; j++) offDiagonal[p++] = dist[i * total + j]!;
  offDiagonal.sort();
  const median = offDiagonal[Math.floor((offDiagonal.length - 1) / 2)]!;
  const sigma = Math.sqrt(median / 2) || 1; // identical rows everywhere: any σ gives MMD² = 0
  const kernel = dist; // reused in place: k = exp(−d / (2σ²)), diagonal 0 (the unbiased estimate leaves it out)
  for (let i = 0; i < total; i++) {
    for (let j = 0; j < total; j++) kernel[i * total + j] = i === j ? 0 : Math.exp(-dist[i * total + j]! / (2 * sigma * sigma));
  }
  const identity = Uint32Array.from({ length: total }, (_, i) => i);
  const observed = mmd2(kernel, total, identity, n);
  const permutations = options.permutations ?? 100;
  const order = identity.slice();
  let atLeast = 0;
  const permuted = new Float64Array(permutations);
  for (let t = 0; t < permutations; t++) {
    for (let i = total - 1; i > 0; i--) {
      const j = Math.floor(options.random() * (i + 1));
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    permuted[t] = mmd2(kernel, total, order, n);
    if (permuted[t]! >= observed) atLeast++;
  }
  return { statistic: observed, p_value: atLeast / permutations, sigma, permutations, permuted };
}

/** Unbiased MMD² of the split (order[0..n) vs order[n..)) of a kernel matrix with a zero diagonal. */
function mmd2(kernel: Float64Array, total: number, order: Uint32Array, n: number): number {
  const m = total - n;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let a = 0; a < total; a++) {
    const row = order[a]! * total;
    for (let b = a + 1; b < total; b++) {
      const k = kernel[row + order[b]!]!;
      if (b < n) xx += k;
      else if (a >= n) yy += k;
      else xy += k;
    }
  }
  return (2 * xx) / (n * (n - 1)) + (2 * yy) / (m * (m - 1)) - (2 * xy) / (n * m);
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** ln Γ(x), Lanczos approximation (g = 7, n = 9): 15 digits for x > 0. */
export function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Q(a, x) = Γ(a, x)/Γ(a): the series below a + 1, the continued fraction above (Numerical Recipes §6.2). */
function upperGammaQ(a: number, x: number): number {
  const gln = lnGamma(a);
  if (x < a + 1) {
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let i = 0; i < 1000; i++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - gln);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - gln) * h;
}
