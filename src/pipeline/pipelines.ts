/**
 * Every pipeline file of a repository as one `Pipeline` (DVC's index): the root `pipeline.yaml`
 * and each `pipeline.yaml` below it, their stages in one map keyed by address (address.ts) and
 * so in one DAG — an output of one pipeline can be a dep of another's stage.
 *
 * Which files count (`pipelineFilesOf`) is decided on a listing (the workspace's, or a git
 * revision's), as DVC's index collection does: `.git` and `.mlp` are skipped, so are nested
 * repositories (a directory holding `.git` or `.mlp`: another project, with its own pipelines) and
 * paths `.mlpignore` leaves out.
 */
import path from 'node:path';
import type { ReadText } from '../params/params-file.js';
import { normalizeRepoPath } from '../schema/repo-path.js';
import { ParseCache } from '../util/parse-cache.js';
import { loadPipeline, type LoadOptions } from './load.js';
import { PIPELINE_FILE } from './schema.js';
import type { Pipeline, PipelineSections } from './types.js';
import { validatePipeline } from './validate.js';

export interface PipelineFileFilter {
  /** Whether directory `dir` (repository-relative) is the root of another repository. */
  isNestedRepo?(dir: string): boolean;
  /** Whether `.mlpignore` leaves `rel` out. */
  isIgnored?(rel: string, isDir: boolean): boolean;
}

/** Directories that are never searched for pipelines, at any depth. */
const SKIPPED_DIRS = new Set(['.git', '.mlp']);

/**
 * The pipeline files among `paths` (repository-relative files of a listing): the root one first,
 * then the others sorted. A listing that holds `x/.mlp/…` or `x/.git…` marks `x` as a nested
 * repository.
 */
export function pipelineFilesOf(paths: Iterable<string>, filter: PipelineFileFilter = {}): string[] {
  const listed = [...paths];
  const nested = new Set<string>();
  for (const p of listed) {
    const parts = p.split('/');
    const at = parts.findIndex((part) => SKIPPED_DIRS.has(part));
    if (at > 0) nested.add(parts.slice(0, at).join('/'));
  }
  const found = listed.filter((p) => {
    if (path.posix.basename(p) !== PIPELINE_FILE || !('path' in normalizeRepoPath(p))) return false;
    const parts = p.split('/');
    if (parts.some((part) => SKIPPED_DIRS.has(part))) return false;
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (nested.has(dir) || filter.isNestedRepo?.(dir) === true || filter.isIgnored?.(dir, true) === true) return false;
    }
    return p === PIPELINE_FILE || filter.isIgnored?.(p, false) !== true;
  });
  return [...new Set(found)].sort((a, b) => (a === PIPELINE_FILE ? -1 : b === PIPELINE_FILE ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Loads `files` (pipeline files, repository-relative, as `pipelineFilesOf` lists them) into one
 * pipeline, validated as a whole (outputs declared twice across files, cycles across files).
 * Without any file, the root pipeline is `missing`.
 */
export function loadPipelines(root: string, files: readonly string[], cache = ParseCache.inMemory(), readText?: ReadText, options: LoadOptions = {}): Pipeline {
  const loaded = files.map((file) => loadPipeline(root, file, cache, readText, options)).filter((p) => p.missing !== true);
  if (loaded.length === 0) return loadPipeline(root, PIPELINE_FILE, cache, readText, options);
  if (loaded.length === 1 && loaded[0]?.file === PIPELINE_FILE) return loaded[0];
  const pipeline: Pipeline = { root, file: PIPELINE_FILE, files: loaded.map((p) => p.file), stages: new Map() };
  for (const part of loaded) for (const [address, stage] of part.stages) pipeline.stages.set(address, stage);
  const sections = loaded.flatMap((p) => (p.sections ? [p.sections] : []));
  if (sections.length > 0) pipeline.sections = mergeSections(sections);
  validatePipeline(pipeline);
  return pipeline;
}

function mergeSections(all: readonly PipelineSections[]): PipelineSections {
  return {
    metrics: [...new Set(all.flatMap((s) => s.metrics))],
    params: [...new Set(all.flatMap((s) => s.params))],
    plots: all.flatMap((s) => s.plots),
    artifacts: Object.assign({}, ...all.map((s) => s.artifacts)) as PipelineSections['artifacts'],
    datasets: all.flatMap((s) => s.datasets),
  };
}
