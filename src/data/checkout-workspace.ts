/**
 * `mlp checkout`: makes the workspace match pipeline.lock and the pointer files (e.g. after
 * `git checkout`), restoring from the cache every output or tracked path that differs.
 */
import { MissingObjectError } from '../cache/checkout.js';
import { UnsavedChangesError } from '../cache/unsaved.js';
import { ExitCode, MlpError } from '../errors.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import type { Repo } from '../repo/repo.js';
import { resolveTargets, type TargetOptions } from '../pipeline/targets.js';

export interface CheckoutItem {
  path: string;
  /** The stage or pointer file that records it. */
  source: string;
  /** `unsaved`: left as it is, since checking it out would discard `files` (not in the cache). */
  outcome: 'unchanged' | 'restored' | 'missing' | 'failed' | 'unsaved';
  message?: string;
  files?: string[];
}

export interface CheckoutOptions extends Pick<TargetOptions, 'recursive' | 'glob'> {
  /** Overwrite and delete workspace files even when their content is not in the cache. */
  force?: boolean;
  /** Hears where the checkout is, before the first path and after each (the CLI shows it; must not throw). */
  onProgress?: (progress: CheckoutProgress) => void;
}

/** Recorded paths checked out so far and their bytes, of all those selected. */
export interface CheckoutProgress {
  paths: number;
  totalPaths: number;
  bytes: number;
  totalBytes: number;
}

/**
 * What the lockfile and pointers say the workspace should hold, narrowed to `targets` (resolved by
 * src/pipeline/targets.ts): a stage selects its recorded outputs, a path the recorded outputs it
 * names, a pointer file or tracked path that tracked data.
 */
export function recordedPaths(repo: Repo, targets: readonly string[], options: Pick<TargetOptions, 'recursive' | 'glob'> = {}): RecordedPath[] {
  const pointers = repo.pointers();
  const fromStage = (name: string, only?: ReadonlySet<string>): RecordedPath[] => {
    const stage = repo.pipeline.stages.get(name);
    const entry = repo.lock.get(name);
    if (!stage || !entry) return [];
    const declared = new Map(stage.outs.map((o) => [o.path as string, o]));
    return entry.outs
      .filter((o) => declared.has(o.path) && (!only || only.has(o.path)))
      .map((out) => ({ path: out.path, source: name, info: out, ...(declared.get(out.path)?.push === false ? { noPush: true as const } : {}) }));
  };
  if (targets.length === 0) {
    return [...[...repo.pipeline.stages.keys()].flatMap((name) => fromStage(name)), ...pointers.map((p) => ({ path: p.path, source: p.file, info: p.info }))];
  }
  const selection = resolveTargets(repo.pipeline, targets, { ...options, tracked: pointers });
  const wanted: RecordedPath[] = selection.wholeStages.flatMap((name) => fromStage(name));
  for (const name of new Set(selection.outputs.map((o) => o.stage))) {
    if (selection.wholeStages.includes(name)) continue;
    wanted.push(...fromStage(name, new Set(selection.outputs.filter((o) => o.stage === name).map((o) => o.path))));
  }
  const files = new Set(selection.tracked.map((t) => t.file));
  for (const p of pointers) if (files.has(p.file)) wanted.push({ path: p.path, source: p.file, info: p.info });
  if (wanted.length === 0) {
    throw new MlpError(`nothing is recorded yet for ${targets.join(', ')}`, {
      hint: 'run `mlp repro` (or `mlp commit`) to record the outputs of these stages',
      exitCode: ExitCode.usage,
    });
  }
  return wanted;
}

/**
 * Checks out every recorded path (or those of `targets`). A path that would lose unsaved work is
 * left untouched and reported as `unsaved` (unless `force`); the others are still checked out.
 */
export function checkoutWorkspace(repo: Repo, targets: readonly string[], options: CheckoutOptions = {}): CheckoutItem[] {
  const recorded = recordedPaths(repo, targets, options);
  const progress: CheckoutProgress = { paths: 0, totalPaths: recorded.length, bytes: 0, totalBytes: recorded.reduce((n, r) => n + r.info.size, 0) };
  options.onProgress?.({ ...progress });
  return recorded.map((item): CheckoutItem => {
    const checkedOut = checkoutOne(repo, item, options.force === true);
    progress.paths++;
    progress.bytes += item.info.size;
    options.onProgress?.({ ...progress });
    return checkedOut;
  });
}

function checkoutOne(repo: Repo, { path, source, info }: RecordedPath, force: boolean): CheckoutItem {
  try {
    return { path, source, outcome: repo.workspace.checkout(path, info, undefined, force) };
  } catch (error) {
    if (error instanceof UnsavedChangesError) return { path, source, outcome: 'unsaved', files: [...error.files], message: error.message };
    // A file that tries to reach outside the repository stops the checkout (exit 3).
    if (!(error instanceof MlpError) || error.exitCode === ExitCode.invalidPipeline) throw error;
    return { path, source, outcome: error instanceof MissingObjectError ? 'missing' : 'failed', message: error.message };
  }
}
