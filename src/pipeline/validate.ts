/** Checks that need the whole pipeline: overlapping outputs, outputs that may not be outputs, cycles. */
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { isSameOrInside } from '../util/fs.js';
import { allOuts, buildDag } from './dag.js';
import { lockFileOf } from './address.js';
import { LOCK_FILE, POINTER_SUFFIX } from './schema.js';
import type { OutSpec, Pipeline, SourceLocation, Stage } from './types.js';

export interface ValidateContext {
  /** Params and vars files the pipeline reads (repository-relative), besides those stages declare. */
  paramsFiles?: readonly string[];
  /** Where an output was declared, for the error (default: the stage's name). */
  locate?(stage: Stage, out: OutSpec): SourceLocation | undefined;
}

export function validatePipeline(pipeline: Pipeline, context: ValidateContext = {}): void {
  checkReservedOuts(pipeline, context);
  checkOverlappingOuts(pipeline);
  buildDag(pipeline); // throws on cycles
}

/**
 * Files a stage may not declare as outputs: a stage's outputs are deleted before it runs and
 * replaced by what it writes, so mlp's own files (the pipeline, the lockfile, pointer files),
 * the params the pipeline reads, and `.gitignore` files (mlp edits them) would be destroyed.
 * Git-tracked files are checked before a run instead (see repro/output-safety.ts): asking git
 * here would cost every `mlp status` a subprocess.
 */
export function reservedOutReason(outPath: string, pipelineFiles: string | readonly string[], paramsFiles: ReadonlySet<string>): string | undefined {
  const files = typeof pipelineFiles === 'string' ? [pipelineFiles] : pipelineFiles;
  const locks = new Set([LOCK_FILE, ...files.map(lockFileOf)]);
  if (files.includes(outPath)) return `is the pipeline file`;
  if (locks.has(outPath)) return `is mlp's lockfile`;
  if (outPath.endsWith(POINTER_SUFFIX)) return `is an mlp pointer file`;
  if (path.posix.basename(outPath) === '.gitignore') return `is a .gitignore file, which mlp edits`;
  if (paramsFiles.has(outPath)) return `is a params file the pipeline reads`;
  for (const file of [...files, ...locks, ...paramsFiles]) {
    if (isSameOrInside(file, outPath)) return `contains ${file}, ${files.includes(file) ? 'the pipeline file' : locks.has(file) ? "mlp's lockfile" : 'a params file the pipeline reads'}`;
  }
  return undefined;
}

function checkReservedOuts(pipeline: Pipeline, context: ValidateContext): void {
  const paramsFiles = new Set((context.paramsFiles ?? []).map((f) => path.posix.normalize(f)));
  for (const stage of pipeline.stages.values()) for (const p of stage.params) paramsFiles.add(p.file);
  for (const stage of pipeline.stages.values()) {
    for (const out of stage.outs) {
      const reason = reservedOutReason(out.path, [...new Set([pipeline.file, ...pipeline.files])], paramsFiles);
      if (reason === undefined) continue;
      throw new PipelineError(`stage '${stage.name}': output '${out.path}' ${reason}`, context.locate?.(stage, out) ?? stage.location, {
        hint: 'a stage\'s outputs are deleted before it runs; declare only files the stage writes (read params with `params`, depend on files with `deps`)',
      });
    }
  }
}

function checkOverlappingOuts(pipeline: Pipeline): void {
  const outs = allOuts(pipeline).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const byPath = new Map<string, string>();
  for (const out of outs) {
    // Any earlier out that is an ancestor (or the same path) of this one overlaps it.
    const parts = out.path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      const owner = byPath.get(ancestor);
      if (owner === undefined) continue;
      const stage = pipeline.stages.get(out.stage);
      const same = ancestor === out.path;
      const message = same
        ? `output '${out.path}' is declared by both '${owner}' and '${out.stage}'`
        : `output '${out.path}' of '${out.stage}' is inside output '${ancestor}' of '${owner}'`;
      throw new PipelineError(message, stage?.location, {
        hint: 'each path may be written by one stage only, and outputs may not be nested; make them disjoint',
      });
    }
    byPath.set(out.path, out.stage);
  }
}
