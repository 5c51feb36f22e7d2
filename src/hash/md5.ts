/**
 * md5 of file contents, as DVC names its objects: read only by `mlp migrate`, which checks DVC's
 * cache and workspace against what DVC's files recorded. mlp itself names content by sha256.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { computedMd5, type Md5 } from '../schema/md5.js';

const CHUNK = 128 * 1024;
/** DVC 2 ignored CRLF in text files up to any size; mlp reads at most this much whole to check that. */
const DOS2UNIX_LIMIT = 256 * 1024 * 1024;

export function md5Bytes(data: string | Uint8Array): Md5 {
  return computedMd5(createHash('md5').update(data).digest('hex'));
}

export function md5FileSync(file: string): Md5 {
  const hash = createHash('md5');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(n === CHUNK ? buffer : buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return computedMd5(hash.digest('hex'));
}

/**
 * Whether `file` has the md5 `expected`. With `legacy` (hashes written by DVC 2, which hashed a
 * text file with its CRLF line ends turned into LF: "md5-dos2unix"), that form counts too.
 */
export function fileHasMd5(file: string, expected: Md5, legacy: boolean): boolean {
  if (md5FileSync(file) === expected) return true;
  if (!legacy) return false;
  if (fs.statSync(file).size > DOS2UNIX_LIMIT) return false;
  const data = fs.readFileSync(file);
  // DVC's text test: no NUL byte in the first 8 KiB.
  if (data.subarray(0, 8192).includes(0) || !data.includes(13)) return false;
  return md5Bytes(Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')) === expected;
}

/**
 * The md5 DVC records for `file`: of its bytes, or with `legacy` (DVC 2) of a text file with its
 * CRLF line ends turned into LF.
 */
export function dvcFileMd5(file: string, legacy: boolean): Md5 {
  if (!legacy || fs.statSync(file).size > DOS2UNIX_LIMIT) return md5FileSync(file);
  const data = fs.readFileSync(file);
  if (data.subarray(0, 8192).includes(0) || !data.includes(13)) return md5Bytes(data);
  return md5Bytes(Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'));
}

/**
 * The hash DVC gives a directory: the md5 of its `.dir` listing, Python's
 * `json.dumps(sorted([{md5, relpath}]), sort_keys=True)` (`, ` and `: ` separators, non-ASCII
 * as \uXXXX escapes), with `.dir` after it.
 */
export function dvcDirMd5(entries: readonly { relpath: string; md5: string }[]): { hash: string; listing: string } {
  const sorted = [...entries].sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0));
  const ascii = (value: string): string => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const listing = `[${sorted.map((e) => `{"md5": ${ascii(e.md5)}, "relpath": ${ascii(e.relpath)}}`).join(', ')}]`;
  return { hash: `${md5Bytes(listing)}.dir`, listing };
}
