/**
 * The parts of `mlp exp run` around the pipeline run: the combinations of a sweep, their names,
 * and writing each combination's params into the workspace. The run itself is `mlp repro`'s.
 */
import { ExitCode, MlpError } from '../errors.js';
import { GitRepo, runGit } from '../git/git.js';
import { checkedInside, type RepoPath } from '../schema/repo-path.js';
import { writeFileAtomic } from '../util/fs.js';
import { lockFileOf } from '../pipeline/address.js';
import { DEFAULT_PARAMS_FILE, LOCK_FILE, PIPELINE_FILE } from '../pipeline/schema.js';
import type { Pipeline } from '../pipeline/types.js';
import fs from 'node:fs';
import { applyToText, describeAssignment, expandSweeps, parseSetParam, readParamsText, type ParamAssignment } from './param-overrides.js';
import { baselineCommit, experimentRef, validateExperimentName } from './store.js';

export interface ExpRunPlan {
  /** One entry per experiment to run: its assignments (empty without -S) and its name (undefined: generated). */
  runs: Array<{ assignments: ParamAssignment[]; name: string | undefined }>;
  /** The params files the overrides edit, as they are now (each run starts from these). */
  originals: Map<RepoPath, string>;
}

/** More runs than this is almost certainly a mistyped range. */
export const MAX_RUNS = 1000;

/**
 * Parses the -S arguments, expands sweeps, names the runs (`name`, or `name-1`, `name-2`, … for
 * a sweep) and checks everything that can be checked before anything runs: every combination is
 * applied in memory, and a name that is taken is an error unless `force`.
 */
export function planExpRun(root: string, setParams: readonly string[], name: string | undefined, force: boolean): ExpRunPlan {
  const overrides = setParams.map(parseSetParam);
  const combos = expandSweeps(overrides);
  if (combos.length > MAX_RUNS) {
    throw new MlpError(`the sweep has ${combos.length} combinations, more than ${MAX_RUNS}`, { hint: 'use fewer values or larger range() steps', exitCode: ExitCode.usage });
  }
  const originals = new Map<RepoPath, string>();
  for (const o of overrides) if (!originals.has(o.file)) originals.set(o.file, readParamsText(checkedInside(root, o.file), o.file));
  for (const combo of combos) for (const [file, text] of originals) applyToText(text, file, combo.filter((a) => a.file === file));
  const runs = combos.map((assignments, i) => ({ assignments, name: name === undefined ? undefined : combos.length > 1 ? `${name}-${i + 1}` : name }));
  if (name !== undefined) {
    const git = GitRepo.open(root);
    const baseline = baselineCommit(git);
    for (const run of runs) {
      validateExperimentName(run.name as string);
      if (!force && runGit(root, ['rev-parse', '--verify', '--quiet', experimentRef(baseline, run.name as string)]).code === 0) {
        throw new MlpError(`an experiment named '${run.name}' already exists for this baseline (${baseline.slice(0, 7)})`, {
          hint: 'choose another name with -n, or replace it with -f/--force',
          exitCode: ExitCode.usage,
        });
      }
    }
  }
  return { runs, originals };
}

/** Writes the params files of one run: the original text with this run's assignments. */
export function writeRunParams(root: string, originals: ReadonlyMap<RepoPath, string>, assignments: readonly ParamAssignment[]): void {
  for (const [file, text] of originals) {
    const abs = checkedInside(root, file);
    const mode = fs.statSync(abs, { throwIfNoEntry: false })?.mode;
    writeFileAtomic(abs, applyToText(text, file, assignments.filter((a) => a.file === file)), mode === undefined ? undefined : mode & 0o777);
  }
}

/**
 * The files an experiment holds even while git does not track them yet: the pipeline, its lock,
 * the params files the stages read and the metrics and plots files they write (as mlp sees them now).
 */
export function experimentFiles(pipeline: Pipeline | undefined, extra: Iterable<string> = []): string[] {
  const files = new Set<string>([PIPELINE_FILE, LOCK_FILE, DEFAULT_PARAMS_FILE, ...extra]);
  // Pipelines in subdirectories, and the lock next to each.
  for (const file of pipeline?.files ?? []) files.add(file).add(lockFileOf(file));
  for (const stage of pipeline?.stages.values() ?? []) {
    for (const p of stage.params) files.add(p.file);
    // Plots too: `plots diff <experiment>` draws them as the experiment left them.
    for (const out of stage.outs) if (out.kind === 'metric' || out.kind === 'plot') files.add(out.path);
  }
  return [...files];
}

/** The experiment commit's message: what was set. */
export function runMessage(assignments: readonly ParamAssignment[]): string {
  return assignments.length === 0 ? 'mlp exp run' : `mlp exp run: ${assignments.map(describeAssignment).join(' ')}`;
}
