/**
 * DVC's cache → mlp's object store. DVC names objects by md5: `.dvc/cache/files/md5/<2>/<30>`
 * (DVC 3) and `.dvc/cache/<2>/<30>` (DVC 2, whose md5 of a text file ignored CRLF), directories
 * as `<md5>.dir` listings of `{md5, relpath}`. Each file object is stored by its sha256 and the
 * stored bytes checked against the md5 it was named by (a mismatch is reported, never imported);
 * each listing becomes an mlp manifest once every file in it is known. The result maps DVC's
 * hashes to mlp's, which the lock and pointer conversion use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '../cache/object-store.js';
import { hashBytes, hashFileSync } from '../hash/hash-file.js';
import { compareStrings, serializeManifest, type ManifestEntry } from '../hash/hash-path.js';
import { fileHasMd5, md5Bytes } from '../hash/md5.js';
import { parseDvcDirManifest, type DvcDirEntry } from '../schema/dvc.js';
import { dvcHashFromNames, isDirHash, md5Of, type DvcHash } from '../schema/md5.js';
import type { Sha256 } from '../schema/sha256.js';

/** What a DVC hash is in mlp's store. */
export interface KnownObject {
  sha256: Sha256;
  size: number;
  /** Directories only. */
  nfiles?: number;
  manifest?: ManifestEntry[];
}

export interface CacheImport {
  /** DVC hash (`<md5>` or `<md5>.dir`) → mlp object. */
  known: Map<DvcHash, KnownObject>;
  /** Every `.dir` listing read, complete or not (to check a workspace directory against). */
  listings: Map<DvcHash, DvcDirEntry[]>;
  /** Objects stored now (files and directory manifests). */
  imported: number;
  /** Objects that were in mlp's store already. */
  present: number;
  /** Bytes of the file objects stored now. */
  bytes: number;
  /** DVC cache objects whose content does not match their name (or unreadable listings): not imported. */
  corrupt: string[];
  /** Directory listings naming files that are not in DVC's cache: not imported. */
  incomplete: string[];
}

interface Found {
  hash: DvcHash;
  abs: string;
  /** In DVC 2's layout: an md5 of a text file may ignore CRLF. */
  legacy: boolean;
}

/** The DVC cache objects under `cacheDir` (both layouts). */
function listObjects(cacheDir: string): Found[] {
  const found: Found[] = [];
  const scan = (dir: string, legacy: boolean): void => {
    let shards: fs.Dirent[];
    try {
      shards = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const shard of shards) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      for (const entry of fs.readdirSync(path.join(dir, shard.name), { withFileTypes: true })) {
        const hash = entry.isFile() ? dvcHashFromNames(shard.name, entry.name) : undefined;
        if (hash !== undefined) found.push({ hash, abs: path.join(dir, shard.name, entry.name), legacy });
      }
    }
  };
  scan(path.join(cacheDir, 'files', 'md5'), false);
  scan(cacheDir, true);
  // Files first: a listing is converted once the files it names are known.
  return found.sort((a, b) => Number(isDirHash(a.hash)) - Number(isDirHash(b.hash)) || compareStrings(a.hash, b.hash));
}

/**
 * Imports every object of DVC's cache at `cacheDir` (absolute; shown as `shownDir`) into `store`;
 * with `dryRun`, only works out what it would import (`store` is only asked what it has).
 */
export function importDvcCache(cacheDir: string, shownDir: string, store: ObjectStore, dryRun: boolean): CacheImport {
  const result: CacheImport = { known: new Map(), listings: new Map(), imported: 0, present: 0, bytes: 0, corrupt: [], incomplete: [] };
  const shown = (abs: string): string => path.join(shownDir, path.relative(cacheDir, abs)).split(path.sep).join('/');
  for (const object of listObjects(cacheDir)) {
    if (result.known.has(object.hash)) continue; // in both layouts
    if (isDirHash(object.hash)) importListing(object, result, store, dryRun, shown(object.abs));
    else importFile(object, result, store, dryRun, shown(object.abs));
  }
  return result;
}

function importFile(object: Found, result: CacheImport, store: ObjectStore, dryRun: boolean, shown: string): void {
  const md5 = md5Of(object.hash);
  const stat = fs.statSync(object.abs);
  if (dryRun) {
    if (!fileHasMd5(object.abs, md5, object.legacy)) {
      result.corrupt.push(shown);
      return;
    }
    const sha256 = hashFileSync(object.abs);
    result.known.set(object.hash, { sha256, size: stat.size });
    count(result, store.has(sha256), stat.size);
    return;
  }
  // The stored object itself is checked against the md5: what enters the store is what was verified.
  const before = store.has(hashFileSync(object.abs));
  const stored = store.addFileSync(object.abs, stat, { label: shown });
  if (!fileHasMd5(store.objectPath(stored.hash), md5, object.legacy)) {
    if (!before) store.remove(stored.hash);
    result.corrupt.push(shown);
    return;
  }
  result.known.set(object.hash, { sha256: stored.hash, size: stored.size });
  count(result, before, stored.size);
}

function count(result: CacheImport, present: boolean, bytes: number): void {
  if (present) result.present++;
  else {
    result.imported++;
    result.bytes += bytes;
  }
}

function importListing(object: Found, result: CacheImport, store: ObjectStore, dryRun: boolean, shown: string): void {
  const text = fs.readFileSync(object.abs, 'utf8');
  let entries: DvcDirEntry[];
  try {
    if (md5Bytes(text) !== md5Of(object.hash)) throw new Error('content does not match its name');
    entries = parseDvcDirManifest(text, shown);
  } catch {
    result.corrupt.push(shown);
    return;
  }
  result.listings.set(object.hash, entries);
  const manifest: ManifestEntry[] = [];
  for (const e of entries) {
    const file = result.known.get(e.md5 as string as DvcHash);
    if (!file) {
      result.incomplete.push(shown);
      return;
    }
    manifest.push({ path: e.relpath, hash: file.sha256, size: file.size });
  }
  manifest.sort((a, b) => compareStrings(a.path, b.path));
  const text256 = serializeManifest(manifest);
  const sha256 = hashBytes(text256);
  const present = store.has(sha256);
  if (!present && !dryRun) store.putManifest(manifest);
  count(result, present, 0);
  result.known.set(object.hash, { sha256, size: manifest.reduce((n, e) => n + e.size, 0), nfiles: manifest.length, manifest });
}
