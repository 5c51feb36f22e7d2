/**
 * A fitted vocabulary as a trie over token ids, to vectorize new documents without building
 * the joined "w1 w2" string of every n-gram they contain. Terms are split back into words on
 * single spaces, which is exact for the default token pattern (tokens never contain spaces);
 * custom patterns use the string lookup in vectorizer.ts instead.
 */
import { GrowableInt32 } from './growable-array.js';
import { TOKEN_SPACE } from './ngram-counter.js';
import { NumericHashMap } from './numeric-hash-map.js';
import type { TfidfParams } from '../params.js';
import { TokenScanner } from './token-scanner.js';
import { hashString } from './token-table.js';

export class NgramIndex {
  /**
   * @param tokenNode token id → node of its single-word n-gram (-1: none)
   * @param children (node · 2^27 + token id) → node of the n-gram one word longer
   * @param nodeColumn node → vocabulary column (-1: not in the vocabulary)
   */
  constructor(
    private readonly scanner: TokenScanner,
    private readonly tokenNode: Int32Array,
    private readonly children: NumericHashMap,
    private readonly nodeColumn: Int32Array,
    private readonly ngramRange: readonly [number, number],
  ) {}

  /** Builds the trie from vocabulary terms (for a model loaded from disk). */
  static fromTerms(
    terms: readonly string[],
    ngramRange: readonly [number, number],
    params: Pick<TfidfParams, 'lowercase' | 'tokenPattern' | 'stopWords'>,
  ): NgramIndex {
    const scanner = new TokenScanner(params);
    const table = scanner.table;
    const tokenNode = new GrowableInt32();
    const children = new NumericHashMap();
    const nodeColumn = new GrowableInt32();
    const newNode = (): number => {
      nodeColumn.push(-1);
      return nodeColumn.length - 1;
    };
    terms.forEach((term, column) => {
      let node = -1;
      for (const word of term.split(' ')) {
        const token = table.intern(word, 0, word.length, hashString(word));
        while (tokenNode.length <= token) tokenNode.push(-1);
        if (node < 0) {
          node = tokenNode.array[token]!;
          if (node < 0) node = tokenNode.array[token] = newNode();
        } else {
          const key = node * TOKEN_SPACE + token;
          let child = children.get(key);
          if (child < 0) {
            child = newNode();
            children.insertNew(key, child);
          }
          node = child;
        }
      }
      nodeColumn.array[node] = column;
    });
    return new NgramIndex(
      scanner,
      tokenNode.array.subarray(0, tokenNode.length),
      children,
      nodeColumn.array.subarray(0, nodeColumn.length),
      ngramRange,
    );
  }

  /** Calls `visit(column)` once per occurrence of a vocabulary n-gram in `document`. */
  forEachColumn(document: string, visit: (column: number) => void): void {
    const [minN, maxN] = this.ngramRange;
    const ids = this.scanner.scan(document, false);
    const { tokenNode, nodeColumn } = this;
    const tokens = tokenNode.length;
    for (let i = 0; i < ids.length; i++) {
      const token = ids[i]!;
      if (token < 0 || token >= tokens) continue;
      let node = tokenNode[token]!;
      if (node < 0) continue;
      if (minN <= 1 && nodeColumn[node]! >= 0) visit(nodeColumn[node]!);
      for (let len = 2; len <= maxN && i + len <= ids.length; len++) {
        const next = ids[i + len - 1]!;
        if (next < 0) break;
        node = this.children.get(node * TOKEN_SPACE + next);
        if (node < 0) break;
        if (len >= minN && nodeColumn[node]! >= 0) visit(nodeColumn[node]!);
      }
    }
  }
}
