/**
 * Run-cache entries between the local cache and a remote, either way, in one place: push sends
 * `syncRunEntries(cache, remote)`, fetch `syncRunEntries(remote, cache)`. Only valid entries
 * cross (an entry names paths a later repro writes to): each is parsed through the schema after
 * it is read and before it is written, and a damaged one stops the sync with its location.
 */
import { parseRunEntry } from '../schema/run-entry.js';
import type { Sha256 } from '../schema/sha256.js';
import { pool } from './transfer.js';

/** Where run-cache entries live (`runs/<2 hex>/<62 hex>` in the cache and on remotes). */
export interface RunEntryDb {
  /** Entry keys here; names that are not `<2 hex>/<62 hex>` (temp files, junk) are skipped. */
  keys(): Promise<Sha256[]>;
  /** The entry's bytes, or undefined if it is gone. */
  read(key: Sha256): Promise<Buffer | undefined>;
  /** Stores the entry atomically. */
  write(key: Sha256, data: Buffer): Promise<void>;
  /** Where entry `key` is, for a located parse error. */
  where(key: Sha256): string;
}

/** Copies the entries `dst` lacks from `src`; returns how many. */
export async function syncRunEntries(src: RunEntryDb, dst: RunEntryDb, jobs: number, signal?: AbortSignal): Promise<number> {
  const have = new Set(await dst.keys());
  const missing = (await src.keys()).filter((k) => !have.has(k));
  let copied = 0;
  await pool(missing, jobs, signal, async (key) => {
    const data = await src.read(key);
    if (data === undefined) return;
    parseRunEntry(data.toString('utf8'), src.where(key));
    await dst.write(key, data);
    copied++;
  });
  return copied;
}
