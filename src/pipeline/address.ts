/**
 * Stage addresses across pipeline files. As DVC's `stage.addressing`: a stage of the root
 * `pipeline.yaml` is addressed by its name (`train`), a stage of a pipeline in a subdirectory by
 * its file and name (`nlp/pipeline.yaml:train`). The address is the stage's key everywhere —
 * the DAG, the lock (which stores the plain name in the lock file next to the pipeline file), the
 * lock journal, the run-cache and what commands print — so two pipelines may both have a `train`.
 */
import path from 'node:path';
import { LOCK_FILE, PIPELINE_FILE } from './schema.js';
import type { Stage } from './types.js';

/** The address of stage `name` declared in pipeline file `file` (repository-relative). */
export function stageAddress(file: string, name: string): string {
  return file === PIPELINE_FILE ? name : `${file}:${name}`;
}

/** A sub-pipeline address: `dir/…/pipeline.yaml:` then the name (names cannot hold `:` or `/`). */
const SUB_ADDRESS = new RegExp(`^((?:[^:@]+/)${PIPELINE_FILE.replace('.', '\\.')}):(.+)$`);

/** The pipeline file and plain name of an address (`train` → the root file). */
export function splitAddress(address: string): { file: string; name: string } {
  const m = SUB_ADDRESS.exec(address);
  return m ? { file: m[1] as string, name: m[2] as string } : { file: PIPELINE_FILE, name: address };
}

/** The stage's name as written in its own pipeline file (`train@a`, without the file). */
export function localName(stage: Pick<Stage, 'name'>): string {
  return splitAddress(stage.name).name;
}

/** The lock file kept next to pipeline file `file` (DVC: dvc.lock next to each dvc.yaml). */
export function lockFileOf(file: string): string {
  const dir = path.posix.dirname(file);
  return dir === '.' ? LOCK_FILE : `${dir}/${LOCK_FILE}`;
}

/** The directory of pipeline file `file`, repository-relative ('.' for the root). */
export function pipelineDir(file: string): string {
  return path.posix.dirname(file);
}
