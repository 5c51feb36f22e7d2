/**
 * `mlp commit`: records the current outputs of stages in the cache and the lockfile without
 * running them (e.g. after producing them by hand), and re-records changed tracked data.
 */
import { MlpError } from '../errors.js';
import { writePointer } from '../lock/pointer-file.js';
import { buildDag, selectStages } from '../pipeline/dag.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { commitOutputs, lockEntryFor } from './commit.js';
import { saveRun } from './run-cache.js';
import { checkStage } from './staleness.js';
import { resolveTargets } from './targets.js';

export interface CommitResult {
  name: string;
  changed: boolean;
  /** A problem that did not stop the commit (the run-cache entry could not be saved). */
  warning?: string;
}

export async function commitStages(repo: Repo, targets: readonly string[]): Promise<CommitResult[]> {
  const pipeline = repo.pipeline;
  const names = selectStages(buildDag(pipeline), resolveTargets(pipeline, targets), true);
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
  if (targets.length === 0) {
    for (const pointer of repo.pointers()) {
      const now = await repo.cache.hashAndSave(pointer.path);
      if (!now || now.hash === pointer.info.hash) continue;
      writePointer(repo.root, { path: pointer.path, info: now });
      results.push({ name: pointer.file, changed: true });
    }
  }
  repo.lock.save();
  return results;
}
