/**
 * `mlp status`: for each stage, up to date or the reasons it would rerun; for each tracked data
 * path (`*.mlp`), whether the workspace matches its pointer file.
 */
import { runGit } from '../git/git.js';
import { buildDag, selectStages } from '../pipeline/dag.js';
import { PIPELINE_FILE } from '../pipeline/schema.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import type { StaleReason } from './reasons.js';
import { checkStage } from './staleness.js';
import { resolveTargets } from './targets.js';

export interface StageStatus {
  name: string;
  state: 'up-to-date' | 'stale' | 'frozen';
  reasons: StaleReason[];
}

export interface DataStatus {
  pointer: string;
  path: string;
  state: 'up-to-date' | 'modified' | 'missing';
}

export interface StatusReport {
  stages: StageStatus[];
  data: DataStatus[];
  /** True when there is no pipeline file (only data tracked with `mlp add`, if anything). */
  noPipeline?: boolean;
  /**
   * `pipeline.yaml` files below the root, which mlp does not load yet (DVC loads every dvc.yaml):
   * named so that their stages are not silently reported as up to date.
   */
  notLoaded?: string[];
}

export function stageStatuses(repo: Repo, targets: readonly string[]): StageStatus[] {
  const pipeline = repo.pipeline;
  const dag = buildDag(pipeline);
  const names = selectStages(dag, resolveTargets(pipeline, targets), false);
  const stale = new Set<string>();
  return names.map((name) => {
    const stage = pipeline.stages.get(name) as Stage;
    if (stage.frozen) return { name, state: 'frozen', reasons: [] };
    const reasons = checkStage(repo, stage, repo.lock.get(name), 'report').reasons;
    for (const up of dag.upstream.get(name) ?? []) if (stale.has(up)) reasons.push({ kind: 'upstream-stale', stage: up });
    if (reasons.length > 0) stale.add(name);
    return { name, state: reasons.length > 0 ? 'stale' : 'up-to-date', reasons };
  });
}

export function dataStatuses(repo: Repo): DataStatus[] {
  return repo.pointers().map((p) => {
    const now = repo.hasher.hash(p.path);
    return { pointer: p.file, path: p.path, state: !now ? 'missing' : now.hash === p.info.hash ? 'up-to-date' : 'modified' };
  });
}

export function status(repo: Repo, targets: readonly string[]): StatusReport {
  const report: StatusReport = { stages: stageStatuses(repo, targets), data: targets.length > 0 ? [] : dataStatuses(repo) };
  if (repo.pipeline.missing) report.noPipeline = true;
  const nested = targets.length > 0 ? [] : nestedPipelines(repo.root);
  if (nested.length > 0) report.notLoaded = nested;
  return report;
}

/** `pipeline.yaml` files in subdirectories that git sees (tracked or not ignored). */
export function nestedPipelines(root: string): string[] {
  const out = runGit(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', `*/${PIPELINE_FILE}`]);
  if (out.code !== 0) return [];
  return [...new Set(out.stdout.toString('utf8').split('\0').filter((f) => f !== '' && f !== PIPELINE_FILE))].sort();
}
