/**
 * `dvc.yaml` → `pipeline.yaml` and `dvc.lock` → `pipeline.lock`. A dvc.yaml is a pipeline.yaml
 * already (README: "DVC's dvc.yaml keys in mlp"); the one default that differs is `metrics:`,
 * cached in DVC and not in mlp, so every metrics entry DVC would cache gets `cache: true` written
 * out and what is git-ignored stays the same. Comments and layout are kept (yaml Document API).
 */
import path from 'node:path';
import type { LockEntry, LockedPath } from '../lock/lockfile.js';
import { parseYamlDocument } from '../params/params-file.js';
import { dvcTarget, type DvcLock, type DvcOut } from '../schema/dvc.js';
import { normalizeRepoPath, type RepoPath } from '../schema/repo-path.js';
import { yaml } from '../util/yaml.js';

export const PIPELINE_HEADER = '# Converted from dvc.yaml by `mlp migrate`.\n';

export interface ConvertedPipeline {
  text: string;
  stages: number;
  /** Metrics entries that got an explicit `cache: true`. */
  cachedMetrics: number;
  /** Stage name (as in dvc.yaml, before foreach/matrix expansion) → its `wdir` as written. */
  wdirs: Map<string, string>;
}

export function convertDvcYaml(text: string, file: string): ConvertedPipeline {
  const Y = yaml();
  const { doc } = parseYamlDocument(text, file);
  const stagesNode = Y.isMap(doc.contents) ? doc.contents.get('stages', true) : undefined;
  let stages = 0;
  let cachedMetrics = 0;
  const wdirs = new Map<string, string>();
  if (Y.isMap(stagesNode)) {
    for (const pair of stagesNode.items) {
      stages++;
      const name = Y.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      let body = pair.value;
      if (Y.isMap(body) && body.has('do')) body = body.get('do', true);
      if (!Y.isMap(body)) continue;
      const wdir = body.get('wdir');
      if (typeof wdir === 'string') wdirs.set(name, wdir);
      const metrics = body.get('metrics', true);
      if (!Y.isSeq(metrics)) continue;
      metrics.items = metrics.items.map((item) => {
        if (Y.isScalar(item)) {
          cachedMetrics++;
          const node = doc.createNode({ [String(item.value)]: { cache: true } });
          return node;
        }
        if (Y.isMap(item) && item.items.length === 1) {
          const entry = item.items[0] as { value: unknown };
          if (entry.value === null || (Y.isScalar(entry.value) && entry.value.value === null)) {
            entry.value = doc.createNode({ cache: true });
            cachedMetrics++;
          } else if (Y.isMap(entry.value) && !entry.value.has('cache')) {
            entry.value.set('cache', true);
            cachedMetrics++;
          }
        }
        return item;
      });
    }
  }
  // `[a, b]` as DVC's docs and users write it, not the serializer's default `[ a, b ]`.
  return { text: PIPELINE_HEADER + doc.toString({ flowCollectionPadding: false }), stages, cachedMetrics, wdirs };
}

/** Where a lock entry's path is, for located errors. */
export interface LockSource {
  file: string;
  text: string;
}

export interface LockConversion {
  entries: Map<string, LockEntry>;
  /** Stages left out of pipeline.lock (they will rerun), with why. */
  leftOut: { stage: string; reason: string }[];
}

/** One path of a lock entry, located (checked inside the repository) and resolved by `resolve`. */
export type ResolvePath = (rel: RepoPath, out: DvcOut, role: 'dep' | 'out') => { ok: true; locked: Omit<LockedPath, 'path'> } | { ok: false; problem: string };

/**
 * The mlp lock entries of `lock`, the dvc.lock of the pipeline in directory `dir`
 * (repository-relative, '.' for the root). Paths in dvc.lock are relative to the stage's `wdir`;
 * in the lock mlp writes they are relative to the pipeline's directory. Paths are validated
 * (located error, exit 3) before anything is resolved.
 */
export function planLockPaths(lock: DvcLock, dir: string, wdirs: Map<string, string>, source: LockSource): Map<string, { dep: { rel: RepoPath; out: DvcOut }[]; out: { rel: RepoPath; out: DvcOut }[]; wdirProblem?: string }> {
  const planned = new Map<string, { dep: { rel: RepoPath; out: DvcOut }[]; out: { rel: RepoPath; out: DvcOut }[]; wdirProblem?: string }>();
  for (const [stage, entry] of Object.entries(lock.stages)) {
    const wdir = wdirs.get(stage.split('@')[0] as string) ?? '.';
    const base = path.posix.join(dir, wdir);
    const wdirProblem = wdir.includes('${') ? `its wdir '${wdir}' uses \${…}` : undefined;
    const list = (role: 'deps' | 'outs'): { rel: RepoPath; out: DvcOut }[] =>
      (entry[role] ?? []).map((out, index) => ({ rel: dvcTarget(base, out.path, { ...source, keys: ['stages', stage, role, index, 'path'] }), out }));
    const plan: { dep: { rel: RepoPath; out: DvcOut }[]; out: { rel: RepoPath; out: DvcOut }[]; wdirProblem?: string } = { dep: list('deps'), out: list('outs') };
    if (wdirProblem) plan.wdirProblem = wdirProblem;
    planned.set(stage, plan);
  }
  return planned;
}

export function convertLock(lock: DvcLock, dir: string, planned: ReturnType<typeof planLockPaths>, resolve: ResolvePath): LockConversion {
  const entries = new Map<string, LockEntry>();
  const leftOut: { stage: string; reason: string }[] = [];
  for (const [stage, entry] of Object.entries(lock.stages)) {
    const plan = planned.get(stage);
    if (!plan) continue;
    if (plan.wdirProblem) {
      leftOut.push({ stage, reason: plan.wdirProblem });
      continue;
    }
    const problems: string[] = [];
    const convert = (items: { rel: RepoPath; out: DvcOut }[], role: 'dep' | 'out'): LockedPath[] => {
      const locked: LockedPath[] = [];
      for (const { rel, out } of items) {
        const resolved = resolve(rel, out, role);
        if (!resolved.ok) {
          problems.push(resolved.problem);
          continue;
        }
        const inPipeline = relativeTo(dir, rel);
        if (inPipeline === undefined) {
          problems.push(`${rel} is outside the pipeline's directory ${dir}`);
          continue;
        }
        locked.push({ path: inPipeline, ...resolved.locked });
      }
      return locked;
    };
    const deps = convert(plan.dep, 'dep');
    const outs = convert(plan.out, 'out');
    if (problems.length > 0) {
      leftOut.push({ stage, reason: problems.join('; ') });
      continue;
    }
    entries.set(stage, { cmd: typeof entry.cmd === 'string' ? [entry.cmd] : [...entry.cmd], deps, params: entry.params ?? {}, outs });
  }
  return { entries, leftOut };
}

/** `rel` relative to the pipeline directory `dir`, if it is inside it. */
function relativeTo(dir: string, rel: RepoPath): RepoPath | undefined {
  if (dir === '.') return rel;
  const inside = path.posix.relative(dir, rel);
  const checked = normalizeRepoPath(inside);
  return 'path' in checked && !inside.startsWith('..') ? checked.path : undefined;
}
