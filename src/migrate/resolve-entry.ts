/**
 * What mlp records for a path that a DVC file recorded with an md5: the sha256 of the same
 * content, from DVC's imported cache or from the workspace once the workspace is checked against
 * the md5. Content that matches neither is not recorded (the stage reruns, the pointer is left out).
 */
import fs from 'node:fs';
import type { PathHash, PathHasher } from '../hash/hash-path.js';
import { dvcDirMd5, dvcFileMd5, fileHasMd5 } from '../hash/md5.js';
import type { DvcOut } from '../schema/dvc.js';
import { isDirHash, md5Of, type DvcHash } from '../schema/md5.js';
import { joinInside, type RepoPath } from '../schema/repo-path.js';
import type { CacheImport } from './dvc-cache.js';
import type { HashInfo } from '../hash/hash-path.js';

export type Resolved =
  | { ok: true; info: HashInfo; /** Only the workspace holds it: save it into the cache. */ fromWorkspace: boolean }
  | { ok: false; problem: string };

export function resolveEntry(root: string, hasher: PathHasher, cache: CacheImport, rel: RepoPath, out: DvcOut): Resolved {
  const md5 = out.md5;
  if (md5 === undefined) return { ok: false, problem: `${rel}: no md5 recorded (a cloud-versioned or external path)` };
  // DVC 3 writes `hash: md5`; without it the entry is DVC 2's, which ignored CRLF in text files.
  const legacy = out.hash !== 'md5';
  const known = cache.known.get(md5);
  const now = hasher.hash(rel);
  if (known) {
    if (!now || now.hash === known.sha256) return { ok: true, info: infoOf(known.sha256, known.size, known.nfiles), fromWorkspace: false };
    return { ok: false, problem: `${rel} changed since DVC recorded it` };
  }
  if (!now) return { ok: false, problem: `${rel} is neither in the workspace nor in DVC's cache (\`dvc pull\` it first)` };
  const matches = isDirHash(md5) ? directoryMatches(root, hasher, cache, rel, md5, now, legacy) : !now.manifest && fileHasMd5(joinInside(root, rel), md5Of(md5), legacy);
  if (matches === true) return { ok: true, info: infoOf(now.hash, now.size, now.nfiles), fromWorkspace: true };
  return { ok: false, problem: typeof matches === 'string' ? matches : `${rel} changed since DVC recorded it` };
}

function infoOf(hash: HashInfo['hash'], size: number, nfiles: number | undefined): HashInfo {
  const info: HashInfo = { hash, size };
  if (nfiles !== undefined) info.nfiles = nfiles;
  return info;
}

/** A workspace directory against DVC's `.dir` listing: the same files, each with its md5. */
function directoryMatches(root: string, hasher: PathHasher, cache: CacheImport, rel: RepoPath, md5: DvcHash, now: PathHash, legacy: boolean): boolean | string {
  const listing = cache.listings.get(md5);
  if (!listing) {
    // No listing to compare with: compute DVC's hash of the directory as DVC would.
    const entries = (now.manifest ?? []).map((e) => ({ relpath: e.path as string, md5: dvcFileMd5(joinInside(root, `${rel}/${e.path}` as RepoPath), legacy) }));
    return dvcDirMd5(entries).hash === md5;
  }
  if (!now.manifest || now.manifest.length !== listing.length) return false;
  const byPath = new Map(now.manifest.map((e) => [e.path as string, e]));
  for (const entry of listing) {
    const mine = byPath.get(entry.relpath);
    if (!mine) return false;
    const known = cache.known.get(entry.md5 as string as DvcHash);
    if (known) {
      if (known.sha256 !== mine.hash) return false;
    } else {
      const abs = joinInside(root, `${rel}/${entry.relpath}` as RepoPath);
      if (!fs.existsSync(abs) || !fileHasMd5(abs, entry.md5, legacy)) return false;
    }
  }
  return true;
}
