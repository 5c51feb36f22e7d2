/**
 * Document → token ids (see token-table.ts), with the tokenizer's semantics (tokenizer.ts):
 * lowercase, token pattern, stop words removed. For the default pattern the scanner walks the
 * characters itself, hashing as it goes, so no substring is made for a token seen before.
 */
import { GrowableInt32 } from './growable-array.js';
import type { TfidfParams } from '../params.js';
import { FNV_OFFSET, FNV_PRIME, hashString, TokenTable } from './token-table.js';
import { compileTokenPattern, isDefaultTokenPattern, stopWordSet } from './tokenizer.js';

/** Per UTF-16 unit: 0 = not yet known, 1 = word character, 2 = not. Filled lazily beyond ASCII. */
const wordUnits = new Uint8Array(0x10000);
for (let c = 0; c < 0x80; c++) {
  const word = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  wordUnits[c] = word ? 1 : 2;
}
const WORD_CHARACTER = /^[\p{L}\p{N}_]$/u;

function isWordUnit(c: number): boolean {
  let kind = wordUnits[c]!;
  if (kind === 0) {
    kind = WORD_CHARACTER.test(String.fromCharCode(c)) ? 1 : 2;
    wordUnits[c] = kind;
  }
  return kind === 1;
}

export class TokenScanner {
  readonly table: TokenTable;
  private readonly lowercase: boolean;
  private readonly pattern: { regex: RegExp; group: boolean } | null;
  /** Ids of stop words (interned up front so they can be recognised and skipped). */
  private readonly stopIds: Set<number>;
  private readonly out = new GrowableInt32(1024);

  constructor(params: Pick<TfidfParams, 'lowercase' | 'tokenPattern' | 'stopWords'>, table = new TokenTable()) {
    this.table = table;
    this.lowercase = params.lowercase;
    this.pattern = isDefaultTokenPattern(params.tokenPattern) ? null : compileTokenPattern(params.tokenPattern);
    this.stopIds = new Set();
    for (const word of stopWordSet(params.stopWords) ?? []) {
      this.stopIds.add(table.intern(word, 0, word.length, hashString(word)));
    }
  }

  /**
   * Token ids of `document` (a view valid until the next call). With `add`, new tokens are
   * interned; without, unknown tokens are -1 (they break n-grams, like an unseen word does).
   */
  scan(document: string, add: boolean): Int32Array {
    const text = this.lowercase ? document.toLowerCase() : document;
    this.out.length = 0;
    if (this.pattern === null) this.scanWords(text, add);
    else this.scanPattern(text, add, this.pattern);
    return this.out.array.subarray(0, this.out.length);
  }

  private emit(text: string, start: number, end: number, hash: number, add: boolean): void {
    const id = add ? this.table.intern(text, start, end, hash) : this.table.find(text, start, end, hash);
    if (id >= 0 && this.stopIds.has(id)) return;
    this.out.push(id);
  }

  /** Maximal runs of ≥ 2 word characters (code points): exactly what `\b\w\w+\b` matches. */
  private scanWords(text: string, add: boolean): void {
    const n = text.length;
    let i = 0;
    for (;;) {
      // Skip to the next word character (ASCII by table, the rest via isWordAt).
      let c = 0;
      for (; i < n; i++) {
        c = text.charCodeAt(i);
        if (c < 0x80 ? wordUnits[c] === 1 : isWordAt(text, i, c)) break;
        if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++; // skip the whole pair
      }
      if (i >= n) return;
      // Take the run, hashing its UTF-16 units; count characters (a pair is one).
      const start = i;
      let hash = FNV_OFFSET;
      let characters = 0;
      for (;;) {
        hash = Math.imul(hash ^ c, FNV_PRIME);
        if (c >= 0xd800 && c <= 0xdbff) {
          // isWordAt accepted a surrogate pair: hash the low half too
          hash = Math.imul(hash ^ text.charCodeAt(i + 1), FNV_PRIME);
          i++;
        }
        i++;
        characters++;
        if (i >= n) break;
        c = text.charCodeAt(i);
        if (c < 0x80 ? wordUnits[c] !== 1 : !isWordAt(text, i, c)) break;
      }
      if (characters >= 2) this.emit(text, start, i, hash, add);
    }
  }

  private scanPattern(text: string, add: boolean, pattern: { regex: RegExp; group: boolean }): void {
    pattern.regex.lastIndex = 0;
    for (const match of text.matchAll(pattern.regex)) {
      const token = pattern.group ? (match[1] ?? '') : match[0];
      this.emit(token, 0, token.length, hashString(token), add);
    }
  }
}

function isWordAt(text: string, i: number, c: number): boolean {
  if (c >= 0xd800 && c <= 0xdbff) {
    return isLowSurrogate(text.charCodeAt(i + 1)) && WORD_CHARACTER.test(text.slice(i, i + 2));
  }
  if (c >= 0xdc00 && c <= 0xdfff) return false; // lone low surrogate
  return isWordUnit(c);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
