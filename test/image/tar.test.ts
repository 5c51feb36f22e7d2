/** The deterministic tar writer, read back by GNU tar (a real, independent reader). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tarBuffer, type TarEntry } from '../../src/image/tar.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function work(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const longDir = `node_modules/${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(60)}`;
const longest = `${'d'.repeat(120)}/${'e'.repeat(120)}.js`; // no split of it fits ustar: a pax header

function entries(source: string): TarEntry[] {
  return [
    { type: 'dir', path: 'usr' },
    { type: 'dir', path: 'usr/bin', mode: 0o755 },
    { type: 'file', path: 'usr/bin/tool', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
    { type: 'file', path: 'usr/big.bin', source, size: fs.statSync(source).size },
    { type: 'symlink', path: 'usr/link', target: 'bin/tool' },
    { type: 'dir', path: longDir },
    { type: 'file', path: `${longDir}/index.js`, data: Buffer.from('module.exports = 1;\n') },
    { type: 'file', path: longest, data: Buffer.from('x') },
    { type: 'file', path: 'naïve.txt', data: Buffer.from('utf-8 name') },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}

describe('tar writer', () => {
  test('GNU tar reads back every entry: files, modes, symlinks, long and UTF-8 names, owners 0:0, mtime fixed', async () => {
    const dir = work();
    const source = path.join(dir, 'big.bin');
    fs.writeFileSync(source, Buffer.alloc(300_000, 7));
    const tar = path.join(dir, 'out.tar');
    fs.writeFileSync(tar, await tarBuffer(entries(source), 0));
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', tar], { encoding: 'utf8' });
    expect(listing).toContain('-rwxr-xr-x 0/0              18 1970-01-01 00:00:00 usr/bin/tool');
    expect(listing).toContain('lrwxrwxrwx 0/0               0 1970-01-01 00:00:00 usr/link -> bin/tool');
    expect(listing).toContain('drwxrwxrwt 0/0               0 1970-01-01 00:00:00 tmp/');
    const out = path.join(dir, 'x');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    expect(fs.readFileSync(path.join(out, 'usr/big.bin')).equals(fs.readFileSync(source))).toBe(true);
    expect(fs.readFileSync(path.join(out, longDir, 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
    expect(fs.readFileSync(path.join(out, longest), 'utf8')).toBe('x');
    expect(fs.readFileSync(path.join(out, 'naïve.txt'), 'utf8')).toBe('utf-8 name');
    expect(fs.readlinkSync(path.join(out, 'usr/link'))).toBe('bin/tool');
  });

  test('the same entries give the same bytes, whenever and by whomever written', async () => {
    const dir = work();
    const source = path.join(dir, 'f');
    fs.writeFileSync(source, 'content');
    const first = await tarBuffer(entries(source), 0);
    fs.utimesSync(source, new Date(), new Date(2001, 1, 1)); // the file's own mtime is not recorded
    const second = await tarBuffer(entries(source), 0);
    expect(second.equals(first)).toBe(true);
  });

  test('a file that changes size while it is written fails instead of corrupting the archive', async () => {
    const dir = work();
    const source = path.join(dir, 'f');
    fs.writeFileSync(source, 'content');
    await expect(tarBuffer([{ type: 'file', path: 'f', source, size: 3 }])).rejects.toThrow(/changed while it was being written/);
  });
});
