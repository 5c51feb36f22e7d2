/**
 * Compares strings by Unicode code point, like Python's `sorted()` (and numpy's `unique`), so
 * class and vocabulary order match scikit-learn's. JS `<` compares UTF-16 code units, which
 * differs only when a surrogate pair meets a BMP character above U+D7FF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb && (sa ? cb >= 0xe000 : ca >= 0xe000)) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
