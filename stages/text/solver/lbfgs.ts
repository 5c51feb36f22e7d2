/**
 * Limited-memory BFGS with a strong-Wolfe line search, for smooth unconstrained minimisation.
 *
 * Settings and stopping rules follow scipy's L-BFGS-B as scikit-learn ≥ 1.4 calls it for
 * `LogisticRegression(solver='lbfgs')`: m = 10 correction pairs, `gtol` = tol on the largest
 * gradient component, `ftol` = 64·eps on the relative decrease of f (so that it practically never
 * decides before the gradient does), at most 50 function evaluations per line search, and the
 * tests in scipy's order — after each iteration first the iteration limit (scipy's driver counts
 * the iteration before L-BFGS-B tests it), then the gradient, then the decrease of f — so the
 * same `tol`/`max_iter` stop at the same place.
 * It is deterministic: plain sequential float64 arithmetic, no randomness, no threads.
 * Vector work goes through a `LinearAlgebra` so the O(m·n) two-loop recursion runs in the wasm
 * kernels when the caller provides them.
 */
import { jsAlgebra, type LinearAlgebra } from './linear-algebra.js';

/** Writes ∇f(x) into `gradient` and returns f(x). */
export type ValueAndGradient = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when max_i |g_i| ≤ gtol. */
  gtol: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol (default 64·eps, as scikit-learn). */
  ftol?: number;
  /** Correction pairs kept. */
  memory?: number;
  /** Function evaluations allowed per line search (default 50, as scikit-learn). */
  maxLineSearch?: number;
  /** Where vectors live and how dot/axpy run (default: plain JS). */
  algebra?: LinearAlgebra;
  /** Called after each iteration with the objective value (for progress; must not throw). */
  onIteration?: (iteration: number, f: number) => void;
}

/** Vectors of length n that `minimizeLbfgs` allocates (size a wasm arena with it). */
export function lbfgsVectorCount(memory = 10): number {
  return 5 + 2 * memory;
}

export type LbfgsStopReason = 'gradient' | 'relative-reduction' | 'max-iterations' | 'line-search';

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  /** max_i |g_i| at the solution. */
  gradientMax: number;
  iterations: number;
  evaluations: number;
  /** True when a convergence test stopped it (scipy's status 0), not the limit or a failed line search. */
  converged: boolean;
  reason: LbfgsStopReason;
}

/** The `ftol` scikit-learn passes to L-BFGS-B (scipy's own default is 1e7·eps). */
export const DEFAULT_FTOL = 64 * Number.EPSILON;
/** The `maxls` scikit-learn passes to L-BFGS-B (scipy's own default is 20). */
export const DEFAULT_MAX_LINE_SEARCH = 50;

const C1 = 1e-4; // sufficient decrease
const C2 = 0.9; // curvature (weak enough for quasi-Newton steps)

export function minimizeLbfgs(fg: ValueAndGradient, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  const ftol = options.ftol ?? DEFAULT_FTOL;
  const maxLineSearch = options.maxLineSearch ?? DEFAULT_MAX_LINE_SEARCH;
  const algebra = options.algebra ?? jsAlgebra;
  const { dot, axpy, scaleInto, maxAbs } = algebra;

  let x = algebra.float64(n);
  x.set(x0);
  let g = algebra.float64(n);
  let f = fg(x, g);
  let evaluations = 1;
  let xNext = algebra.float64(n);
  let gNext = algebra.float64(n);
  const direction = algebra.float64(n);
  // Correction pairs; their buffers are recycled (allocated once, up to m of each).
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const spare: Float64Array[] = [];
  const alpha = new Float64Array(m);

  const finish = (iterations: number, reason: LbfgsStopReason): LbfgsResult => ({
    x,
    f,
    gradientMax: maxAbs(g),
    iterations,
    evaluations,
    converged: reason === 'gradient' || reason === 'relative-reduction',
    reason,
  });

  if (maxAbs(g) <= options.gtol) return finish(0, 'gradient');
  let moved = false;

  for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
    // Two-loop recursion: direction = -H·g with H0 = (sᵀy / yᵀy)·I.
    scaleInto(-1, g, direction);
    const pairs = s.length;
    for (let k = pairs - 1; k >= 0; k--) {
      const a = rho[k]! * dot(s[k]!, direction);
      alpha[k] = a;
      axpy(-a, y[k]!, direction);
    }
    if (pairs > 0) {
      const last = pairs - 1;
      scaleInto(dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!), direction, direction);
    }
    for (let k = 0; k < pairs; k++) {
      const b = rho[k]! * dot(y[k]!, direction);
      axpy(alpha[k]! - b, s[k]!, direction);
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (round-off in a flat region): restart from steepest descent.
      spare.push(...s, ...y);
      s.length = y.length = rho.length = 0;
      scaleInto(-1, g, direction);
      slope = dot(g, direction);
    }
    // First step of the run: scipy's 1/‖d‖ keeps the first trial point at unit distance (after a
    // restart scipy tries the full step, as here).
    const initialStep = !moved ? Math.min(1, 1 / Math.sqrt(dot(direction, direction))) : 1;

    const search = lineSearch(fg, algebra, x, f, slope, direction, initialStep, xNext, gNext, maxLineSearch);
    evaluations += search.evaluations;
    if (!search.ok) {
      if (s.length > 0) {
        // Drop the curvature history and retry this iteration along -g, like scipy does.
        spare.push(...s, ...y);
        s.length = y.length = rho.length = 0;
        iteration--;
        continue;
      }
      return finish(iteration - 1, 'line-search');
    }

    // Curvature pair; skipped when sᵀy is not safely positive (keeps H positive definite).
    const sk = s.length === m ? s.shift()! : (spare.pop() ?? algebra.float64(n));
    const yk = y.length === m ? y.shift()! : (spare.pop() ?? algebra.float64(n));
    if (rho.length === m) rho.shift();
    sk.set(xNext);
    axpy(-1, x, sk);
    yk.set(gNext);
    axpy(-1, g, yk);
    const sy = dot(sk, yk);
    if (sy > Number.EPSILON * dot(yk, yk)) {
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    } else {
      spare.push(sk, yk);
    }

    const fPrevious = f;
    [x, xNext] = [xNext, x];
    [g, gNext] = [gNext, g];
    f = search.f;
    moved = true;
    options.onIteration?.(iteration, f);
    // scipy's order: its driver stops at maxiter before L-BFGS-B tests the new point.
    if (iteration >= options.maxIterations) break;
    if (maxAbs(g) <= options.gtol) return finish(iteration, 'gradient');
    if ((fPrevious - f) / Math.max(Math.abs(fPrevious), Math.abs(f), 1) <= ftol) {
      return finish(iteration, 'relative-reduction');
    }
  }
  return finish(options.maxIterations, 'max-iterations');
}

interface LineSearchResult {
  ok: boolean;
  f: number;
  evaluations: number;
}

/**
 * Strong Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6, cubic interpolation in
 * the zoom phase). On success the accepted point and its gradient are in `xOut`/`gOut`.
 */
function lineSearch(
  fg: ValueAndGradient,
  { dot, axpy }: Pick<LinearAlgebra, 'dot' | 'axpy'>,
  x: Float64Array,
  f0: number,
  slope0: number,
  d: Float64Array,
  initialStep: number,
  xOut: Float64Array,
  gOut: Float64Array,
  maxEvaluations: number,
): LineSearchResult {
  let evaluations = 0;
  const evaluate = (step: number): { f: number; slope: number } => {
    xOut.set(x);
    axpy(step, d, xOut);
    const f = fg(xOut, gOut);
    evaluations++;
    return { f, slope: dot(gOut, d) };
  };

  let previousStep = 0;
  let previousF = f0;
  let previousSlope = slope0;
  let step = initialStep;
  for (;;) {
    const { f, slope } = evaluate(step);
    if (!Number.isFinite(f) || f > f0 + C1 * step * slope0 || (evaluations > 1 && f >= previousF)) {
      return zoom(previousStep, previousF, previousSlope, step, f, slope);
    }
    if (Math.abs(slope) <= -C2 * slope0) return { ok: true, f, evaluations };
    if (slope >= 0) return zoom(step, f, slope, previousStep, previousF, previousSlope);
    if (evaluations >= maxEvaluations) return { ok: true, f, evaluations }; // sufficient decrease holds
    previousStep = step;
    previousF = f;
    previousSlope = slope;
    step *= 4;
  }

  function zoom(
    lo: number,
    fLo: number,
    slopeLo: number,
    hi: number,
    fHi: number,
    slopeHi: number,
  ): LineSearchResult {
    // Invariant: lo satisfies sufficient decrease and has the lowest f seen so far.
    for (;;) {
      if (evaluations >= maxEvaluations) break;
      const trial = interpolate(lo, fLo, slopeLo, hi, fHi, slopeHi);
      const { f, slope } = evaluate(trial);
      if (!Number.isFinite(f) || f > f0 + C1 * trial * slope0 || f >= fLo) {
        hi = trial;
        fHi = f;
        slopeHi = slope;
      } else {
        if (Math.abs(slope) <= -C2 * slope0) return { ok: true, f, evaluations };
        if (slope * (hi - lo) >= 0) {
          hi = lo;
          fHi = fLo;
          slopeHi = slopeLo;
        }
        lo = trial;
        fLo = f;
        slopeLo = slope;
      }
      if (Math.abs(hi - lo) <= 1e-12 * Math.max(1, Math.abs(lo))) break;
    }
    // Out of evaluations: settle for lo if it decreased f at all.
    if (lo > 0 && fLo < f0) {
      const { f } = evaluate(lo);
      return { ok: true, f, evaluations };
    }
    return { ok: false, f: f0, evaluations };
  }
}

/** Minimiser of the cubic through both end points, kept inside the middle 80% of the bracket. */
function interpolate(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const radicand = d1 * d1 - ga * gb;
  let t = (a + b) / 2;
  if (radicand >= 0 && Number.isFinite(fa) && Number.isFinite(fb)) {
    const d2 = Math.sign(b - a) * Math.sqrt(radicand);
    const candidate = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
    if (Number.isFinite(candidate)) t = candidate;
  }
  const low = Math.min(a, b);
  const high = Math.max(a, b);
  const margin = 0.1 * (high - low);
  return Math.min(Math.max(t, low + margin), high - margin);
}
