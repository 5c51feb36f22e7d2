/**
 * Strict UTF-8 decoding. Silently replacing bad bytes with U+FFFD (what `buf.toString()` does)
 * would train on mojibake and hide an encoding mistake in the data; we refuse instead and say
 * where the first bad byte is so the user can fix or re-encode the file.
 */
import { isUtf8 } from 'node:buffer';

export class InvalidUtf8Error extends Error {
  constructor(
    /** Byte offset of the first byte of the invalid sequence. */
    readonly offset: number,
    /** 1-based line of that byte. */
    readonly line: number,
    readonly byte: number,
  ) {
    super(`invalid UTF-8 byte 0x${byte.toString(16).padStart(2, '0')} at byte offset ${offset}`);
    this.name = 'InvalidUtf8Error';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Decodes `bytes` (dropping a leading BOM) or throws `InvalidUtf8Error`. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8Offset(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw new InvalidUtf8Error(offset, line, bytes[offset] ?? 0);
  }
  // Valid input: the non-fatal decoder is exact, and it strips the BOM for us.
  return decoder.decode(bytes);
}

/**
 * Offset of the first byte that starts an invalid (or truncated) UTF-8 sequence, or -1.
 * Follows the Unicode "well-formed UTF-8" table: no overlongs, no surrogates, max U+10FFFF.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 === 0xe0) (need = 2), (lo = 0xa0);
    else if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) need = 2;
    else if (b0 === 0xed) (need = 2), (hi = 0x9f);
    else if (b0 === 0xf0) (need = 3), (lo = 0x90);
    else if (b0 >= 0xf1 && b0 <= 0xf3) need = 3;
    else if (b0 === 0xf4) (need = 3), (hi = 0x8f);
    else return i;
    const b1 = bytes[i + 1];
    if (b1 === undefined || b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < 0x80 || b > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
