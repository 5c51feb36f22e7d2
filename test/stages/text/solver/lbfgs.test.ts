import { DEFAULT_FTOL, DEFAULT_MAX_LINE_SEARCH, minimizeLbfgs, type ValueAndGradient } from '../../../../stages/text/solver/lbfgs.js';

/** f(x) = Σ c_i (x_i − t_i)², minimum 0 at t. */
const quadratic = (c: number[], t: number[]): ValueAndGradient => (x, g) => {
  let f = 0;
  c.forEach((ci, i) => {
    const d = x[i]! - t[i]!;
    f += ci * d * d;
    g[i] = 2 * ci * d;
  });
  return f;
};

const rosenbrock: ValueAndGradient = (x, g) => {
  const [a, b] = [x[0]!, x[1]!];
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe('minimizeLbfgs', () => {
  test('solves an ill-conditioned quadratic to the gradient tolerance', () => {
    const c = [1, 10, 100, 1000, 1e4];
    const t = [1, -2, 3, -4, 5];
    const result = minimizeLbfgs(quadratic(c, t), new Float64Array(5), { maxIterations: 200, gtol: 1e-8, ftol: 0 });
    expect(result.converged).toBe(true);
    expect(result.reason).toBe('gradient');
    expect(result.gradientMax).toBeLessThanOrEqual(1e-8);
    Array.from(result.x).forEach((xi, i) => expect(xi).toBeCloseTo(t[i]!, 8));
  });

  test('finds the Rosenbrock minimum (1, 1) from (-1.2, 1)', () => {
    const result = minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { maxIterations: 500, gtol: 1e-10, ftol: 0 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
    expect(result.iterations).toBeLessThan(100);
  });

  test('stops on relative reduction of f (scipy ftol) and on max_iter', () => {
    const loose = minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { maxIterations: 500, gtol: 0, ftol: 1e-3 });
    expect(loose.reason).toBe('relative-reduction');
    expect(loose.converged).toBe(true);
    const capped = minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { maxIterations: 3, gtol: 1e-12 });
    expect(capped.reason).toBe('max-iterations');
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBe(3);
  });

  test('a starting point that is already optimal takes no iterations', () => {
    const result = minimizeLbfgs(quadratic([1, 1], [0, 0]), new Float64Array(2), { maxIterations: 10, gtol: 1e-5 });
    expect(result.iterations).toBe(0);
    expect(result.evaluations).toBe(1);
  });

  test('is deterministic', () => {
    const run = () => minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { maxIterations: 50, gtol: 1e-10 });
    expect(Array.from(run().x)).toEqual(Array.from(run().x));
  });

  test("scikit-learn's settings: ftol = 64 eps, 50 evaluations per line search", () => {
    expect(DEFAULT_FTOL).toBe(64 * Number.EPSILON);
    expect(DEFAULT_MAX_LINE_SEARCH).toBe(50);
  });

  test('the gradient decides, not a loose ftol', () => {
    // An ill-conditioned quadratic: scipy's own ftol (2.2e-9) stops it on the decrease of f while
    // the gradient is still far above gtol; scikit-learn's 64 eps leaves the decision to gtol.
    const c = [1, 10, 100, 1000, 1e4];
    const t = [1, -2, 3, -4, 5];
    const shifted = quadratic(c, t);
    const result = minimizeLbfgs(shifted, new Float64Array(5), { maxIterations: 500, gtol: 1e-6 });
    expect(result.reason).toBe('gradient');
    expect(result.gradientMax).toBeLessThanOrEqual(1e-6);
    const loose = minimizeLbfgs(shifted, new Float64Array(5), { maxIterations: 500, gtol: 1e-6, ftol: 1e7 * Number.EPSILON });
    expect(loose.reason).toBe('relative-reduction');
    expect(loose.gradientMax).toBeGreaterThan(1e-6);
  });

  test('scipy order: the iteration limit is tested before the gradient of the new point', () => {
    const c = [1, 10, 100];
    const t = [1, -2, 3];
    const free = minimizeLbfgs(quadratic(c, t), new Float64Array(3), { maxIterations: 100, gtol: 1e-8 });
    expect(free.reason).toBe('gradient');
    const n = free.iterations;
    // A limit of exactly n: scipy's driver stops at n iterations before L-BFGS-B tests the point,
    // so scikit-learn reports n_iter_ = max_iter and a ConvergenceWarning.
    const capped = minimizeLbfgs(quadratic(c, t), new Float64Array(3), { maxIterations: n, gtol: 1e-8 });
    expect(capped.reason).toBe('max-iterations');
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBe(n);
    expect(Array.from(capped.x)).toEqual(Array.from(free.x));
    const roomy = minimizeLbfgs(quadratic(c, t), new Float64Array(3), { maxIterations: n + 1, gtol: 1e-8 });
    expect([roomy.reason, roomy.iterations, roomy.converged]).toEqual(['gradient', n, true]);
  });
});
