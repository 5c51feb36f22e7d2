/**
 * Stratified, seeded train/test split.
 *
 * Same procedure as scikit-learn's `train_test_split(..., stratify=y)` (StratifiedShuffleSplit):
 * `n_test = ceil(test_size * n)`, per-class test counts by largest remainder so that every class
 * keeps its proportion, then a seeded shuffle within each class picks the test rows. The random
 * stream is our own (mulberry32), so the rows picked differ from numpy's for the same seed — the
 * benchmark therefore feeds the *same* split files to both tools. Rows keep their input order
 * within each split so the output diffs and reads naturally.
 */
import { compareCodePoints } from '../common/code-point-order.js';
import { mulberry32 } from '../common/random.js';

export interface SplitResult {
  /** Row indices (into the input) of the training rows, ascending. */
  train: number[];
  /** Row indices of the test rows, ascending. */
  test: number[];
}

export class SplitError extends Error {
  constructor(
    message: string,
    /** Label the problem is about, when it is about one class. */
    readonly label?: string,
    /** Input index of the class's only row, for the one-row case. */
    readonly index?: number,
  ) {
    super(message);
    this.name = 'SplitError';
  }
}

/** Number of test rows for `testSize` (a fraction in (0, 1) or a row count ≥ 1). */
export function testRowCount(n: number, testSize: number): number {
  return testSize < 1 ? Math.ceil(testSize * n) : Math.floor(testSize);
}

/**
 * @param labels one label per row
 * @param testSize fraction in (0, 1), or an absolute number of test rows
 */
export function stratifiedSplit(labels: readonly string[], testSize: number, seed: number): SplitResult {
  const n = labels.length;
  const byClass = new Map<string, number[]>();
  labels.forEach((label, index) => {
    const rows = byClass.get(label);
    if (rows) rows.push(index);
    else byClass.set(label, [index]);
  });
  const classes = [...byClass.keys()].sort(compareCodePoints);
  for (const label of classes) {
    const rows = byClass.get(label)!;
    if (rows.length < 2) {
      throw new SplitError(
        `class ${JSON.stringify(label)} has only 1 row; a stratified split needs at least 2 per class`,
        label,
        rows[0],
      );
    }
  }
  const nTest = testRowCount(n, testSize);
  const nTrain = n - nTest;
  if (nTest < classes.length || nTrain < classes.length) {
    throw new SplitError(
      `a test size of ${testSize} gives ${nTest} test and ${nTrain} training rows; ` +
        `both need at least one row per class (${classes.length} classes)`,
    );
  }

  // Largest-remainder apportionment of nTest over the classes (ties: class order), capped so
  // each class keeps at least one training row.
  const counts = classes.map((label) => byClass.get(label)!.length);
  const exact = counts.map((count) => (count * nTest) / n);
  const perClass = exact.map((value, k) => Math.min(Math.floor(value), counts[k]! - 1));
  let missing = nTest - perClass.reduce((a, b) => a + b, 0);
  const order = classes
    .map((_, k) => k)
    .sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b);
  while (missing > 0) {
    let progressed = false;
    for (const k of order) {
      if (missing === 0) break;
      if (perClass[k]! < counts[k]! - 1) {
        perClass[k]!++;
        missing--;
        progressed = true;
      }
    }
    if (!progressed) break;
  }

  const random = mulberry32(seed);
  const test: number[] = [];
  const train: number[] = [];
  classes.forEach((label, k) => {
    const rows = byClass.get(label)!.slice();
    // Fisher–Yates; only the first perClass[k] positions need to be drawn.
    const take = perClass[k]!;
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random() * (rows.length - i));
      const tmp = rows[i]!;
      rows[i] = rows[j]!;
      rows[j] = tmp;
    }
    test.push(...rows.slice(0, take));
    train.push(...rows.slice(take));
  });
  test.sort((a, b) => a - b);
  train.sort((a, b) => a - b);
  return { train, test };
}
