/**
 * Checks made before `repro` runs anything (part of its plan): input that makes a stage
 * impossible to run (a missing param, a wdir that is a file) is a pipeline error (exit 3), found
 * while nothing has changed yet — not a stage failure discovered halfway through the run. These
 * checks read the workspace, so they cannot live in the pipeline loader, whose result is cached
 * by the pipeline file's stats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { OutIndex, allOuts } from '../pipeline/dag.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { currentParams } from './staleness.js';

export function checkStageInputs(repo: Repo, stages: readonly Stage[], dry = false): void {
  const outs = new OutIndex(allOuts(repo.pipeline));
  for (const stage of stages) {
    checkWdir(repo, stage);
    // A params file that a stage writes is read when its turn comes; every other one now. A dry
    // run reports a missing file as the reason the stage would run (as `status` does), as DVC.
    if (stage.params.every((spec) => outs.producersOf(spec.file).length === 0)) currentParams(repo, stage, dry ? [] : undefined);
  }
}

/**
 * A wdir that is a file can never work. One that does not exist yet may still be made (by an
 * upstream stage, or as the parent of an output); if it is not, the stage fails when it starts.
 */
function checkWdir(repo: Repo, stage: Stage): void {
  if (stage.wdir === '.') return;
  const stat = fs.statSync(path.join(repo.root, stage.wdir), { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) {
    throw new PipelineError(`stage '${stage.name}': wdir '${stage.wdir}' is not a directory`, stage.location, {
      hint: 'wdir is the directory the command runs in: point it at a directory, or remove it to run at the repository root',
    });
  }
}
