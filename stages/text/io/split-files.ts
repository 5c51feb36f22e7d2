/**
 * The prepared-data directory that `text prepare` writes and `text train`/`evaluate` read:
 *
 *   train.csv, test.csv   header `text,label`, RFC 4180, UTF-8, LF line ends
 *   split.json            how the split was made and the per-class row counts
 *
 * Plain CSV so that any other tool (pandas, scikit-learn, a spreadsheet) reads the same split.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { formatCsvRecord } from '../../../src/util/csv.js';
import { inputError } from '../../common/errors.js';
import { readDocumentsCsv, type Documents } from './labelled-csv.js';

export const TRAIN_FILE = 'train.csv';
export const TEST_FILE = 'test.csv';
export const SPLIT_FILE = 'split.json';
export const SPLIT_COLUMNS = { textColumn: 'text', labelColumn: 'label', fixed: true } as const;

export function formatSplitCsv(texts: readonly string[], labels: readonly string[], rows: readonly number[]): string {
  const parts = ['text,label\n'];
  for (const row of rows) parts.push(formatCsvRecord([texts[row]!, labels[row]!]));
  return parts.join('');
}

/** Reads `dir`/train.csv and, when present, `dir`/test.csv. */
export async function readSplit(dir: string): Promise<{ train: Documents; test: Documents | undefined }> {
  const trainFile = path.join(dir, TRAIN_FILE);
  if (!(await isFile(trainFile))) {
    const hint = 'create it with `mlp text prepare --input <csv> --out ' + dir + '`';
    throw inputError({ file: trainFile }, (await isDirectory(dir)) ? 'no training file' : `no such data directory ${dir}`, hint);
  }
  const train = await readDocumentsCsv(trainFile, SPLIT_COLUMNS);
  const testFile = path.join(dir, TEST_FILE);
  const test = (await isFile(testFile)) ? await readDocumentsCsv(testFile, SPLIT_COLUMNS) : undefined;
  return { train, test };
}

/** Test documents for evaluation: `data` is a prepared directory (its test.csv) or a CSV file. */
export async function readEvaluationData(data: string): Promise<Documents> {
  if (await isDirectory(data)) {
    const testFile = path.join(data, TEST_FILE);
    if (!(await isFile(testFile))) throw inputError({ file: testFile }, 'no test file in the data directory');
    return readDocumentsCsv(testFile, SPLIT_COLUMNS);
  }
  return readDocumentsCsv(data, SPLIT_COLUMNS);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}
