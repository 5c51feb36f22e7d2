/**
 * The state cache remembers the hash of each file by (path, inode, mtime, size), so unchanged
 * files are never re-read. It lives in `.mlp/tmp/state.json` and is rewritten atomically only
 * when something changed.
 */
import fs from 'node:fs';
import { isSha256, type Sha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';

type Entry = [ino: number, mtimeMs: number, size: number, hash: string];

interface StateFile {
  version: 1;
  entries: Record<string, Entry>;
}

export class StateCache {
  private entries: Map<string, Entry>;
  private dirty = false;

  private constructor(
    private readonly file: string,
    entries: Map<string, Entry>,
  ) {
    this.entries = entries;
  }

  static load(file: string): StateCache {
    let entries = new Map<string, Entry>();
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StateFile;
      if (parsed.version === 1) entries = new Map(Object.entries(parsed.entries));
    } catch {
      // Missing or unreadable state only costs a rehash.
    }
    return new StateCache(file, entries);
  }

  /** The recorded hash of `key` if the file still has the same inode, mtime and size. */
  get(key: string, stat: fs.Stats): Sha256 | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry[0] !== stat.ino || entry[1] !== stat.mtimeMs || entry[2] !== stat.size) return undefined;
    // state.json is a file too: a recorded hash becomes an object name only if it is a hash.
    return isSha256(entry[3]) ? entry[3] : undefined;
  }

  set(key: string, stat: fs.Stats, hash: string): void {
    const entry = this.entries.get(key);
    if (entry && entry[0] === stat.ino && entry[1] === stat.mtimeMs && entry[2] === stat.size && entry[3] === hash) {
      return;
    }
    this.entries.set(key, [stat.ino, stat.mtimeMs, stat.size, hash]);
    this.dirty = true;
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    const out: StateFile = { version: 1, entries: Object.fromEntries(this.entries) };
    writeFileAtomic(this.file, JSON.stringify(out));
    this.dirty = false;
  }
}
