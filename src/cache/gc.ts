/**
 * `mlp gc`: removes cache objects that nothing in an explicit scope references. As in DVC, the
 * scope must be named — the workspace (`-w`), the tips of all branches (`-a`), all tags (`-T`),
 * every commit (`-A`), given revisions (`--rev`) — because "whatever the workspace uses" silently
 * deletes the data of every older commit. The workspace is always part of the scope. Outputs
 * saved before a stage run deleted them (cache/saved.ts) are always kept.
 *
 * Planning and removing are separate steps, so the command can show what will go and ask first.
 * Run-cache entries whose outputs are not all kept go too, and so do the temp files of killed
 * commands (whose are whose: src/util/temp-files.ts).
 */
import fs from 'node:fs';
import { ExitCode, MlpError } from '../errors.js';
import { GitRepo } from '../git/git.js';
import type { HashInfo } from '../hash/hash-path.js';
import { Lockfile } from '../lock/lockfile.js';
import { parsePointer, type Pointer } from '../pointer/pointer-file.js';
import { LOCK_FILE, POINTER_SUFFIX } from '../pipeline/schema.js';
import type { Sha256 } from '../schema/sha256.js';
import { isTempName, removeAbandonedTemps, type SweepResult } from '../util/temp-files.js';
import type { ObjectStore } from './object-store.js';
import type { RunCache } from './run-cache.js';
import { savedRecords } from './saved.js';

/**
 * What gc needs of a repository (src/repo's `Repo` has all of it): cache/ sits below repo/ and
 * does not import it.
 */
export interface GcRepo {
  readonly root: string;
  readonly cacheDir: string;
  readonly tmpDir: string;
  readonly objects: ObjectStore;
  readonly runCache: RunCache;
  readonly lock: Lockfile;
  readonly hashState: { prune(): unknown };
  pointers(): Pointer[];
}

export interface GcScope {
  workspace: boolean;
  allBranches: boolean;
  allTags: boolean;
  allCommits: boolean;
  /** Revisions (commits, branches, tags) whose data to keep. */
  revs: readonly string[];
}

/** A usage error unless the scope names at least one thing to keep. */
export function checkScope(scope: GcScope): void {
  if (scope.workspace || scope.allBranches || scope.allTags || scope.allCommits || scope.revs.length > 0) return;
  throw new MlpError('gc needs an explicit scope: what to keep (everything else in the cache is removed)', {
    hint: '-w/--workspace (only the workspace), -a/--all-branches, -T/--all-tags, -A/--all-commits (every commit: the safe choice), or --rev <rev> (repeatable); add --dry to see what would go',
    exitCode: ExitCode.usage,
  });
}

/** "the workspace, all branch tips and all tags", for messages. */
export function describeScope(scope: GcScope): string {
  const parts = ['the workspace'];
  if (scope.allCommits) parts.push('every git commit');
  else {
    if (scope.allBranches) parts.push('the tip of every branch');
    if (scope.allTags) parts.push('every tag');
    if (scope.revs.length > 0) parts.push(scope.revs.join(', '));
  }
  return parts.length === 1 ? parts[0] as string : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] as string}`;
}

export interface GcReferences {
  /** Everything recorded in the scope (directories by their manifest hash). */
  refs: HashInfo[];
  /** Commits read through git. */
  commits: number;
  /** Saved outputs kept (cache/saved.ts). */
  saved: number;
}

/** The hashes recorded by the workspace, the saved outputs and the commits in `scope`. */
export function collectReferences(repo: GcRepo, scope: GcScope): GcReferences {
  const refs: HashInfo[] = [];
  for (const name of repo.lock.names()) refs.push(...(repo.lock.get(name)?.outs ?? []));
  for (const p of repo.pointers()) refs.push(p.info);
  const saved = savedRecords(repo.cacheDir);
  for (const s of saved) refs.push(s.info);
  const { git, commits } = scopeCommits(repo.root, scope);
  if (git) for (const commit of commits) refs.push(...commitReferences(git, commit));
  return { refs, commits: commits.length, saved: saved.length };
}

/** The commits whose data the scope keeps (the workspace aside). */
function scopeCommits(root: string, scope: GcScope): { git?: GitRepo; commits: string[] } {
  if (!scope.allBranches && !scope.allTags && !scope.allCommits && scope.revs.length === 0) return { commits: [] };
  const git = GitRepo.tryOpen(root);
  if (!git) {
    throw new MlpError('-a, -T, -A and --rev read pipeline.lock and the pointer files of commits, which needs a git repository', {
      hint: 'run it inside a git work tree, or keep only the workspace with -w',
      exitCode: ExitCode.usage,
    });
  }
  const commits = new Set<string>();
  if (scope.allCommits) for (const c of git.allCommits()) commits.add(c);
  if (scope.allBranches) for (const r of git.refs('branches')) commits.add(r.commit);
  if (scope.allTags) for (const r of git.refs('tags')) commits.add(r.commit);
  for (const rev of scope.revs) commits.add(git.resolve(rev));
  return { git, commits: [...commits] };
}

/** Hashes recorded by the lockfiles and pointer files of `commit`, read through git. */
function commitReferences(git: GitRepo, commit: string): HashInfo[] {
  const refs: HashInfo[] = [];
  // Every pipeline.lock, the root's and those next to pipeline files in subdirectories.
  const isLock = (f: string): boolean => f === LOCK_FILE || f.endsWith(`/${LOCK_FILE}`);
  const files = git.filesAt(commit).filter((f) => isLock(f) || f.endsWith(POINTER_SUFFIX));
  for (const [file, blob] of git.readBlobs(commit, files)) {
    if (!blob) continue;
    try {
      if (isLock(file)) for (const entry of Lockfile.parse(blob.toString('utf8'), file).values()) refs.push(...entry.outs);
      else refs.push(parsePointer(file, blob.toString('utf8')).info);
    } catch {
      // An invalid file in an old commit references nothing we can keep.
    }
  }
  return refs;
}

export interface KeepSet {
  hashes: Set<Sha256>;
  /** Directory hashes whose manifest could not be read: their files cannot be told apart. */
  unknownManifests: Sha256[];
}

/**
 * Every object hash `refs` need: each hash, and for directories every file their manifest lists.
 * `manifest(hash)` returns the entries' hashes, or undefined when the manifest is not available.
 */
export function keepSet(refs: readonly HashInfo[], manifest: (hash: Sha256) => Sha256[] | undefined): KeepSet {
  const hashes = new Set<Sha256>();
  const unknown = new Set<Sha256>();
  for (const ref of refs) {
    if (hashes.has(ref.hash)) continue;
    hashes.add(ref.hash);
    if (ref.nfiles === undefined) continue;
    const entries = manifest(ref.hash);
    if (entries === undefined) unknown.add(ref.hash);
    else for (const h of entries) hashes.add(h);
  }
  return { hashes, unknownManifests: [...unknown] };
}

/** Entries of a manifest in the local cache, or undefined if it is absent or unreadable. */
export function localManifest(repo: GcRepo, hash: Sha256): Sha256[] | undefined {
  if (!repo.objects.has(hash)) return undefined;
  try {
    return repo.objects.readManifest(hash).map((e) => e.hash);
  } catch {
    return undefined;
  }
}

export interface GcObject {
  hash: Sha256;
  size: number;
}

export interface GcPlan {
  remove: GcObject[];
  bytes: number;
  kept: number;
  /** Run-cache entries to remove. */
  runs: Sha256[];
  /** Temp files (partial objects, rewrites) that no live mlp process owns. */
  temps: SweepResult;
}

/** What a gc of the local cache would remove, keeping `keep`. */
export function planLocalGc(repo: GcRepo, keep: ReadonlySet<Sha256>): GcPlan {
  const remove: GcObject[] = [];
  let kept = 0;
  let bytes = 0;
  for (const hash of [...repo.objects.listObjects()]) {
    if (keep.has(hash)) {
      kept++;
      continue;
    }
    const size = fs.statSync(repo.objects.objectPath(hash), { throwIfNoEntry: false })?.size ?? 0;
    remove.push({ hash, size });
    bytes += size;
  }
  // An entry goes with any object it references (a restore would fail), and so do invalid ones.
  const runs: Sha256[] = [];
  for (const { key, outs } of repo.runCache.entries()) {
    if (outs !== undefined && outs.length > 0 && outs.every((o) => keep.has(o.hash))) continue;
    runs.push(key);
  }
  // Counted now, removed by applyLocalGc (by the same rule: what a live process owns stays).
  const temps = repo.objects.sweepTemps(true);
  removeAbandonedTemps(repo.tmpDir, isTempName, temps, true);
  return { remove, bytes, kept, runs, temps };
}

/** Removes what `plan` lists from the local cache. */
export function applyLocalGc(repo: GcRepo, plan: GcPlan): void {
  for (const o of plan.remove) repo.objects.remove(o.hash);
  for (const key of plan.runs) repo.runCache.remove(key);
  repo.objects.sweepTemps();
  removeAbandonedTemps(repo.tmpDir, isTempName);
  // The hash state's records of removed objects and deleted files can never match again.
  repo.hashState.prune();
}
