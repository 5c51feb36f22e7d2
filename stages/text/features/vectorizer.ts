/**
 * TF-IDF vectorizer with scikit-learn's `TfidfVectorizer` semantics:
 * - vocabulary: n-grams whose document frequency is within [min_df, max_df], then the
 *   `max_features` most frequent (corpus term frequency; ties by term order), sorted by term
 *   (code points) so column j is the j-th term alphabetically — the same columns as sklearn;
 * - weights: tf (raw count; 1 if `binary`; 1 + ln(tf) if `sublinear_tf`) × idf, where
 *   idf = ln((1 + n) / (1 + df)) + 1 with `smooth_idf` (else ln(n / df) + 1);
 * - each row scaled to unit l2 (or l1) norm.
 */
import { compareCodePoints } from '../../common/code-point-order.js';
import { heapCsrStorage, type CsrMatrix, type CsrStorage } from '../solver/csr.js';
import { GrowableFloat64, GrowableInt32 } from './growable-array.js';
import { countNgrams, gramText, type DocumentProgress, type NgramCounts } from './ngram-counter.js';
import { NgramIndex } from './ngram-index.js';
import { NumericHashMap } from './numeric-hash-map.js';
import type { TfidfParams } from '../params.js';
import { TokenScanner } from './token-scanner.js';
import { createTokenizer, isDefaultTokenPattern } from './tokenizer.js';

export interface TfidfVocabulary {
  /** Column j's term; n-grams are words joined by one space. */
  terms: string[];
  /** Column j's idf, or null when `use_idf` is false. */
  idf: Float64Array | null;
}

export interface TfidfFit {
  vocabulary: TfidfVocabulary;
  /** The training documents, vectorized. */
  matrix: CsrMatrix;
  /** Vectorizes more documents with this vocabulary (reuses the fitting trie). */
  transformer: TfidfTransformer;
  /** Distinct n-grams seen before pruning (what the vocabulary would be without min/max_df, max_features). */
  distinctNgrams: number;
}

/** Thrown when fitting leaves no vocabulary; the caller turns it into a user error. */
export class EmptyVocabularyError extends Error {}

/** `matrixStorage`: where the training matrix's arrays go (the solver's arena; default the JS heap). */
export function fitTfidf(
  documents: readonly string[],
  params: TfidfParams,
  options: { onDocument?: DocumentProgress; matrixStorage?: CsrStorage } = {},
): TfidfFit {
  const scanner = new TokenScanner(params);
  const counts = countNgrams(documents, scanner, params.ngramRange, options.onDocument);
  const n = documents.length;
  const [minN, maxN] = params.ngramRange;
  const { grams } = counts;

  // Candidates: n-grams of a wanted length that passed the document-frequency window.
  const maxCount = params.maxDf.kind === 'count' ? params.maxDf.value : params.maxDf.value * n;
  const minCount = params.minDf.kind === 'count' ? params.minDf.value : params.minDf.value * n;
  if (maxCount < minCount) {
    throw new EmptyVocabularyError('max_df corresponds to fewer documents than min_df');
  }
  let distinct = 0;
  const candidates = new GrowableInt32();
  for (let g = 0; g < grams.size; g++) {
    const length = grams.length[g]!;
    const df = grams.df[g]!;
    if (length < minN || length > maxN || df === 0) continue;
    distinct++;
    if (df >= minCount && df <= maxCount) candidates.push(g);
  }
  if (distinct === 0) {
    throw new EmptyVocabularyError('empty vocabulary: the documents contain no tokens (only stop words, or no text)');
  }
  const sortGrams = gramSorter(counts, maxN, isDefaultTokenPattern(params.tokenPattern));
  const kept = limitFeatures(counts, candidates.toArray(), params.maxFeatures, params.binary, sortGrams);
  if (kept.length === 0) {
    throw new EmptyVocabularyError('no terms remain after pruning: lower min_df or raise max_df');
  }

  // Alphabetical columns.
  const sorted = sortGrams(kept, kept.length);
  const column = new Int32Array(grams.size).fill(-1);
  const sortedTerms = new Array<string>(sorted.length);
  const df = new Float64Array(sorted.length);
  sorted.forEach((g, j) => {
    column[g] = j;
    sortedTerms[j] = gramText(counts, g);
    df[j] = grams.df[g]!;
  });

  const matrix = remapColumns(counts, column, sorted.length, options.matrixStorage ?? heapCsrStorage);
  const idf = params.useIdf ? inverseDocumentFrequency(df, n, params.smoothIdf) : null;
  weightRows(matrix, idf, params);
  const vocabulary = { terms: sortedTerms, idf };
  const index = isDefaultTokenPattern(params.tokenPattern)
    ? new NgramIndex(scanner, counts.tokenGram, counts.children, column, params.ngramRange)
    : undefined;
  return { vocabulary, matrix, transformer: new TfidfTransformer(vocabulary, params, index), distinctNgrams: distinct };
}

/**
 * scikit-learn's `_limit_features`: the `maxFeatures` highest corpus frequencies, ties by term.
 * With `binary`, sklearn has already clipped counts to 1, so the frequency is the df.
 */
function limitFeatures(
  counts: NgramCounts,
  candidates: Int32Array,
  maxFeatures: number | null,
  binary: boolean,
  sortGrams: GramSorter,
): Int32Array {
  if (maxFeatures === null || candidates.length <= maxFeatures) return candidates;
  const tf = binary ? counts.grams.df : counts.grams.tf;
  const frequencies = Float64Array.from(candidates, (g) => tf[g]!).sort();
  const threshold = frequencies[frequencies.length - maxFeatures]!;
  const above = candidates.filter((g) => tf[g]! > threshold);
  const tied = candidates.filter((g) => tf[g]! === threshold);
  const kept = new Int32Array(maxFeatures);
  kept.set(above);
  kept.set(sortGrams(tied, maxFeatures - above.length), above.length);
  return kept;
}

/** Returns the first `limit` of the given n-gram ids in the alphabetical order of their texts. */
type GramSorter = (ids: Int32Array, limit: number) => Int32Array;

/**
 * Sorting n-grams by text. Joined with spaces (which sort before every word character), n-gram
 * texts compare like their word sequences compared word by word; so with the default token
 * pattern an n-gram's rank is a number — its words' alphabetical ranks as digits in base
 * (tokens + 1), 0 marking "no more words" — and a numeric sort of those keys replaces a string
 * sort of up to millions of texts (several times faster, and no strings for n-grams that are
 * then dropped). Keys stay exact below 2^53, which covers trigrams of 200,000 distinct tokens;
 * longer n-grams and custom token patterns sort the texts.
 */
function gramSorter(counts: NgramCounts, maxN: number, defaultPattern: boolean): GramSorter {
  const { grams, tokenTexts } = counts;
  const base = tokenTexts.length + 1;
  if (!defaultPattern || base ** maxN >= 2 ** 53) {
    return (ids, limit) => {
      const texts = Array.from(ids, (g) => gramText(counts, g));
      return Int32Array.from(sortedOrder(texts).slice(0, limit), (k) => ids[k]!);
    };
  }
  let rank: Int32Array | undefined;
  return (ids, limit) => {
    if (rank === undefined) {
      rank = new Int32Array(tokenTexts.length);
      sortedOrder(tokenTexts).forEach((token, r) => (rank![token] = r));
    }
    if (maxN === 1) {
      // Single words: place each n-gram at its word's rank (a counting sort), no keys needed.
      const byRank = new Int32Array(tokenTexts.length).fill(-1);
      for (const g of ids) byRank[rank[grams.last[g]!]!] = g;
      return byRank.filter((g) => g >= 0).subarray(0, limit);
    }
    const keys = new Float64Array(ids.length);
    const idOfKey = new NumericHashMap(ids.length);
    ids.forEach((g, k) => {
      let key = 0;
      let scale = base ** (maxN - grams.length[g]!);
      for (let node = g; node >= 0; node = grams.parent[node]!) {
        key += (rank![grams.last[node]!]! + 1) * scale;
        scale *= base;
      }
      keys[k] = key;
      idOfKey.insertNew(key, g);
    });
    keys.sort();
    return Int32Array.from(keys.subarray(0, limit), (key) => idOfKey.get(key));
  };
}

/** Indices that sort `terms` (distinct strings) by code point. */
function sortedOrder(terms: readonly string[]): number[] {
  // UTF-16 order equals code point order unless a term has a surrogate pair. The built-in
  // comparison-free sort is several times faster than any JS comparator, so sort the strings
  // themselves and map them back to their indices.
  const astral = terms.some((term) => /[\ud800-\udfff]/.test(term));
  const position = new Map(terms.map((term, k) => [term, k]));
  if (astral || position.size !== terms.length) {
    return terms.map((_, k) => k).sort((a, b) => compareCodePoints(terms[a]!, terms[b]!));
  }
  return terms
    .slice()
    .sort()
    .map((term) => position.get(term)!);
}

/** Keeps the entries whose n-gram has a column, renumbered; counts become float64 values. */
function remapColumns(counts: NgramCounts, column: Int32Array, cols: number, storage: CsrStorage): CsrMatrix {
  const rows = counts.documents;
  let kept = 0;
  for (let p = 0; p < counts.indices.length; p++) if (column[counts.indices[p]!]! >= 0) kept++;
  const { indptr, indices, data } = storage(rows, cols, kept);
  indptr[0] = 0;
  let q = 0;
  for (let i = 0; i < rows; i++) {
    for (let p = counts.indptr[i]!; p < counts.indptr[i + 1]!; p++) {
      const j = column[counts.indices[p]!]!;
      if (j < 0) continue;
      indices[q] = j;
      data[q] = counts.counts[p]!;
      q++;
    }
    indptr[i + 1] = q;
  }
  return { rows, cols, indptr, indices, data };
}

export function inverseDocumentFrequency(df: Float64Array, documents: number, smooth: boolean): Float64Array {
  const s = smooth ? 1 : 0;
  return df.map((d) => Math.log((documents + s) / (d + s)) + 1);
}

/** Raw counts → tf-idf, then row normalisation, in place. */
export function weightRows(
  matrix: CsrMatrix,
  idf: Float64Array | null,
  params: Pick<TfidfParams, 'binary' | 'sublinearTf' | 'norm'>,
): void {
  const { indptr, indices, data } = matrix;
  for (let i = 0; i < matrix.rows; i++) {
    const start = indptr[i]!;
    const end = indptr[i + 1]!;
    let norm = 0;
    for (let p = start; p < end; p++) {
      let v = data[p]!;
      if (params.binary) v = 1;
      else if (params.sublinearTf) v = 1 + Math.log(v);
      if (idf !== null) v *= idf[indices[p]!]!;
      data[p] = v;
      norm += params.norm === 'l1' ? Math.abs(v) : v * v;
    }
    if (params.norm === null || norm === 0) continue;
    const scale = params.norm === 'l2' ? 1 / Math.sqrt(norm) : 1 / norm;
    for (let p = start; p < end; p++) data[p]! *= scale;
  }
}

/**
 * Vectorizes new documents with a fitted vocabulary (unknown n-grams are ignored, as in
 * scikit-learn).
 */
export class TfidfTransformer {
  private readonly forEachColumn: (document: string, visit: (column: number) => void) => void;

  /** @param index the fitting trie, when the caller has it (saves rebuilding it from the terms) */
  constructor(
    private readonly vocabulary: TfidfVocabulary,
    private readonly params: TfidfParams,
    index?: NgramIndex,
  ) {
    if (index) this.forEachColumn = (document, visit) => index.forEachColumn(document, visit);
    else if (isDefaultTokenPattern(params.tokenPattern)) this.forEachColumn = indexLookup(vocabulary, params);
    else this.forEachColumn = stringLookup(vocabulary, params);
  }

  transform(documents: readonly string[]): CsrMatrix {
    const cols = this.vocabulary.terms.length;
    const lastDoc = new Int32Array(cols).fill(-1);
    const slot = new Int32Array(cols);
    const indptr = new Int32Array(documents.length + 1);
    const indices = new GrowableInt32(1 << 12);
    const data = new GrowableFloat64(1 << 12);
    for (let d = 0; d < documents.length; d++) {
      this.forEachColumn(documents[d]!, (j) => {
        if (lastDoc[j] !== d) {
          lastDoc[j] = d;
          slot[j] = indices.length;
          indices.push(j);
          data.push(1);
        } else {
          data.array[slot[j]!]!++;
        }
      });
      if (indices.length > 0x7fffffff) throw new Error('too many non-zeros');
      indptr[d + 1] = indices.length;
    }
    const matrix: CsrMatrix = {
      rows: documents.length,
      cols,
      indptr,
      indices: indices.toArray(),
      data: data.toArray(),
    };
    weightRows(matrix, this.vocabulary.idf, this.params);
    return matrix;
  }
}

/** Default token pattern: walk the vocabulary trie by token id. */
function indexLookup(vocabulary: TfidfVocabulary, params: TfidfParams): TfidfTransformer['forEachColumn'] {
  const index = NgramIndex.fromTerms(vocabulary.terms, params.ngramRange, params);
  return (document, visit) => index.forEachColumn(document, visit);
}

/**
 * Custom token patterns may produce tokens containing spaces, so terms cannot be split back
 * into words: look n-grams up by their joined text, as scikit-learn does.
 */
function stringLookup(vocabulary: TfidfVocabulary, params: TfidfParams): TfidfTransformer['forEachColumn'] {
  const columns = new Map(vocabulary.terms.map((term, j) => [term, j]));
  const tokenize = createTokenizer(params);
  const [minN, maxN] = params.ngramRange;
  return (document, visit) => {
    const tokens = tokenize(document);
    const count = (term: string): void => {
      const j = columns.get(term);
      if (j !== undefined) visit(j);
    };
    for (let i = 0; i < tokens.length; i++) {
      let gram = tokens[i]!;
      if (minN <= 1) count(gram);
      for (let len = 2; len <= maxN && i + len <= tokens.length; len++) {
        gram = `${gram} ${tokens[i + len - 1]!}`;
        if (len >= minN) count(gram);
      }
    }
  };
}
