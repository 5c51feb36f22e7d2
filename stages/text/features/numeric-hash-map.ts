/**
 * Open-addressing hash map from non-negative integer keys (< 2^53) to int32 values.
 *
 * The vectorizer identifies an n-gram by (id of its first n-1 words, id of its last word),
 * packed into one number. A JS `Map` with millions of such keys costs ~50–80 bytes an entry
 * (heap-number keys, hash buckets); two typed arrays at load ≤ 1/2 cost ≤ 24 bytes and never
 * allocate per lookup, which keeps bigram vocabularies of large corpora in memory and fast.
 */
const EMPTY = -1;

export class NumericHashMap {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 16) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size).fill(EMPTY);
    this.values = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Value stored for `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    let slot = hash(key) & this.mask;
    for (;;) {
      const k = keys[slot]!;
      if (k === key) return this.values[slot]!;
      if (k === EMPTY) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Stores `value` (≥ 0) for a key that is not in the map yet. */
  insertNew(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    this.place(key, value);
    this.size++;
  }

  private place(key: number, value: number): void {
    const keys = this.keys;
    let slot = hash(key) & this.mask;
    while (keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    keys[slot] = key;
    this.values[slot] = value;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(EMPTY);
    this.values = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    for (let slot = 0; slot < oldKeys.length; slot++) {
      const key = oldKeys[slot]!;
      if (key !== EMPTY) this.place(key, oldValues[slot]!);
    }
  }
}

/** Mixes both 32-bit halves of the key (murmur3 finalizer) so packed pairs spread evenly. */
function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
