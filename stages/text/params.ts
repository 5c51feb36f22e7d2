/**
 * Hyperparameters of the text classifier: the `text:` section of params.yaml.
 *
 * Names and defaults are scikit-learn's (`TfidfVectorizer()`, `LogisticRegression()`), so a
 * user's existing notebook settings carry over verbatim and "no params file" means "what
 * scikit-learn would do". Like in Python, an integer `min_df`/`max_df` is a document count and a
 * float is a fraction of documents; YAML keeps that distinction (`1` vs `1.0`), so we parse
 * integers as bigint to keep it too.
 */
import { paramsError } from '../common/errors.js';
import { loadParamsSection, parseParamsRef } from '../common/params.js';

export type DocumentFrequency = { kind: 'count'; value: number } | { kind: 'fraction'; value: number };

export interface SplitParams {
  /** Fraction in (0, 1), or a number of test rows (≥ 1). */
  testSize: number;
  seed: number;
}

export interface TfidfParams {
  lowercase: boolean;
  /** Python-style regular expression (see tokenizer.ts); one capturing group selects the token. */
  tokenPattern: string;
  ngramRange: [number, number];
  minDf: DocumentFrequency;
  maxDf: DocumentFrequency;
  maxFeatures: number | null;
  binary: boolean;
  sublinearTf: boolean;
  useIdf: boolean;
  smoothIdf: boolean;
  norm: 'l2' | 'l1' | null;
  /** `'english'` (scikit-learn's list) or an explicit list; removed before n-grams are built. */
  stopWords: 'english' | string[] | null;
}

export interface LogregParams {
  /** Inverse L2 regularisation strength. */
  C: number;
  fitIntercept: boolean;
  maxIter: number;
  /** Stop when the largest gradient component is at most `tol` (scipy's `gtol`). */
  tol: number;
}

export interface TextParams {
  split: SplitParams;
  tfidf: TfidfParams;
  logreg: LogregParams;
}

export const DEFAULT_TOKEN_PATTERN = '(?u)\\b\\w\\w+\\b';

export function defaultTextParams(): TextParams {
  return {
    split: { testSize: 0.2, seed: 42 },
    tfidf: {
      lowercase: true,
      tokenPattern: DEFAULT_TOKEN_PATTERN,
      ngramRange: [1, 1],
      minDf: { kind: 'count', value: 1 },
      maxDf: { kind: 'fraction', value: 1 },
      maxFeatures: null,
      binary: false,
      sublinearTf: false,
      useIdf: true,
      smoothIdf: true,
      norm: 'l2',
      stopWords: null,
    },
    logreg: { C: 1, fitIntercept: true, maxIter: 100, tol: 1e-4 },
  };
}

/** The params as YAML/JSON-friendly snake_case (what model.json records and docs show). */
export function textParamsToPlain(params: TextParams): Record<string, unknown> {
  const df = (d: DocumentFrequency): number | string => (d.kind === 'count' ? d.value : fractionText(d.value));
  const { split, tfidf, logreg } = params;
  return {
    split: { test_size: split.testSize, seed: split.seed },
    tfidf: {
      lowercase: tfidf.lowercase,
      token_pattern: tfidf.tokenPattern,
      ngram_range: [...tfidf.ngramRange],
      min_df: df(tfidf.minDf),
      max_df: df(tfidf.maxDf),
      max_features: tfidf.maxFeatures,
      binary: tfidf.binary,
      sublinear_tf: tfidf.sublinearTf,
      use_idf: tfidf.useIdf,
      smooth_idf: tfidf.smoothIdf,
      norm: tfidf.norm,
      stop_words: tfidf.stopWords,
    },
    logreg: { C: logreg.C, fit_intercept: logreg.fitIntercept, max_iter: logreg.maxIter, tol: logreg.tol },
  };
}

/** Fractions are written as strings with a decimal point (`"1.0"`) so a reader can tell them from counts. */
function fractionText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

const SECTION_KEYS = ['split', 'tfidf', 'logreg'] as const;
const SPLIT_KEYS = ['test_size', 'seed'] as const;
const TFIDF_KEYS = [
  'lowercase',
  'token_pattern',
  'ngram_range',
  'min_df',
  'max_df',
  'max_features',
  'binary',
  'sublinear_tf',
  'use_idf',
  'smooth_idf',
  'norm',
  'stop_words',
] as const;
const LOGREG_KEYS = ['C', 'fit_intercept', 'max_iter', 'tol'] as const;

/**
 * Validates a parsed `text:` section (missing keys keep their defaults). `where` names the
 * source in errors, e.g. `params.yaml#text`.
 */
export function parseTextParams(raw: unknown, where: string): TextParams {
  const params = defaultTextParams();
  if (raw === null || raw === undefined) return params;
  const section = asObject(raw, where);
  checkKeys(section, SECTION_KEYS, where);
  if (section.split != null) {
    const at = `${where}.split`;
    const split = asObject(section.split, at);
    checkKeys(split, SPLIT_KEYS, at);
    if (split.test_size != null) params.split.testSize = parseTestSize(split.test_size, `${at}.test_size`);
    if (split.seed != null) params.split.seed = parseSeed(split.seed, `${at}.seed`);
  }
  if (section.tfidf != null) parseTfidf(asObject(section.tfidf, `${where}.tfidf`), params.tfidf, `${where}.tfidf`);
  if (section.logreg != null) {
    const at = `${where}.logreg`;
    const logreg = asObject(section.logreg, at);
    checkKeys(logreg, LOGREG_KEYS, at);
    const p = params.logreg;
    if (logreg.C != null) p.C = positiveNumber(logreg.C, `${at}.C`);
    if (logreg.fit_intercept != null) p.fitIntercept = bool(logreg.fit_intercept, `${at}.fit_intercept`);
    if (logreg.max_iter != null) p.maxIter = integer(logreg.max_iter, `${at}.max_iter`, 1);
    if (logreg.tol != null) p.tol = positiveNumber(logreg.tol, `${at}.tol`);
  }
  return params;
}

function parseTfidf(raw: Record<string, unknown>, p: TfidfParams, at: string): void {
  checkKeys(raw, TFIDF_KEYS, at);
  if (raw.lowercase != null) p.lowercase = bool(raw.lowercase, `${at}.lowercase`);
  if (raw.token_pattern != null) {
    if (typeof raw.token_pattern !== 'string' || raw.token_pattern === '') {
      throw paramsError(`${at}.token_pattern`, 'must be a non-empty regular expression string');
    }
    p.tokenPattern = raw.token_pattern;
  }
  if (raw.ngram_range != null) {
    const range = raw.ngram_range;
    if (!Array.isArray(range) || range.length !== 2) {
      throw paramsError(`${at}.ngram_range`, 'must be a list of two integers [min_n, max_n], e.g. [1, 2]');
    }
    const lo = integer(range[0], `${at}.ngram_range[0]`, 1);
    const hi = integer(range[1], `${at}.ngram_range[1]`, 1);
    if (lo > hi) throw paramsError(`${at}.ngram_range`, `min_n (${lo}) is larger than max_n (${hi})`);
    if (hi > 8) throw paramsError(`${at}.ngram_range`, `max_n (${hi}) is larger than the supported 8`);
    p.ngramRange = [lo, hi];
  }
  if (raw.min_df != null) p.minDf = documentFrequency(raw.min_df, `${at}.min_df`);
  if (raw.max_df != null) p.maxDf = documentFrequency(raw.max_df, `${at}.max_df`);
  if (raw.max_features !== undefined) {
    p.maxFeatures = raw.max_features === null ? null : integer(raw.max_features, `${at}.max_features`, 1);
  }
  if (raw.binary != null) p.binary = bool(raw.binary, `${at}.binary`);
  if (raw.sublinear_tf != null) p.sublinearTf = bool(raw.sublinear_tf, `${at}.sublinear_tf`);
  if (raw.use_idf != null) p.useIdf = bool(raw.use_idf, `${at}.use_idf`);
  if (raw.smooth_idf != null) p.smoothIdf = bool(raw.smooth_idf, `${at}.smooth_idf`);
  if (raw.norm !== undefined) {
    const norm = raw.norm;
    if (norm === null || norm === 'none') p.norm = null;
    else if (norm === 'l1' || norm === 'l2') p.norm = norm;
    else throw paramsError(`${at}.norm`, `must be l2, l1 or null, not ${show(norm)}`);
  }
  if (raw.stop_words !== undefined) {
    const stop = raw.stop_words;
    if (stop === null) p.stopWords = null;
    else if (stop === 'english') p.stopWords = 'english';
    else if (Array.isArray(stop) && stop.every((word) => typeof word === 'string')) p.stopWords = stop as string[];
    else throw paramsError(`${at}.stop_words`, `must be null, "english" or a list of words, not ${show(stop)}`);
  }
}

/** `file.yaml#a.b` → the validated section a.b of file.yaml (default key: `text`). */
export async function loadTextParams(spec: string): Promise<{ params: TextParams; where: string }> {
  const ref = parseParamsRef(spec, 'text');
  // Integers as bigint: `min_df: 1` (one document) and `min_df: 1.0` (all documents) differ.
  const section = loadParamsSection(ref, { intAsBigInt: true });
  return { params: parseTextParams(section, ref.where), where: ref.where };
}

// --- value checks -------------------------------------------------------------------------

function asObject(value: unknown, at: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw paramsError(at, `must be a mapping, not ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkKeys(object: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw paramsError(`${at}.${key}`, 'unknown parameter', `known keys: ${allowed.join(', ')}`);
    }
  }
}

function show(value: unknown): string {
  return typeof value === 'bigint' ? String(value) : JSON.stringify(value) ?? String(value);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

function bool(value: unknown, at: string): boolean {
  if (typeof value !== 'boolean') throw paramsError(at, `must be true or false, not ${show(value)}`);
  return value;
}

function integer(value: unknown, at: string, min: number): number {
  const n = toNumber(value);
  if (n === undefined || !Number.isInteger(n) || n < min) {
    throw paramsError(at, `must be an integer ≥ ${min}, not ${show(value)}`);
  }
  return n;
}

function positiveNumber(value: unknown, at: string): number {
  const n = toNumber(value);
  if (n === undefined || !(n > 0)) throw paramsError(at, `must be a number > 0, not ${show(value)}`);
  return n;
}

function documentFrequency(value: unknown, at: string): DocumentFrequency {
  if (typeof value === 'bigint') {
    if (value < 0n) throw paramsError(at, `a document count must be ≥ 0, not ${value}`);
    return { kind: 'count', value: Number(value) };
  }
  // A string like "1.0" (how model.json records fractions) is a fraction too.
  const n = typeof value === 'string' && /^(\d+\.\d*|\.\d+)$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !(n >= 0 && n <= 1)) {
    throw paramsError(at, `must be an integer document count or a fraction in [0.0, 1.0], not ${show(value)}`);
  }
  return { kind: 'fraction', value: n };
}

export function parseTestSize(value: unknown, at: string): number {
  const n = toNumber(value);
  if (n === undefined || !(n > 0) || (n >= 1 && !Number.isInteger(n))) {
    throw paramsError(at, `must be a fraction in (0, 1) or a whole number of test rows, not ${show(value)}`);
  }
  return n;
}

export function parseSeed(value: unknown, at: string): number {
  const n = toNumber(value);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw paramsError(at, `must be an integer in [0, 4294967295], not ${show(value)}`);
  }
  return n;
}
