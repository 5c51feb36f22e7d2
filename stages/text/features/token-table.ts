/**
 * Interns tokens straight from the document text: a token is looked up by (text, start, end,
 * hash) and a string is only created the first time a token is seen. Tokenizing into a
 * `string[]` and counting with a `Map` allocates one substring per token occurrence (millions
 * on a real corpus) and hashes each one again; this table hashes while scanning and compares in
 * place with `startsWith`, which makes fitting about twice as fast and leaves little garbage.
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 units — the hash the scanner computes incrementally. */
export function hashString(text: string, start = 0, end = text.length): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

export class TokenTable {
  /** Token id → text. */
  readonly texts: string[] = [];
  private hashes: Int32Array;
  private slots: Int32Array; // token id + 1; 0 = empty
  private mask: number;

  constructor(capacity = 1 << 12) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(1024);
    this.mask = size - 1;
  }

  get size(): number {
    return this.texts.length;
  }

  /** Id of text[start, end) (whose hash is `hash`), or -1. */
  find(text: string, start: number, end: number, hash: number): number {
    const length = end - start;
    let slot = hash & this.mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      const id = entry - 1;
      if (this.hashes[id] === hash) {
        const known = this.texts[id]!;
        if (known.length === length && text.startsWith(known, start)) return id;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Id of text[start, end), adding it when new. */
  intern(text: string, start: number, end: number, hash: number): number {
    const found = this.find(text, start, end, hash);
    if (found >= 0) return found;
    const id = this.texts.length;
    this.texts.push(start === 0 && end === text.length ? text : text.slice(start, end));
    if (id === this.hashes.length) {
      const grown = new Int32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = hash;
    if ((id + 1) * 2 > this.slots.length) this.rehash();
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    let slot = this.hashes[id]! & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = id + 1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let id = 0; id < this.texts.length; id++) this.place(id);
  }
}
