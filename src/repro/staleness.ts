/**
 * Decides whether a stage is stale and why, comparing what it declares now (cmd, deps, params,
 * outs) with its lock entry. Cheap checks (cmd, params, existence) come before hashing; hashing
 * goes through the state cache, so unchanged files are not read.
 */
import { PipelineError } from '../errors.js';
import type { PathHash } from '../hash/hash-path.js';
import type { LockEntry, LockedParams, LockedPath } from '../lock/lockfile.js';
import { getDotted, isMissing } from '../params/params-file.js';
import type { Stage } from '../pipeline/types.js';
import type { RepoPath } from '../schema/repo-path.js';
import type { Repo } from '../repo/repo.js';
import type { StaleReason } from './reasons.js';

export interface StageCheck {
  stale: boolean;
  reasons: StaleReason[];
  /** Current hashes of the deps (undefined entries are missing deps). */
  deps: Map<RepoPath, PathHash | undefined>;
  /** Current values of the declared params. */
  params: LockedParams;
}

/**
 * What a missing params file or key is: an error (before running or committing a stage), or —
 * for `status` and `repro --dry`, as DVC reports it — a reason the stage is stale (`deleted`).
 */
export type MissingParams = 'throw' | 'report';

/**
 * The current values of a stage's declared params; a missing file or key is an error, or with
 * `reasons` given, a missing file is a `params-missing` reason. A key missing from a file that
 * exists stays an error everywhere: the pipeline is wrong, not the workspace.
 */
export function currentParams(repo: Repo, stage: Stage, reasons?: StaleReason[]): LockedParams {
  const result: LockedParams = {};
  for (const spec of stage.params) {
    const data = repo.params.read(spec.file);
    if (!data && reasons) {
      reasons.push({ kind: 'params-missing', file: spec.file });
      continue;
    }
    if (!data) {
      throw new PipelineError(`stage '${stage.name}': params file ${spec.file} does not exist`, stage.location, {
        hint: `create ${spec.file} or remove it from the stage's params`,
      });
    }
    const values: Record<string, unknown> = {};
    if (spec.keys.length === 0) Object.assign(values, data);
    for (const key of spec.keys) {
      const value = getDotted(data, key);
      if (isMissing(value)) {
        throw new PipelineError(`stage '${stage.name}': param '${key}' is not in ${spec.file}`, stage.location, {
          hint: `add '${key}' to ${spec.file} or remove it from the stage's params`,
        });
      }
      values[key] = value;
    }
    result[spec.file] = values;
  }
  return result;
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with sorted keys: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

function compareParams(locked: LockedParams, now: LockedParams, reasons: StaleReason[]): void {
  const files = new Set([...Object.keys(locked), ...Object.keys(now)]);
  for (const file of [...files].sort()) {
    const a = locked[file] ?? {};
    const b = now[file] ?? {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!(key in a)) reasons.push({ kind: 'param-added', file, key, new: b[key] });
      else if (!(key in b)) reasons.push({ kind: 'param-removed', file, key, old: a[key] });
      else if (!sameValue(a[key], b[key])) reasons.push({ kind: 'param-changed', file, key, old: a[key], new: b[key] });
    }
  }
}

/** A stage with neither deps nor params: it runs on every repro (DVC's "callback stage"). */
export function isCallbackStage(stage: Stage): boolean {
  return stage.deps.length === 0 && stage.params.length === 0;
}

export function checkStage(repo: Repo, stage: Stage, entry: LockEntry | undefined, missingParams: MissingParams = 'throw'): StageCheck {
  const reasons: StaleReason[] = [];
  const missing: StaleReason[] = [];
  const params = currentParams(repo, stage, missingParams === 'report' ? missing : undefined);
  const deletedFiles = new Set(missing.map((r) => (r.kind === 'params-missing' ? r.file : '')));
  reasons.push(...missing);
  const deps = new Map<RepoPath, PathHash | undefined>();

  if (!entry) reasons.push({ kind: 'never-run' });
  if (stage.alwaysChanged) reasons.push({ kind: 'always-changed' });
  // As in DVC: nothing tells that its result is still valid (params count as deps there too).
  else if (isCallbackStage(stage)) reasons.push({ kind: 'no-deps' });
  if (entry && entry.cmd.join('\n') !== stage.cmd.join('\n')) reasons.push({ kind: 'cmd-changed' });
  // A deleted params file is one reason, not one per key it held.
  if (entry) compareParams(Object.fromEntries(Object.entries(entry.params).filter(([file]) => !deletedFiles.has(file))), params, reasons);

  const lockedOuts = new Map((entry?.outs ?? []).map((o) => [o.path, o]));
  for (const out of stage.outs) {
    const locked = lockedOuts.get(out.path);
    const now = repo.hasher.hash(out.path);
    if (!now) reasons.push({ kind: 'out-missing', path: out.path });
    else if (entry && !locked) reasons.push({ kind: 'out-added', path: out.path });
    else if (locked && locked.hash !== now.hash) reasons.push({ kind: 'out-modified', path: out.path });
  }
  if (entry) {
    const declared = new Set(stage.outs.map((o) => o.path));
    for (const o of entry.outs) if (!declared.has(o.path)) reasons.push({ kind: 'out-removed', path: o.path });
  }

  const lockedDeps = new Map((entry?.deps ?? []).map((d) => [d.path, d]));
  for (const dep of stage.deps) {
    const now = repo.hasher.hash(dep);
    deps.set(dep, now);
    const locked = lockedDeps.get(dep);
    if (!now) reasons.push({ kind: 'dep-missing', path: dep });
    else if (entry && !locked) reasons.push({ kind: 'dep-added', path: dep });
    else if (locked && locked.hash !== now.hash) reasons.push({ kind: 'dep-modified', path: dep });
  }
  if (entry) {
    for (const d of entry.deps) if (!deps.has(d.path)) reasons.push({ kind: 'dep-removed', path: d.path });
  }
  return { stale: reasons.length > 0, reasons, deps, params };
}

export function lockedDeps(check: StageCheck): LockedPath[] {
  const out: LockedPath[] = [];
  for (const [path, hash] of check.deps) {
    if (!hash) continue;
    const entry: LockedPath = { path, hash: hash.hash, size: hash.size };
    if (hash.nfiles !== undefined) entry.nfiles = hash.nfiles;
    out.push(entry);
  }
  return out;
}
