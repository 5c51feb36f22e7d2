/**
 * `mlp gc`: removes cache objects that nothing references. References come from the workspace's
 * pipeline.lock and pointer files, and with `allCommits` from those files at every git commit.
 * Run-cache entries whose outputs are no longer all in the cache are removed too, and so are the
 * temp files of killed commands (see src/util/temp-files.ts for whose are whose).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { GitRepo } from '../git/git.js';
import type { HashInfo } from '../hash/hash-path.js';
import { Lockfile, type LockedPath } from '../lock/lockfile.js';
import { parsePointer } from '../lock/pointer-file.js';
import { LOCK_FILE, POINTER_SUFFIX } from '../pipeline/schema.js';
import type { Repo } from '../repo/repo.js';
import { isTempName, removeAbandonedTemps } from '../util/temp-files.js';

export interface GcResult {
  kept: number;
  removed: number;
  bytesFreed: number;
  runsRemoved: number;
  /** Temp files that no live mlp process owns (left by killed commands), removed too. */
  tempFiles: number;
  tempBytes: number;
}

function workspaceReferences(repo: Repo): HashInfo[] {
  const refs: HashInfo[] = [];
  for (const name of repo.lock.names()) refs.push(...(repo.lock.get(name)?.outs ?? []));
  for (const p of repo.pointers()) refs.push(p.info);
  return refs;
}

/** Hashes recorded by the lockfile and pointer files of every commit, read through git. */
function commitReferences(root: string): HashInfo[] {
  const git = GitRepo.tryOpen(root);
  if (!git) throw new MlpError('`--all-commits` needs a git repository', { hint: 'run it inside a git work tree, or drop --all-commits' });
  const refs: HashInfo[] = [];
  for (const commit of git.allCommits()) {
    const files = git.filesAt(commit).filter((f) => f === LOCK_FILE || f.endsWith(POINTER_SUFFIX));
    for (const [file, blob] of git.readBlobs(commit, files)) {
      if (!blob) continue;
      try {
        if (file === LOCK_FILE) for (const entry of Lockfile.parse(blob.toString('utf8')).values()) refs.push(...entry.outs);
        else refs.push(parsePointer(file, blob.toString('utf8')).info);
      } catch {
        // An unparsable file in an old commit references nothing we can keep.
      }
    }
  }
  return refs;
}

export function collectGarbage(repo: Repo, options: { allCommits: boolean; dryRun: boolean }): GcResult {
  const keep = new Set<string>();
  const refs = [...workspaceReferences(repo), ...(options.allCommits ? commitReferences(repo.root) : [])];
  for (const ref of refs) {
    keep.add(ref.hash);
    if (ref.nfiles !== undefined && repo.store.has(ref.hash)) {
      for (const entry of repo.store.readManifest(ref.hash)) keep.add(entry.hash);
    }
  }
  let removed = 0;
  let bytesFreed = 0;
  let kept = 0;
  for (const hash of [...repo.store.listObjects()]) {
    if (keep.has(hash)) {
      kept++;
      continue;
    }
    const file = repo.store.objectPath(hash);
    bytesFreed += fs.statSync(file).size;
    removed++;
    if (!options.dryRun) fs.rmSync(file, { force: true });
  }
  let runsRemoved = 0;
  const runsDir = path.join(repo.cacheDir, 'runs');
  for (const prefix of fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []) {
    for (const name of fs.readdirSync(path.join(runsDir, prefix))) {
      const file = path.join(runsDir, prefix, name);
      let outs: LockedPath[] = [];
      try {
        outs = (JSON.parse(fs.readFileSync(file, 'utf8')) as { outs: LockedPath[] }).outs;
      } catch {
        // unreadable entries are removed
      }
      if (outs.length > 0 && outs.every((o) => keep.has(o.hash))) continue;
      runsRemoved++;
      if (!options.dryRun) fs.rmSync(file, { force: true });
    }
  }
  const temps = repo.store.sweepTemps(options.dryRun);
  removeAbandonedTemps(repo.tmpDir, isTempName, temps, options.dryRun);
  return { kept, removed, bytesFreed, runsRemoved, tempFiles: temps.files, tempBytes: temps.bytes };
}
