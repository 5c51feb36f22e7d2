/**
 * What `mlp monitor` answers: `drift.json`, a file other code reads (and `mlp metrics` shows), so
 * its top-level shape is fixed: `drift`, `model`, `reference`, `current`, `tests`, `created`.
 *
 * A test with a `p_value` drifts when the p-value is below its `threshold`; one without (PSI, the
 * domain classifier's ROC-AUC) when its `statistic` is above its `threshold`. The verdict: drift
 * when at least `drift_share` of the tests drift (Evidently's dataset-drift rule, default 0.5), so
 * that one test crossing 0.05 by chance does not fail a job on its own.
 */

export interface DriftTest {
  /** What is compared, dotted: `text.domain_classifier`, `prediction.confidence`, `image.intensity.red`, … */
  name: string;
  /** `domain_classifier`, `ks`, `chi_square`, `psi` or `mmd`. */
  method: string;
  statistic: number;
  threshold: number;
  p_value?: number;
  drift: boolean;
}

export interface DriftReport {
  drift: boolean;
  model: { path: string; sha256: string };
  reference: {
    path: string;
    /** The lock's hash of the reference data, when the lock named it. */
    sha256?: string;
    /** The stage whose lock entry names the model as an output and the reference as a dependency. */
    stage?: string;
    rows: number;
    /** Where the model's own outputs (predictions, confidence, embeddings) are compared from: the held-out split when there is one. */
    held_out?: { path: string; rows: number };
  };
  current: {
    rows: number;
    source: 'telemetry' | 'inputs';
    path: string;
    /** Rows used when the window had more than `--sample`. */
    sampled?: number;
    from?: string;
    to?: string;
    /** Whether the window had the inputs themselves (telemetry written with `--log-inputs`). */
    inputs: boolean;
  };
  tests: DriftTest[];
  created: string;
}

export interface Thresholds {
  /** p-value below which a KS, chi-square or MMD test drifts (Evidently, alibi-detect: 0.05). */
  pValue: number;
  /** PSI at or above which the label distribution drifts (Evidently: 0.1). */
  psi: number;
  /** The domain classifier drifts when its ROC-AUC is above this percentile of random classifiers' (Evidently: 95). */
  rocPercentile: number;
  /** Share of drifted tests that makes the verdict "drift" (Evidently's `drift_share`: 0.5). */
  driftShare: number;
  /** Permutations of the MMD test (alibi-detect: 100). */
  permutations: number;
  /** Random classifiers behind the ROC-AUC percentile (Evidently: 1000). */
  randomClassifiers: number;
  /** At most this many rows of each side are compared (a seeded sample of the rest). */
  sample: number;
  seed: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  pValue: 0.05,
  psi: 0.1,
  rocPercentile: 95,
  driftShare: 0.5,
  permutations: 100,
  randomClassifiers: 1000,
  sample: 1000,
  seed: 42,
};

/** A test judged by its p-value. */
export function pValueTest(name: string, method: string, result: { statistic: number; p_value: number }, threshold: number): DriftTest {
  return { name, method, statistic: round(result.statistic), threshold, p_value: round(result.p_value), drift: result.p_value < threshold };
}

/** A test judged by its statistic crossing a threshold. */
export function thresholdTest(name: string, method: string, statistic: number, threshold: number, inclusive = false): DriftTest {
  return { name, method, statistic: round(statistic), threshold: round(threshold), drift: inclusive ? statistic >= threshold : statistic > threshold };
}

export function verdict(tests: readonly DriftTest[], driftShare: number): boolean {
  const drifted = tests.filter((t) => t.drift).length;
  return tests.length > 0 && drifted / tests.length >= driftShare;
}

/** Six significant digits: enough to read and to diff, stable across runs. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(6));
}
