/**
 * `mlp status`: for each stage, up to date or the reasons it would rerun; for each tracked data
 * path (`*.mlp`), whether the workspace matches its pointer file.
 */
import { buildDag } from '../pipeline/dag.js';
import { refuseDvcInstead } from '../pipeline/load.js';
import { resolveTargets, selectTargetStages, type StageSelectionOptions } from '../pipeline/targets.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import type { StaleReason } from './reasons.js';
import { checkStage } from './staleness.js';

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
}

export function stageStatuses(repo: Repo, targets: readonly string[], options: StageSelectionOptions = {}): StageStatus[] {
  const pipeline = repo.pipeline;
  const dag = buildDag(pipeline);
  const names = selectTargetStages(pipeline, dag, targets, { tracked: () => repo.pointers(), ...options });
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

export function dataStatuses(repo: Repo, pointers = repo.pointers()): DataStatus[] {
  return pointers.map((p) => {
    const now = repo.hasher.hash(p.path);
    return { pointer: p.file, path: p.path, state: !now ? 'missing' : now.hash === p.info.hash ? 'up-to-date' : 'modified' };
  });
}

export function status(repo: Repo, targets: readonly string[], options: StageSelectionOptions = {}): StatusReport {
  refuseDvcInstead(repo.pipeline);
  const pointers = repo.pointers();
  // With targets, the tracked data they name (a pointer file, its path, a directory holding it).
  const named = targets.length === 0 ? pointers : resolveTargets(repo.pipeline, targets, { ...options, tracked: pointers }).tracked;
  const selected = pointers.filter((p) => named.some((t) => t.file === p.file));
  const report: StatusReport = { stages: stageStatuses(repo, targets, { ...options, tracked: pointers }), data: dataStatuses(repo, selected) };
  if (repo.pipeline.missing) report.noPipeline = true;
  return report;
}
