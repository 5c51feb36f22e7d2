/**
 * `mlp commit`: records the current outputs of stages in the cache and the lockfile without
 * running them (e.g. after producing them by hand), and re-records changed tracked data.
 */
import { MlpError } from '../errors.js';
import { writePointer } from '../pointer/pointer-file.js';
import { buildDag } from '../pipeline/dag.js';
import { resolveTargets, selectTargetStages } from '../pipeline/targets.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { commitOutputs, lockEntryFor } from './commit.js';
import { saveRun } from './run-cache.js';
import { checkStage } from './staleness.js';

export interface CommitResult {
  name: string;
  changed: boolean;
  /** A problem that did not stop the commit (the run-cache entry could not be saved). */
  warning?: string;
}

export interface CommitOptions {
  /** Also the stages the targets depend on (`-d/--with-deps`). */
  withDeps?: boolean;
  /** A directory target means every pipeline and pointer file below it (`-R`). */
  recursive?: boolean;
}

/**
 * Records stages (all, or those `targets` name) and tracked data (all, or the pointer files and
 * tracked paths `targets` name) as they are in the workspace now.
 */
export async function commitStages(repo: Repo, targets: readonly string[], options: CommitOptions = {}): Promise<CommitResult[]> {
  const pipeline = repo.pipeline;
  const pointers = repo.pointers();
  const selectOptions = { tracked: pointers, single: options.withDeps !== true, recursive: options.recursive === true };
  const names = selectTargetStages(pipeline, buildDag(pipeline), targets, selectOptions);
  const named = targets.length === 0 ? pointers : resolveTargets(pipeline, targets, selectOptions).tracked;
  const results: CommitResult[] = [];
  for (const name of names) {
    const stage = pipeline.stages.get(name) as Stage;
    const check = checkStage(repo, stage, repo.lock.get(name));
    const missing = check.reasons.find((r) => r.kind === 'dep-missing' || r.kind === 'out-missing');
    if (missing && 'path' in missing) {
      throw new MlpError(`cannot commit stage '${name}': ${missing.path} is missing`, {
        hint: 'produce it first (e.g. `mlp repro`), or fix the stage definition',
      });
    }
    const outs = await commitOutputs(repo, stage);
    repo.lock.set(name, lockEntryFor(stage, check, outs));
    const warning = saveRun(repo, stage, check, outs);
    results.push({ name, changed: check.reasons.length > 0, ...(warning ? { warning } : {}) });
  }
  for (const pointer of pointers.filter((p) => named.some((t) => t.file === p.file))) {
    const now = await repo.workspace.hashAndSave(pointer.path);
    if (!now) {
      if (targets.length > 0) throw new MlpError(`cannot commit ${pointer.file}: ${pointer.path} is missing`, { hint: `restore it with \`mlp checkout ${pointer.file}\`, or remove the pointer with \`mlp remove ${pointer.file}\`` });
      continue;
    }
    if (now.hash === pointer.info.hash) {
      results.push({ name: pointer.file, changed: false });
      continue;
    }
    writePointer(repo.root, { path: pointer.path, info: now, ...(pointer.remote === undefined ? {} : { remote: pointer.remote }) });
    results.push({ name: pointer.file, changed: true });
  }
  repo.lock.save();
  return results;
}
