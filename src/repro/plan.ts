/**
 * The first step of `mlp repro`: which stages to consider (targets and what they depend on), that
 * every dep can exist, that every stage can get the resources it asks for and has its params and
 * a usable wdir (src/repro/preflight.ts), and the lock without
 * entries of stages that are gone. Nothing runs here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError, PipelineError } from '../errors.js';
import { OutIndex, allOuts, buildDag, type Dag } from '../pipeline/dag.js';
import { requirePipeline } from '../pipeline/load.js';
import type { Pipeline, Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { checkStageInputs } from './preflight.js';
import { SymlinkGuard } from '../schema/repo-path.js';
import { refuseGitTrackedOutputs } from './output-safety.js';
import { resourceCapacity, resourceLimits } from './resources.js';
import type { ResourceLimits } from './scheduler.js';
import { defaultPipelineTarget, pointerCandidates, selectTargetStages, type StageSelectionOptions } from '../pipeline/targets.js';

export interface PlanOptions extends Omit<StageSelectionOptions, 'tracked' | 'cwd'> {
  targets: readonly string[];
  single: boolean;
  /** Dry run: check and select only; the lock is not touched. */
  dry: boolean;
  /** Whether a stage runs on this machine (its resources count against this machine's); default all. */
  runsHere?: (stage: Stage) => boolean;
}

export interface ReproPlan {
  dag: Dag;
  /** Selected stage names in run order. */
  selected: string[];
  resources: ResourceLimits | undefined;
}

export function planRepro(repo: Repo, options: PlanOptions): ReproPlan {
  const pipeline = requirePipeline(repo.pipeline);
  const dag = buildDag(pipeline);
  const targets = options.targets.length === 0 && options.allPipelines !== true ? defaultTargets(pipeline) : options.targets;
  const selected = selectTargetStages(pipeline, dag, targets, { ...options, tracked: () => repo.pointers() });
  const stages = selected.map((n) => pipeline.stages.get(n) as Stage);
  const local = options.runsHere ? stages.filter(options.runsHere) : stages;
  const resources = resourceLimits(local, resourceCapacity(repo.config));
  checkStageInputs(repo, stages, options.dry);
  if (!options.dry) {
    checkMissingDeps(repo, stages);
    // Before any stage runs: an output reached through a symlink to outside is refused (exit 3).
    const guard = new SymlinkGuard(repo.root);
    for (const stage of stages) for (const out of stage.outs) guard.check(out.path);
    refuseGitTrackedOutputs(repo, stages);
    pruneLock(repo);
  }
  return { dag, selected, resources };
}

/**
 * No targets: with one pipeline file, every stage (wherever mlp runs); with several, as `dvc
 * repro`, the pipeline file of the current directory (and what it depends on in the others) —
 * none there is a usage error that lists the pipelines.
 */
function defaultTargets(pipeline: Pipeline): readonly string[] {
  if (pipeline.files.length <= 1) return [];
  const here = defaultPipelineTarget(pipeline);
  if (here !== undefined) return [path.join(pipeline.root, here)]; // absolute: targets are relative to the cwd
  const dir = path.relative(pipeline.root, process.cwd()).split(path.sep).join('/') || '.';
  throw new MlpError(`no pipeline.yaml in ${dir === '.' ? 'the repository root' : dir}; the pipelines are ${pipeline.files.join(', ')}`, {
    hint: 'reproduce them all with `mlp repro -P`, one with `mlp repro <dir>/pipeline.yaml`, or those below a directory with `mlp repro -R <dir>`',
    exitCode: ExitCode.usage,
  });
}

export function checkMissingDeps(repo: Repo, stages: readonly Stage[]): void {
  const outs = new OutIndex(allOuts(repo.pipeline));
  for (const stage of stages) {
    for (const dep of stage.deps) {
      if (outs.producersOf(dep).length > 0 || fs.existsSync(path.join(repo.root, dep))) continue;
      const pointers = pointerCandidates(repo.root, dep);
      if (pointers.length > 0) {
        throw new MlpError(`stage '${stage.name}' depends on ${dep}, tracked by ${pointers[0]} but not in the workspace`, {
          hint: 'run `mlp checkout` (or `mlp pull` if the data is only on a remote)',
        });
      }
      throw new PipelineError(`stage '${stage.name}' depends on ${dep}, which does not exist and no stage produces it`, stage.location, {
        hint: `create ${dep}, fix the path in deps, or add a stage that outputs it`,
      });
    }
  }
}

/** Drops lock entries of stages that are no longer in the pipeline. */
function pruneLock(repo: Repo): void {
  const gone = repo.lock.names().filter((name) => !repo.pipeline.stages.has(name));
  for (const name of gone) repo.lock.delete(name);
  if (gone.length > 0) repo.lock.save();
}
