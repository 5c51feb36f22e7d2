/**
 * `mlp checkout`: makes the workspace match pipeline.lock and the pointer files (e.g. after
 * `git checkout`), restoring from the cache every output or tracked path that differs.
 */
import { MissingObjectError } from '../cache/checkout.js';
import { UnsavedChangesError } from '../cache/unsaved.js';
import { ExitCode, MlpError } from '../errors.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import type { Repo } from '../repo/repo.js';
import { resolveTargets } from '../repro/targets.js';
import { isSameOrInside } from '../util/fs.js';

export interface CheckoutItem {
  path: string;
  /** The stage or pointer file that records it. */
  source: string;
  /** `unsaved`: left as it is, since checking it out would discard `files` (not in the cache). */
  outcome: 'unchanged' | 'restored' | 'missing' | 'failed' | 'unsaved';
  message?: string;
  files?: string[];
}

export interface CheckoutOptions {
  /** Overwrite and delete workspace files even when their content is not in the cache. */
  force?: boolean;
}

/** What the lockfile and pointers say the workspace should hold, narrowed to `targets`. */
export function recordedPaths(repo: Repo, targets: readonly string[]): RecordedPath[] {
  const wanted: RecordedPath[] = [];
  const pointerTargets: string[] = [];
  const stageTargets: string[] = [];
  for (const t of targets) {
    const rel = repo.relativeOrRoot(t.endsWith('.mlp') ? t.slice(0, -4) : t);
    if (repo.pipeline.stages.has(t) || [...repo.pipeline.stages.keys()].some((n) => n.startsWith(`${t}@`))) stageTargets.push(t);
    else pointerTargets.push(rel);
  }
  const pointers = repo.pointers();
  const pointerMatches = (p: string): boolean => pointerTargets.some((t) => isSameOrInside(p, t) || isSameOrInside(t, p));
  const everything = targets.length === 0;
  const stageNames = everything ? [...repo.pipeline.stages.keys()] : resolveTargets(repo.pipeline, stageTargets);
  for (const name of stageNames) {
    const stage = repo.pipeline.stages.get(name);
    const entry = repo.lock.get(name);
    if (!stage || !entry) continue;
    const declared = new Set(stage.outs.map((o) => o.path));
    for (const out of entry.outs) if (declared.has(out.path)) wanted.push({ path: out.path, source: name, info: out });
  }
  // A path target that is a stage output (not a pointer) selects that output alone.
  if (!everything) {
    for (const [name, entry] of repo.lock.names().map((n) => [n, repo.lock.get(n)] as const)) {
      for (const out of entry?.outs ?? []) {
        if (pointerTargets.some((t) => isSameOrInside(out.path, t)) && !wanted.some((w) => w.path === out.path)) {
          wanted.push({ path: out.path, source: name, info: out });
        }
      }
    }
  }
  for (const p of pointers) if (everything || pointerMatches(p.path)) wanted.push({ path: p.path, source: p.file, info: p.info });
  if (!everything && wanted.length === 0) {
    throw new MlpError(`nothing recorded matches ${targets.join(', ')}`, { hint: 'name a stage, an output path or a tracked path' });
  }
  return wanted;
}

/**
 * Checks out every recorded path (or those of `targets`). A path that would lose unsaved work is
 * left untouched and reported as `unsaved` (unless `force`); the others are still checked out.
 */
export function checkoutWorkspace(repo: Repo, targets: readonly string[], options: CheckoutOptions = {}): CheckoutItem[] {
  return recordedPaths(repo, targets).map(({ path, source, info }): CheckoutItem => {
    try {
      return { path, source, outcome: repo.cache.checkout(path, info, undefined, options.force === true) };
    } catch (error) {
      if (error instanceof UnsavedChangesError) return { path, source, outcome: 'unsaved', files: [...error.files], message: error.message };
      // A file that tries to reach outside the repository stops the checkout (exit 3).
      if (!(error instanceof MlpError) || error.exitCode === ExitCode.invalidPipeline) throw error;
      return { path, source, outcome: error instanceof MissingObjectError ? 'missing' : 'failed', message: error.message };
    }
  });
}
