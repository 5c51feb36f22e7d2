/**
 * A deterministic tar writer (POSIX ustar, with a pax header for paths that do not fit), for image
 * layers and `docker load` archives.
 *
 * Why not a library: `tar-stream` (the well-kept choice) is not among mlp's dependencies, and an
 * image layer needs only three entry kinds written the same way every time — no reading, no
 * sparse files, no hard links. Every header field that could vary between machines or runs is
 * fixed here: mtime (the caller's epoch), uid/gid 0, empty user and group names, no device
 * numbers. Entry order is the caller's; `layerEntries` in layer.ts sorts them.
 */
import fs from 'node:fs';

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; data: Buffer }
  /** A file read from disk when written; `size` is checked so that a file changed meanwhile fails the build instead of corrupting it. */
  | { type: 'file'; path: string; mode?: number; source: string; size: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
const READ_CHUNK = 128 * 1024;

/** The tar stream of `entries`, in order, ending with the two zero blocks. */
export async function* tarStream(entries: Iterable<TarEntry>, mtime = 0): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    const size = entry.type === 'file' ? ('data' in entry ? entry.data.length : entry.size) : 0;
    const linkname = entry.type === 'symlink' ? entry.target : '';
    const split = splitName(name);
    if (!split || Buffer.byteLength(linkname) > 100) {
      const pax = paxRecords({ path: name, ...(linkname ? { linkpath: linkname } : {}) });
      yield header({ name: paxName(name), size: pax.length, type: 'x', mode: 0o644, mtime });
      yield pad(pax);
    }
    const { prefix, base } = split ?? { prefix: '', base: name.slice(0, 99) };
    const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
    const type = entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0';
    yield header({ name: base, prefix, size, type, mode, mtime, linkname: Buffer.byteLength(linkname) > 100 ? '' : linkname });
    if (entry.type !== 'file') continue;
    if ('data' in entry) {
      yield pad(entry.data);
      continue;
    }
    let written = 0;
    const fd = fs.openSync(entry.source, 'r');
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, READ_CHUNK, null);
        if (n === 0) break;
        written += n;
        if (written > size) break;
        yield Buffer.from(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    if (written !== size) throw new Error(`${entry.source} changed while it was being written into the image (${size} bytes expected)`);
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** The whole archive in memory (small archives and tests). */
export async function tarBuffer(entries: Iterable<TarEntry>, mtime = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of tarStream(entries, mtime)) parts.push(part);
  return Buffer.concat(parts);
}

/** ustar splits a long name at a `/` into a prefix (≤155 bytes) and a name (≤100); undefined when it cannot. */
function splitName(name: string): { prefix: string; base: string } | undefined {
  if (!isAscii(name)) return undefined; // pax carries UTF-8 exactly; ustar readers disagree on it
  if (name.length <= 100) return { prefix: '', base: name };
  const trailing = name.endsWith('/') ? 1 : 0;
  for (let i = name.indexOf('/'); i !== -1 && i < name.length - trailing; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.slice(0, i), base: name.slice(i + 1) };
  }
  return undefined;
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function paxName(name: string): string {
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'entry';
  return `PaxHeaders/${base.replace(/[^\x20-\x7e]/g, '_')}`.slice(0, 99);
}

/** pax records: "<len> <key>=<value>\n" where <len> counts the whole record, its own digits included. */
function paxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    const bodyLen = Buffer.byteLength(body);
    let len = bodyLen + 1;
    while (len !== bodyLen + String(len).length) len = bodyLen + String(len).length;
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

interface Header {
  name: string;
  prefix?: string;
  size: number;
  type: string;
  mode: number;
  mtime: number;
  linkname?: string;
}

function header(h: Header): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(h.name, 0, 100, 'utf8');
  octal(buf, h.mode & 0o7777, 100, 8);
  octal(buf, 0, 108, 8); // uid
  octal(buf, 0, 116, 8); // gid
  octal(buf, h.size, 124, 12);
  octal(buf, h.mtime, 136, 12);
  buf.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  buf.write(h.type, 156, 1, 'ascii');
  buf.write(h.linkname ?? '', 157, 100, 'utf8');
  buf.write('ustar\u0000', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  // uname, gname: empty; devmajor, devminor: zero
  octal(buf, 0, 329, 8);
  octal(buf, 0, 337, 8);
  buf.write(h.prefix ?? '', 345, 155, 'utf8');
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return buf;
}

function octal(buf: Buffer, value: number, offset: number, length: number): void {
  const text = value.toString(8);
  if (text.length > length - 1) {
    // Sizes over 8 GiB: the GNU/star base-256 form, which every current reader accepts.
    let v = BigInt(value);
    for (let i = offset + length - 1; i > offset; i--) {
      buf[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    buf[offset] = 0x80;
    return;
  }
  buf.write(`${text.padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}
