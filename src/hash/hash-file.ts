/**
 * sha256 of file contents. Files are read in 128 KiB chunks into one reusable buffer: node:crypto
 * hashes at ~1.1 GB/s a core here, and large unaligned reads are several times slower.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { computedSha256, type Sha256 } from '../schema/sha256.js';

const CHUNK = 128 * 1024;
let chunkBuffer: Buffer | undefined;

export function hashBytes(data: string | Uint8Array): Sha256 {
  return computedSha256(createHash('sha256').update(data).digest('hex'));
}

export function hashFileSync(file: string): Sha256 {
  const fd = fs.openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    chunkBuffer ??= Buffer.allocUnsafeSlow(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, chunkBuffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(n === CHUNK ? chunkBuffer : chunkBuffer.subarray(0, n));
    }
    return computedSha256(hash.digest('hex'));
  } finally {
    fs.closeSync(fd);
  }
}
