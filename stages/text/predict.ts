/**
 * `mlp text predict`: documents → most probable label and its probability, one result per input
 * document, in input order.
 */
import { inputError } from '../common/errors.js';
import { parseDocumentsCsv, readUtf8File } from './io/labelled-csv.js';
import { argmaxRows, predictProbabilities } from './solver/logistic-regression.js';
import { round } from './metrics.js';
import { loadModel } from './io/model-files.js';
import { decodeUtf8Strict, InvalidUtf8Error } from './io/utf8.js';
import { TfidfTransformer } from './features/vectorizer.js';

/** lines: one document per line; csv: a header and a text column; jsonl: a JSON string or {"text": …} per line. */
export type PredictFormat = 'lines' | 'csv' | 'jsonl';

export interface PredictOptions {
  modelDir: string;
  /** File to read; `-` or undefined reads `stdin`. */
  input?: string;
  /** Default: from the file extension (.csv, .jsonl/.ndjson), else lines. */
  format?: PredictFormat;
  textColumn: string;
  /** Include every class's probability. */
  probabilities?: boolean;
  stdin?: AsyncIterable<Buffer | string>;
}

export interface Prediction {
  label: string;
  confidence: number;
  probabilities?: Record<string, number>;
}

export const STDIN_NAME = '<stdin>';

export async function predictText(options: PredictOptions): Promise<Prediction[]> {
  const model = await loadModel(options.modelDir);
  const fromStdin = options.input === undefined || options.input === '-';
  const name = fromStdin ? STDIN_NAME : options.input!;
  const text = fromStdin ? await readStdin(options.stdin ?? process.stdin) : await readUtf8File(name);
  const format = options.format ?? formatFromName(name);
  const documents = parseInput(text, name, format, options.textColumn);

  const X = new TfidfTransformer(model.vocabulary, model.tfidf).transform(documents);
  const K = model.classes.length;
  const probabilities = predictProbabilities(model.weights, X);
  const best = argmaxRows(probabilities, K);
  return Array.from(best, (k, i) => {
    const prediction: Prediction = { label: model.classes[k]!, confidence: round(probabilities[i * K + k]!) };
    if (options.probabilities) {
      prediction.probabilities = Object.fromEntries(model.classes.map((label, c) => [label, round(probabilities[i * K + c]!)]));
    }
    return prediction;
  });
}

export function formatFromName(name: string): PredictFormat {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(name)) return 'jsonl';
  return 'lines';
}

export function parseInput(text: string, file: string, format: PredictFormat, textColumn: string): string[] {
  if (format === 'csv') return text.trim() === '' ? [] : parseDocumentsCsv(text, file, { textColumn }).texts;
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.at(-1) === '') lines.pop(); // the final line break ends the last line; it does not start one
  if (format === 'lines') return lines;
  const documents: string[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw inputError({ file, row: index + 1, line: index + 1 }, `invalid JSON: ${(error as Error).message}`);
    }
    const document = typeof value === 'string' ? value : (value as Record<string, unknown> | null)?.[textColumn];
    if (typeof document !== 'string') {
      throw inputError({ file, row: index + 1, line: index + 1 }, `expected a JSON string or an object with a string "${textColumn}"`);
    }
    documents.push(document);
  });
  return documents;
}

async function readStdin(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const bytes = Buffer.concat(chunks);
  try {
    return decodeUtf8Strict(bytes);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) {
      throw inputError({ file: STDIN_NAME, row: error.line, line: error.line }, `${error.message}; the input is not UTF-8`);
    }
    throw error;
  }
}
