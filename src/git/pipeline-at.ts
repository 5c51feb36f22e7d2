/**
 * The pipeline as it was at a revision (or is in the workspace), read through a `FileSource`:
 * every pipeline file there, as one (pipelines.ts).
 */
import { MlpError } from '../errors.js';
import { loadPipelines } from '../pipeline/pipelines.js';
import type { Pipeline } from '../pipeline/types.js';
import { ParseCache } from '../util/parse-cache.js';
import { RevisionSource, readText, type FileSource } from './file-source.js';
import { pipelineFilesAt, workspacePipelineFiles } from './pipeline-files.js';

/** The pipeline files at `source`: listed at its revision, or found in the workspace. */
export function pipelineFilesOfSource(root: string, source: FileSource): string[] {
  if (source instanceof RevisionSource) return pipelineFilesAt(source.files(), (file) => readText(source, file));
  return workspacePipelineFiles(root);
}

export function loadPipelineAt(root: string, source: FileSource): Pipeline {
  try {
    return loadPipelines(root, pipelineFilesOfSource(root, source), ParseCache.inMemory(), (file) => readText(source, file));
  } catch (error) {
    // The same pipeline error reads very differently depending on which side it comes from.
    if (error instanceof MlpError && source.commit !== undefined) {
      throw new MlpError(`at revision ${source.label}: ${error.message}`, { hint: error.hint, exitCode: error.exitCode, cause: error });
    }
    throw error;
  }
}
