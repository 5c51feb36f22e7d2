#!/usr/bin/env node
// How a file should enter the cache, by size: read whole and hashed in memory (synchronous), one
// synchronous read → hash → write pass, or the asynchronous pass (reads and writes on libuv's
// thread pool, hashing between callbacks; the event loop stays free). Prints the median of
// several runs per size, from the page cache. Sets SYNC_ADD_LIMIT in src/cache/object-store.ts.
//
//   npm run build && node bench/add-file.mjs [--runs N] [--sizes 0.25,1,40 (MiB)]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const { hashBytes, hashFdSync, hashFile, hashFileSync, hashHandle } = await import(path.join(root, 'dist/src/hash/hash-file.js'));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 9;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-add-file-'));
const MiB = 1024 * 1024;

const strategies = {
  'read whole (sync)': (src, dest) => {
    const data = fs.readFileSync(src);
    hashBytes(data);
    fs.writeFileSync(dest, data);
  },
  'one pass (sync)': (src, dest) => {
    const fd = fs.openSync(src, 'r');
    const out = fs.openSync(dest, 'w');
    hashFdSync(fd, out);
    fs.closeSync(fd);
    fs.closeSync(out);
  },
  'one pass (async)': async (src, dest) => {
    const input = await fs.promises.open(src, 'r');
    const output = await fs.promises.open(dest, 'w');
    await hashHandle(input, output);
    await input.close();
    await output.close();
  },
  'kernel copy, then hash the copy (sync)': (src, dest) => {
    fs.copyFileSync(src, dest, fs.constants.COPYFILE_FICLONE);
    hashFileSync(dest);
  },
  'kernel copy, then hash the copy (async)': async (src, dest) => {
    await fs.promises.copyFile(src, dest, fs.constants.COPYFILE_FICLONE);
    await hashFile(dest);
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| size | ${Object.keys(strategies).join(' | ')} |`);
console.log(`|---|${Object.keys(strategies).map(() => '---').join('|')}|`);
const sizes = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1].split(',').map(Number) : [4 / 1024, 64 / 1024, 0.25, 1, 4, 16, 32, 64, 256];
for (const size of sizes.map((m) => m * MiB)) {
  const src = path.join(dir, 'src.bin');
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) data.writeUInt32LE(i, i);
  fs.writeFileSync(src, data);
  const cells = [];
  for (const run of Object.values(strategies)) {
    const times = [];
    for (let r = 0; r < runs; r++) {
      const dest = path.join(dir, `dest-${r}`);
      const start = performance.now();
      await run(src, dest);
      times.push(performance.now() - start);
      fs.rmSync(dest);
    }
    cells.push(`${median(times).toFixed(2)} ms`);
  }
  console.log(`| ${size < MiB ? `${size / 1024} KiB` : `${size / MiB} MiB`} | ${cells.join(' | ')} |`);
}
fs.rmSync(dir, { recursive: true, force: true });
