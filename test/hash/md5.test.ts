/** md5 as DVC computes it: files (DVC 2's CRLF-blind form too) and directory listings. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dvcDirMd5, dvcFileMd5, fileHasMd5 } from '../../src/hash/md5.js';
import type { Md5 } from '../../src/schema/md5.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const md5 = (data: string | Buffer): Md5 => createHash('md5').update(data).digest('hex') as Md5;

test("a text file with CRLF: DVC 3's md5 is of its bytes, DVC 2's of its LF form; a binary file is never converted", () => {
  const dir = tempDir();
  dirs.push(dir);
  const text = path.join(dir, 't.csv');
  fs.writeFileSync(text, 'a,b\r\n1,2\r\n');
  expect(dvcFileMd5(text, false)).toBe(md5('a,b\r\n1,2\r\n'));
  expect(dvcFileMd5(text, true)).toBe(md5('a,b\n1,2\n'));
  expect(fileHasMd5(text, md5('a,b\n1,2\n'), true)).toBe(true);
  expect(fileHasMd5(text, md5('a,b\n1,2\n'), false)).toBe(false);
  const binary = path.join(dir, 'b.bin');
  fs.writeFileSync(binary, Buffer.from([0, 13, 10, 1]));
  expect(dvcFileMd5(binary, true)).toBe(md5(Buffer.from([0, 13, 10, 1])));
});

test("a directory's hash is the md5 of Python's json.dumps of its sorted listing, non-ASCII escaped", () => {
  const a = md5('a');
  const b = md5('b');
  const { hash, listing } = dvcDirMd5([
    { relpath: 'z/é.txt', md5: b },
    { relpath: 'a.txt', md5: a },
  ]);
  // What python3 -c 'import json; print(json.dumps(sorted(…, key=…), sort_keys=True))' prints.
  expect(listing).toBe(`[{"md5": "${a}", "relpath": "a.txt"}, {"md5": "${b}", "relpath": "z/\\u00e9.txt"}]`);
  expect(hash).toBe(`${md5(listing)}.dir`);
});
