/**
 * Who owns a temp file. Every temp name mlp makes (in the cache, beside objects, beside files it
 * rewrites, on remotes) carries `<host tag>-<pid>-<random>`, so a later command — or `gc` — can
 * tell a file that a live process is still writing from one that a killed process left behind:
 *
 * - made on this host: abandoned when its pid no longer runs (or after 7 days, for a pid reused
 *   by an unrelated process);
 * - made on another host (a shared disk, a remote several clients push to) or with no owner tag
 *   (an older mlp): abandoned once it is older than a day — no upload or download of one object
 *   takes that long.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './processes.js';

/** 8 hex digits naming this host in temp names (a hash: host names can hold any character). */
export const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

export const FOREIGN_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
export const LOCAL_TEMP_MAX_AGE_MS = 7 * FOREIGN_TEMP_MAX_AGE_MS;

/** `<host tag>-<pid>-<random>`: the owner part of a temp name made by this process. */
export function tempOwnerTag(): string {
  return `${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

const OWNER = /(?:^|\.)([0-9a-f]{8})-(\d+)-[0-9a-f]{8}(?:[-.]|$)/;

export function parseTempOwner(name: string): { host: string; pid: number } | undefined {
  const m = OWNER.exec(name);
  return m ? { host: m[1] as string, pid: Number(m[2]) } : undefined;
}

/** Whether the temp file `name` (last modified at `mtimeMs`) belongs to no live mlp process. */
export function isAbandoned(name: string, mtimeMs: number, now = Date.now()): boolean {
  const owner = parseTempOwner(name);
  const age = now - mtimeMs;
  if (owner?.host === HOST_TAG) return !isProcessAlive(owner.pid) || age > LOCAL_TEMP_MAX_AGE_MS;
  return age > FOREIGN_TEMP_MAX_AGE_MS;
}

export interface SweepResult {
  files: number;
  bytes: number;
}

/**
 * Removes the abandoned temp files directly in `dir` whose names `isTemp` accepts. A file that
 * vanishes meanwhile (its owner renamed it into place) is not an error.
 */
export function removeAbandonedTemps(dir: string, isTemp: (name: string) => boolean, into: SweepResult = { files: 0, bytes: 0 }, dryRun = false): SweepResult {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return into;
  }
  const now = Date.now();
  for (const name of names) {
    if (!isTemp(name)) continue;
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!stat || stat.isDirectory() || !isAbandoned(name, stat.mtimeMs, now)) continue;
    try {
      if (!dryRun) fs.rmSync(file, { force: true });
      into.files++;
      into.bytes += stat.size;
    } catch {
      // Not ours to insist on: the next sweep tries again.
    }
  }
  return into;
}

export const isTempName = (name: string): boolean => name.endsWith('.tmp');
