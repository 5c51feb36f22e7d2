/**
 * Label bookkeeping shared by train and evaluate: class order (sorted by code point, like
 * scikit-learn's `classes_`) and the checks that make label problems user errors with a row.
 */
import { compareCodePoints } from '../../common/code-point-order.js';
import { inputError } from '../../common/errors.js';
import { rowOf, type Documents } from './labelled-csv.js';

export function sortedClasses(labels: readonly string[]): string[] {
  return [...new Set(labels)].sort(compareCodePoints);
}

/** The training labels must name at least two classes. */
export function checkTrainingClasses(documents: Documents, classes: readonly string[]): void {
  if (classes.length < 2) {
    throw inputError(
      { file: documents.file },
      `only one class (${JSON.stringify(classes[0] ?? '')}) in the training data; a classifier needs at least two`,
      'check the label column, or prepare the split from data with two or more classes',
    );
  }
}

/** Class indices of `documents`' labels; a label the model does not know is an error at its row. */
export function classIndices(documents: Documents, classes: readonly string[], trainedOn: string): Int32Array {
  const index = new Map(classes.map((label, k) => [label, k]));
  return Int32Array.from(documents.labels, (label, row) => {
    const k = index.get(label);
    if (k === undefined) {
      throw inputError(
        rowOf(documents, row),
        `label ${JSON.stringify(label)} does not occur in the training split (${trainedOn}), so the model cannot predict it`,
        `known labels: ${classes.map((c) => JSON.stringify(c)).join(', ')}; re-run \`mlp text prepare\` (its split keeps every class in training) or drop these rows`,
      );
    }
    return k;
  });
}
