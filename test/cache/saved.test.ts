/** Saved-output records (src/cache/saved.ts): written in pointer format, read back by gc and users. */
import fs from 'node:fs';
import path from 'node:path';
import { SAVED_DIR, savedRecords, writeSavedRecord } from '../../src/cache/saved.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import { toRepoPath } from '../../src/schema/repo-path.js';
import { tempDir, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function cacheDir(): string {
  const dir = tempDir('mlp-saved-');
  dirs.push(dir);
  return path.join(dir, 'cache');
}

describe('saved records', () => {
  test('a record is a pointer file under saved/<time>-<stage>/ that savedRecords reads back', () => {
    const cache = cacheDir();
    const file = { hash: hashBytes('model'), size: 5 };
    const dir = { hash: hashBytes('manifest'), size: 10, nfiles: 2 };
    const at = new Date('2026-11-30T08:30:15.123Z');
    const written = writeSavedRecord(cache, 'train', toRepoPath('models/m.bin'), file, at);
    expect(written).toBe(path.join(cache, SAVED_DIR, '2026-11-30T08-30-15.123Z-train', 'models', 'm.bin.mlp'));
    expect(fs.readFileSync(written, 'utf8')).toContain(`sha256: ${file.hash}`);
    writeSavedRecord(cache, 'prepare', toRepoPath('data/prep'), dir, at);
    const records = savedRecords(cache).sort((a, b) => a.path.localeCompare(b.path));
    // Paths are relative to the saved folder (gc needs only the hashes).
    expect(records.map((r) => [r.path, r.info])).toEqual([
      ['2026-11-30T08-30-15.123Z-prepare/data/prep', dir],
      ['2026-11-30T08-30-15.123Z-train/models/m.bin', file],
    ]);
  });

  test('stage names that are not safe in a file name are made safe; the same output twice gives two records', () => {
    const cache = cacheDir();
    const info = { hash: hashBytes('x'), size: 1 };
    const a = writeSavedRecord(cache, 'train@{lr: 0.1}/../x', toRepoPath('out.txt'), info, new Date(1000));
    const b = writeSavedRecord(cache, 'train@{lr: 0.1}/../x', toRepoPath('out.txt'), info, new Date(2000));
    expect(path.relative(path.join(cache, SAVED_DIR), a)).toBe('1970-01-01T00-00-01.000Z-train@_lr__0.1__.._x/out.txt.mlp');
    expect(a).not.toBe(b);
    expect(savedRecords(cache)).toHaveLength(2);
  });

  test('no saved folder: no records; unreadable or invalid records are skipped', () => {
    const cache = cacheDir();
    expect(savedRecords(cache)).toEqual([]);
    const info = { hash: hashBytes('good'), size: 4 };
    writeSavedRecord(cache, 's', toRepoPath('good.txt'), info);
    writeFiles(path.join(cache, SAVED_DIR), {
      'x-s/bad.txt.mlp': 'outs:\n- path: ../../escape\n  sha256: nothex\n  size: 1\n',
      'x-s/notes.txt': 'not a record',
    });
    expect(savedRecords(cache).map((r) => r.info)).toEqual([info]);
  });
});
