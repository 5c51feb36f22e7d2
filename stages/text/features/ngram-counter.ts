/**
 * First pass of TF-IDF fitting: count every word n-gram of every document.
 *
 * Each distinct n-gram gets an integer id. An n-gram is stored as (id of its first n-1 words,
 * id of its last word) — a trie — and looked up through a numeric hash of that pair, so counting
 * bigrams and trigrams never builds the joined "w1 w2" strings (scikit-learn builds one per
 * occurrence). Strings are built later only for the n-grams that survive pruning. Counts are
 * appended to CSR arrays indexed by n-gram id: memory is O(non-zeros + distinct n-grams).
 */
import { GrowableInt32 } from './growable-array.js';
import { NumericHashMap } from './numeric-hash-map.js';
import type { TokenScanner } from './token-scanner.js';

/** Multiplier that packs (prefix n-gram id, last token id) into one exact double (< 2^53). */
export const TOKEN_SPACE = 2 ** 27;
const MAX_GRAMS = 2 ** 26;

/** Per-n-gram columns, grown together. */
export class GramTable {
  size = 0;
  /** Id of the n-gram without its last word; -1 for single words. */
  parent: Int32Array;
  /** Token id of the last word. */
  last: Int32Array;
  length: Uint8Array;
  /** Documents containing the n-gram. */
  df: Int32Array;
  /** Occurrences in the whole corpus (scikit-learn's max_features ranks by this). */
  tf: Float64Array;
  /** Last document that counted the n-gram, and where in that document's row it sits. */
  lastDoc: Int32Array;
  slot: Int32Array;

  constructor(capacity = 1 << 14) {
    this.parent = new Int32Array(capacity);
    this.last = new Int32Array(capacity);
    this.length = new Uint8Array(capacity);
    this.df = new Int32Array(capacity);
    this.tf = new Float64Array(capacity);
    this.lastDoc = new Int32Array(capacity).fill(-1);
    this.slot = new Int32Array(capacity);
  }

  add(parent: number, last: number, length: number): number {
    if (this.size === this.parent.length) this.grow();
    const id = this.size++;
    this.parent[id] = parent;
    this.last[id] = last;
    this.length[id] = length;
    return id;
  }

  private grow(): void {
    const capacity = this.parent.length * 2;
    if (this.size >= MAX_GRAMS) {
      throw new Error(`more than ${MAX_GRAMS} distinct n-grams; raise min_df or lower ngram_range`);
    }
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, fill?: number): T => {
      const next = new (a.constructor as new (n: number) => T)(capacity);
      next.set(a as never);
      if (fill !== undefined) next.fill(fill, a.length);
      return next;
    };
    this.parent = grow(this.parent);
    this.last = grow(this.last);
    this.length = grow(this.length);
    this.df = grow(this.df);
    this.tf = grow(this.tf);
    this.lastDoc = grow(this.lastDoc, -1);
    this.slot = grow(this.slot);
  }
}

export interface NgramCounts {
  documents: number;
  grams: GramTable;
  tokenTexts: string[];
  /** The trie, kept so the fitted vocabulary can vectorize new documents (see NgramIndex). */
  scanner: TokenScanner;
  tokenGram: Int32Array;
  children: NumericHashMap;
  /** CSR of raw counts; column = n-gram id. */
  indptr: Int32Array;
  indices: Int32Array;
  counts: Int32Array;
}

/** Called after each document is counted (for progress; must not throw). */
export type DocumentProgress = (done: number, total: number) => void;

export function countNgrams(
  documents: readonly string[],
  scanner: TokenScanner,
  ngramRange: readonly [number, number],
  onDocument?: DocumentProgress,
): NgramCounts {
  const [minN, maxN] = ngramRange;
  const grams = new GramTable();
  const tokenGram = new GrowableInt32(); // token id → its single-word n-gram id, -1 until used
  const children = new NumericHashMap();
  const indptr = new Int32Array(documents.length + 1);
  const indices = new GrowableInt32(1 << 16);
  const counts = new GrowableInt32(1 << 16);

  for (let d = 0; d < documents.length; d++) {
    const ids = scanner.scan(documents[d]!, true);
    const n = ids.length;
    if (scanner.table.size >= TOKEN_SPACE) throw new Error(`more than ${TOKEN_SPACE} distinct tokens`);
    while (tokenGram.length < scanner.table.size) tokenGram.push(-1);

    const rowStart = indices.length;
    // Worst case every position adds (maxN - minN + 1) new entries to this row.
    indices.reserve(n * (maxN - minN + 1));
    counts.reserve(n * (maxN - minN + 1));
    const rowIndices = indices.array;
    const rowCounts = counts.array;
    const tokenGrams = tokenGram.array;
    let rowLength = 0;
    for (let i = 0; i < n; i++) {
      const token = ids[i]!;
      let g = tokenGrams[token]!;
      if (g < 0) {
        g = grams.add(-1, token, 1);
        tokenGrams[token] = g;
      }
      for (let len = 1; len <= maxN; len++) {
        if (len > 1) {
          if (i + len > n) break;
          const last = ids[i + len - 1]!;
          const key = g * TOKEN_SPACE + last;
          let child = children.get(key);
          if (child < 0) {
            child = grams.add(g, last, len);
            children.insertNew(key, child);
          }
          g = child;
        }
        if (len < minN) continue;
        // Count n-gram g in document d (grams' arrays may have been reallocated by add()).
        if (grams.lastDoc[g] !== d) {
          grams.lastDoc[g] = d;
          grams.slot[g] = rowLength;
          grams.df[g]!++;
          rowIndices[rowStart + rowLength] = g;
          rowCounts[rowStart + rowLength] = 1;
          rowLength++;
        } else {
          rowCounts[rowStart + grams.slot[g]!]!++;
        }
        grams.tf[g]!++;
      }
    }
    indices.length += rowLength;
    counts.length += rowLength;
    if (indices.length > 0x7fffffff) throw new Error('more than 2^31 non-zeros');
    indptr[d + 1] = indices.length;
    onDocument?.(d + 1, documents.length);
  }
  return {
    documents: documents.length,
    grams,
    tokenTexts: scanner.table.texts,
    scanner,
    tokenGram: tokenGram.array.subarray(0, tokenGram.length),
    children,
    indptr,
    indices: indices.array.subarray(0, indices.length),
    counts: counts.array.subarray(0, counts.length),
  };
}

/** The n-gram's text: its words joined by single spaces (scikit-learn's convention). */
export function gramText(counts: Pick<NgramCounts, 'grams' | 'tokenTexts'>, id: number): string {
  const { grams, tokenTexts } = counts;
  if (grams.length[id] === 1) return tokenTexts[grams.last[id]!]!;
  return `${gramText(counts, grams.parent[id]!)} ${tokenTexts[grams.last[id]!]!}`;
}
