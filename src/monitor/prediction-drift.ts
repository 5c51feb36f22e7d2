/**
 * Drift of the model's outputs: the distribution of predicted labels (chi-square, and PSI with
 * Evidently's threshold 0.1) and of the confidence of each prediction (KS). The reference is the
 * model's predictions on the held-out split when there is one: on its own training data a model
 * is more confident than on anything else, which would read as drift.
 */
import { pValueTest, thresholdTest, type DriftTest, type Thresholds } from './report.js';
import { chiSquare, expectedCounts, ksTwoSample, psi } from './statistics.js';
import type { Distribution } from './distributions.js';

export interface Predictions {
  labels: readonly string[];
  confidences: readonly number[];
}

export function predictionDrift(classes: readonly string[], reference: Predictions, current: Predictions, thresholds: Thresholds): { tests: DriftTest[]; distributions: Distribution[] } {
  const count = (labels: readonly string[]): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
    return counts;
  };
  const ref = count(reference.labels);
  const cur = count(current.labels);
  // The labels either side predicted, in the model's order (Evidently: the union of the values seen).
  const seen = [...classes.filter((c) => ref.has(c) || cur.has(c)), ...[...cur.keys()].filter((c) => !classes.includes(c))];
  const refCounts = seen.map((c) => ref.get(c) ?? 0);
  const curCounts = seen.map((c) => cur.get(c) ?? 0);
  const tests: DriftTest[] = [
    pValueTest('prediction.label', 'chi_square', chiSquare(curCounts, expectedCounts(refCounts, current.labels.length)), thresholds.pValue),
    thresholdTest('prediction.label_psi', 'psi', psi(refCounts, curCounts), thresholds.psi, true),
    pValueTest('prediction.confidence', 'ks', ksTwoSample(reference.confidences, current.confidences), thresholds.pValue),
  ];
  const distributions: Distribution[] = [
    { test: 'prediction.label', kind: 'categorical', label: 'predicted label', categories: seen, reference: refCounts, current: curCounts },
    { test: 'prediction.confidence', kind: 'numeric', label: 'confidence', reference: reference.confidences, current: current.confidences },
  ];
  return { tests, distributions };
}
