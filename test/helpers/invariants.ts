/**
 * What must hold after any fault (kill -9, a dead server, a full disk, a hostile file): the
 * checks the fault-injection suite runs after every trial (with `snapshotTree` from
 * tree-snapshot.ts for "nothing else changed").
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Objects under an object-store root (`<root>/files/sha256/<2>/<62>`) whose content does not hash
 * to their name. Temp files (any other name) are not objects and are not checked here.
 */
export function badObjects(storeRoot: string): string[] {
  const base = path.join(storeRoot, 'files', 'sha256');
  const bad: string[] = [];
  if (!fs.existsSync(base)) return bad;
  for (const shard of fs.readdirSync(base)) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const rest of fs.readdirSync(path.join(base, shard))) {
      if (!/^[0-9a-f]{62}$/.test(rest)) continue;
      if (sha256(fs.readFileSync(path.join(base, shard, rest))) !== shard + rest) bad.push(shard + rest);
    }
  }
  return bad;
}

/** Files under `root` whose names mark them as temp files of an interrupted write. */
export function tempFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => /\.tmp$|[/.]tmp-|\.(tmp|old)\.[0-9a-f]{8}-\d+-|mlp-unprotect/.test(f));
}

/** A random integer in [0, n): trials are reproducible with MLP_FAULT_SEED. */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
