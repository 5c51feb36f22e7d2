/**
 * Bulk work (src/util/bulk.ts) of `mlp add`: a workspace file into the cache, on whichever thread
 * claims it — `ObjectStore.addFileSync`, as on the one-thread path: read whole, hashed, written to
 * a temp file beside the object and renamed; a file that changes while it is read is read again
 * or refused. Redoing an item writes the same bytes under the same name.
 */
import { isMainThread } from 'node:worker_threads';
import type { Sha256 } from '../schema/sha256.js';
import { runBulk, type BulkWork, type ItemError } from '../util/bulk.js';
import type { FileIdentity } from '../util/stat-signature.js';
import { ObjectStore } from './object-store.js';

export interface StoreItem extends FileIdentity {
  abs: string;
  /** The path as the user knows it, for messages. */
  label: string;
}

/** The stored object's hash and the stat signature of the file whose content it is (plain data: it crosses threads). */
export interface StoreResult {
  hash: Sha256;
  stat: FileIdentity;
}

const stores = new Map<string, ObjectStore>();

/**
 * The store for `cacheDir` in this thread: the repository's own on the main thread (its listings
 * stay current), a helper in a worker (its temp files carry their own owner tag, with the
 * process's pid; the main thread claimed the temp files before any worker started).
 */
function storeFor(cacheDir: string): ObjectStore {
  let store = stores.get(cacheDir);
  if (!store) stores.set(cacheDir, (store = new ObjectStore(cacheDir, undefined, isMainThread ? undefined : 'helper')));
  return store;
}

export function bulkItem(cacheDir: string, item: StoreItem): StoreResult {
  const stored = storeFor(cacheDir).addFileSync(item.abs, item, { label: item.label });
  const { dev, ino, mtimeMs, size } = stored.stat;
  return { hash: stored.hash, stat: { dev, ino, mtimeMs, size } };
}

/** Stores `items` in `store` on all cores; an item that failed is an `ItemError` (the caller redoes it one by one). */
export function storeFiles(store: ObjectStore, items: readonly StoreItem[], onItems?: (from: number, to: number, byWorker: boolean) => void): (StoreResult | ItemError)[] {
  store.claim(); // before any worker writes a temp file (see ObjectStore.claim)
  stores.set(store.cacheDir, store);
  const work: BulkWork<string, StoreItem, StoreResult> = { module: import.meta.url, context: store.cacheDir, run: bulkItem };
  return runBulk(work, items, onItems);
}
