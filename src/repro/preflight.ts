/**
 * Checks made before `repro` runs anything: input that makes a stage impossible to run (a
 * missing param, a wdir that is a file) is a pipeline error (exit 3), found while nothing has
 * changed yet — not a stage failure discovered halfway through the run. These checks read the
 * workspace, so they cannot live in the pipeline loader, whose result is cached by the pipeline
 * file's stats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { OutIndex, allOuts } from '../pipeline/dag.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { currentParams } from './staleness.js';

export function checkStageInputs(repo: Repo, stages: readonly Stage[]): void {
  const outs = new OutIndex(allOuts(repo.pipeline));
  for (const stage of stages) {
    checkWdir(repo, stage, outs);
    // A params file that a stage writes is read when its turn comes; every other one now.
    if (stage.params.every((spec) => outs.producersOf(spec.file).length === 0)) currentParams(repo, stage);
  }
}

function checkWdir(repo: Repo, stage: Stage, outs: OutIndex): void {
  if (stage.wdir === '.') return;
  const stat = fs.statSync(path.join(repo.root, stage.wdir), { throwIfNoEntry: false });
  if (stat?.isDirectory()) return;
  if (stat) {
    throw new PipelineError(`stage '${stage.name}': wdir '${stage.wdir}' is not a directory`, stage.location, {
      hint: 'wdir is the directory the command runs in: point it at a directory, or remove it to run at the repository root',
    });
  }
  // mlp creates the directories of a stage's outputs before it runs, and an upstream stage may make it.
  if (outs.producersOf(stage.wdir).length > 0) return;
  throw new PipelineError(`stage '${stage.name}': wdir '${stage.wdir}' does not exist`, stage.location, {
    hint: `create ${stage.wdir}, or fix wdir in the stage`,
  });
}
