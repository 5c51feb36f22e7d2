/**
 * A byte-for-byte picture of a directory tree — every entry's relative path, type, mode, and the
 * sha256 of a file's content (a symlink's target) — so a test can assert that nothing in it
 * changed: no file written, deleted, replaced (a rename changes nothing here but the mode does),
 * or added.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type TreeSnapshot = Record<string, string>;

/** Snapshots `dir`, skipping the absolute paths in `exclude` (and everything under them). */
export function snapshotTree(dir: string, exclude: readonly string[] = []): TreeSnapshot {
  const skip = new Set(exclude.map((p) => path.resolve(p)));
  const out: TreeSnapshot = {};
  const walk = (abs: string, rel: string): void => {
    if (skip.has(abs)) return;
    const stat = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (!stat) return;
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isSymbolicLink()) {
      out[rel] = `link ${fs.readlinkSync(abs)}`;
    } else if (stat.isDirectory()) {
      out[rel] = `dir ${mode}`;
      for (const name of fs.readdirSync(abs).sort()) walk(path.join(abs, name), rel === '' ? name : `${rel}/${name}`);
    } else if (stat.isFile()) {
      out[rel] = `file ${mode} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
    } else {
      out[rel] = `other ${mode}`;
    }
  };
  walk(path.resolve(dir), '');
  return out;
}
