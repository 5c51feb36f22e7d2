/**
 * Append-only typed arrays that double their capacity. Vectorizing builds CSR arrays whose final
 * size is unknown until the last document; typed arrays keep them at 4 or 8 bytes per entry
 * (a JS number[] costs 8–16 and puts pressure on the GC at millions of non-zeros).
 */
type TypedArray = Int32Array | Float64Array;
type TypedArrayConstructor<T extends TypedArray> = { new (length: number): T };

class Growable<T extends TypedArray> {
  array: T;
  length = 0;

  constructor(
    private readonly Type: TypedArrayConstructor<T>,
    capacity = 1024,
  ) {
    this.array = new Type(Math.max(16, capacity));
  }

  /** Makes room for `extra` more entries. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.array.length) return;
    let capacity = this.array.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new this.Type(capacity);
    next.set(this.array.subarray(0, this.length) as never);
    this.array = next;
  }

  push(value: number): void {
    if (this.length === this.array.length) this.reserve(1);
    this.array[this.length++] = value;
  }

  /** A right-sized copy; the growable can be dropped afterwards. */
  toArray(): T {
    return this.array.slice(0, this.length) as T;
  }
}

export class GrowableInt32 extends Growable<Int32Array> {
  constructor(capacity?: number) {
    super(Int32Array, capacity);
  }
}

export class GrowableFloat64 extends Growable<Float64Array> {
  constructor(capacity?: number) {
    super(Float64Array, capacity);
  }
}
