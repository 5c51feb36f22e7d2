/**
 * A minimal streaming reader for POSIX ustar / GNU tar archives (what `tar czf` writes and what
 * the CIFAR-10 archive uses). It yields each regular file with its bytes; callers decide which
 * entries to keep. Written here rather than pulled in as a dependency because the format subset we
 * need is small, and because truncation must surface as an error (a half-downloaded archive must
 * never look like a short but valid one).
 */
import { InputError } from '../common/errors.js';

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive, with `/` separators. */
  path: string;
  /** '0' regular file, '5' directory, … (ustar typeflag). */
  type: string;
  size: number;
  /** File contents; empty for non-regular entries. */
  data: Buffer;
}

export class TarFormatError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'the archive is damaged or incomplete: download it again' });
    this.name = 'TarFormatError';
  }
}

/** Reads whole chunks from a byte stream, exactly `n` bytes at a time. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Returns exactly `n` bytes, or fewer only when the stream ended first. */
  async read(n: number): Promise<Buffer> {
    while (this.length < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    const take = Math.min(n, this.length);
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const result = out.subarray(0, take);
    const rest = out.subarray(take);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return result;
  }

  /** Consumes the rest of the stream, so errors after the end marker (truncated gzip) surface. */
  async drain(): Promise<void> {
    this.chunks = [];
    this.length = 0;
    while (!this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
    }
  }

  async close(): Promise<void> {
    if (!this.done) await this.iterator.return?.();
  }
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function readNumber(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length);
  // GNU base-256 encoding for sizes over 8 GiB: high bit of the first byte set.
  if ((field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`invalid ${what} field ${JSON.stringify(text)} in tar header`);
  return parseInt(text, 8);
}

function verifyHeaderChecksum(block: Buffer): void {
  const stored = readNumber(block, 148, 8, 'checksum');
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 32 : block[i]!;
  if (stored !== unsigned) throw new TarFormatError('tar header checksum mismatch (corrupt archive?)');
}

function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const length = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

/**
 * Iterates the entries of an (already decompressed) tar stream. `wanted` lets the caller skip
 * the bytes of entries it does not need without buffering them.
 */
export async function* readTar(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  wanted: (path: string) => boolean = () => true,
): AsyncGenerator<TarEntry> {
  const queue = new ByteQueue(source);
  let longName: string | undefined;
  let paxPath: string | undefined;
  try {
    for (;;) {
      const header = await queue.read(BLOCK);
      if (header.length === 0) throw new TarFormatError('tar archive ends without its end-of-archive marker (truncated?)');
      if (header.length < BLOCK) throw new TarFormatError('tar archive is truncated inside a header');
      if (header.every((b) => b === 0)) {
        // End-of-archive marker; what follows is zero padding up to the blocking factor.
        await queue.drain();
        return;
      }
      verifyHeaderChecksum(header);

      const type = String.fromCharCode(header[156]! || 0x30);
      const size = readNumber(header, 124, 12, 'size');
      const magic = readString(header, 257, 6);
      const prefix = magic.startsWith('ustar') ? readString(header, 345, 155) : '';
      let path = readString(header, 0, 100);
      if (prefix) path = `${prefix}/${path}`;
      if (longName !== undefined) path = longName;
      if (paxPath !== undefined) path = paxPath;

      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const isMeta = type === 'L' || type === 'x' || type === 'g';
      const keep = isMeta || ((type === '0' || type === '7') && wanted(path));
      let data: Buffer = Buffer.alloc(0);
      if (keep) {
        const body = await queue.read(padded);
        if (body.length < padded) throw new TarFormatError(`tar archive is truncated inside ${path}`);
        data = body.subarray(0, size);
      } else {
        // Skip in bounded steps so a huge unwanted member is never held in memory at once.
        for (let left = padded; left > 0; ) {
          const step = Math.min(left, 1 << 20);
          const skipped = await queue.read(step);
          if (skipped.length < step) throw new TarFormatError(`tar archive is truncated inside ${path}`);
          left -= step;
        }
      }

      if (type === 'L') {
        longName = readString(data, 0, data.length);
        continue;
      }
      if (type === 'x') {
        paxPath = parsePax(data).get('path');
        continue;
      }
      if (type === 'g') continue;
      longName = undefined;
      paxPath = undefined;
      yield { path: path.replace(/^\.\//, ''), type, size, data: type === '0' || type === '7' ? data : Buffer.alloc(0) };
    }
  } finally {
    await queue.close();
  }
}
