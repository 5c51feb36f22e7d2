/**
 * Outputs saved before a stage run deleted them: content that was in no other place (never
 * cached, not what pipeline.lock records, not committed to git). The data goes into the cache;
 * a record in pointer-file format goes to `.mlp/cache/saved/<time>-<stage>/<output path>.mlp`,
 * so it can be restored with the usual commands (copy the record next to where the data should
 * go, then `mlp checkout` that path) and `gc` keeps it, whatever the scope, until the record is
 * deleted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HashInfo } from '../hash/hash-path.js';
import { parsePointer, pointerFileFor, writePointer, type Pointer } from '../pointer/pointer-file.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';
import type { RepoPath } from '../schema/repo-path.js';

/** Where records live, relative to the cache directory. */
export const SAVED_DIR = 'saved';

/** Writes the record of `outPath` (of `stage`), saved as `info`; returns its absolute path. */
export function writeSavedRecord(cacheDir: string, stage: string, outPath: RepoPath, info: HashInfo, now = new Date()): string {
  const stamp = now.toISOString().replace(/:/g, '-');
  const dir = path.join(cacheDir, SAVED_DIR, `${stamp}-${stage.replace(/[^A-Za-z0-9_.@-]/g, '_')}`);
  fs.mkdirSync(dir, { recursive: true });
  writePointer(dir, { path: outPath, info });
  return path.join(dir, pointerFileFor(outPath));
}

/** Every saved record (unreadable ones are skipped: they reference nothing gc could keep). */
export function savedRecords(cacheDir: string): Pointer[] {
  const records: Pointer[] = [];
  const walk = (dir: string, rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), childRel);
      else if (entry.name.endsWith(POINTER_SUFFIX)) {
        try {
          records.push(parsePointer(childRel, fs.readFileSync(path.join(dir, entry.name), 'utf8')));
        } catch {
          // skipped
        }
      }
    }
  };
  walk(path.join(cacheDir, SAVED_DIR), '');
  return records;
}
