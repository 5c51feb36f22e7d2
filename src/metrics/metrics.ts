/**
 * Metrics files — the `metrics` outputs of stages, JSON or YAML, nested — read at a revision or
 * in the workspace, for `mlp metrics show` and `mlp metrics diff`.
 */
import { MlpError } from '../errors.js';
import { describeSource, type FileSource } from '../git/file-source.js';
import { loadPipelineAt } from '../git/pipeline-at.js';
import { compareStrings } from '../hash/hash-path.js';
import { OutputReader, type ObjectPath } from './output-reader.js';
import type { Pipeline } from '../pipeline/types.js';
import { flatten } from '../params/flatten.js';
import { parseYamlText } from '../params/params-file.js';
import { isStageTarget, unknownTarget, type Target } from '../pipeline/targets.js';
import { diffValues, type ValueDiff } from '../params/value-diff.js';

export type { ObjectPath } from './output-reader.js';

export interface MetricsFile {
  path: string;
  /** Flattened metrics; undefined when the file does not exist on this side, or is broken. */
  values: Map<string, unknown> | undefined;
  /** Why the file could not be read (not JSON or YAML, not a mapping): `show` lists the others, as DVC. */
  error?: MlpError;
}

export interface RevisionMetrics {
  /** `workspace`, or the revision / branch / tag name. */
  label: string;
  files: MetricsFile[];
}

export interface MetricsDiff {
  old: string;
  new: string;
  /** Every metric of either side, sorted by file then key. Unchanged ones included. */
  metrics: ValueDiff[];
}

/** Declared metrics files of the selected stages (all stages without targets), sorted. */
export function declaredMetrics(pipeline: Pipeline, targets: readonly Target[]): string[] {
  const paths = new Set<string>();
  for (const stage of pipeline.stages.values()) {
    const stageSelected = targets.length === 0 || targets.some((t) => isStageTarget(t, stage.name));
    for (const out of stage.outs) {
      if (out.kind === 'metric' && (stageSelected || targets.some((t) => t.path === out.path))) paths.add(out.path);
    }
  }
  // Top-level `metrics:` (files no stage writes): shown without targets, or when named.
  for (const file of pipeline.sections?.metrics ?? []) if (targets.length === 0 || targets.some((t) => t.path === file)) paths.add(file);
  return [...paths].sort(compareStrings);
}

/** Targets that name neither a stage nor a declared metrics file (on any of `pipelines`). */
function unmatchedTargets(pipelines: readonly Pipeline[], targets: readonly Target[]): Target[] {
  return targets.filter(
    (t) =>
      !pipelines.some(
        (p) => [...p.stages.values()].some((s) => isStageTarget(t, s.name) || s.outs.some((o) => o.kind === 'metric' && o.path === t.path)) || (p.sections?.metrics ?? []).some((m) => m === t.path),
      ),
  );
}

/** Reads metrics files on one side (through the cache for outputs not in git, as `OutputReader`). */
export class MetricsReader {
  private readonly files: OutputReader;

  constructor(
    private readonly source: FileSource,
    objectPath: ObjectPath,
  ) {
    this.files = new OutputReader(source, objectPath);
  }

  read(file: string): MetricsFile {
    const text = this.files.read(file)?.toString('utf8');
    if (text === undefined) return { path: file, values: undefined };
    try {
      return { path: file, values: parseMetrics(text, file, this.source) };
    } catch (error) {
      if (error instanceof MlpError) return { path: file, values: undefined, error };
      throw error;
    }
  }
}


function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function parseMetrics(text: string, file: string, source: FileSource): Map<string, unknown> {
  let data: unknown;
  try {
    // Most metrics files are JSON: JSON.parse reads them ~20× faster than the YAML parser, which
    // counts when `exp show` reads one per experiment. Anything else (or broken JSON, for its
    // located error) goes through YAML.
    data = file.toLowerCase().endsWith('.json') ? tryJson(text) : undefined;
    data ??= parseYamlText(text, file);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(`${file}:`, 'line ') : String(error);
    throw new MlpError(`metrics file '${file}' ${describeSource(source)} is not valid JSON or YAML (${detail})`, {
      hint: 'metrics files are JSON or YAML mappings of names to numbers (nested mappings allowed); fix the stage that writes it',
      cause: error,
    });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MlpError(`metrics file '${file}' ${describeSource(source)} is not a mapping of metric names to values`, {
      hint: 'write metrics as a JSON object or YAML mapping, e.g. {"accuracy": 0.93, "loss": 0.21}',
    });
  }
  return flatten(data);
}

/** The metrics of each source (workspace, revisions, branches or tags). */
export function showMetrics(
  root: string,
  sources: readonly FileSource[],
  targets: readonly Target[],
  objectPath: ObjectPath,
  /** The pipeline of each source, when the caller already loaded them. */
  pipelines: readonly Pipeline[] = sources.map((s) => loadPipelineAt(root, s)),
): RevisionMetrics[] {
  const extra = unmatchedTargets(pipelines, targets);
  const result = sources.map((source, i) => {
    const reader = new MetricsReader(source, objectPath);
    const paths = [...new Set([...declaredMetrics(pipelines[i] as Pipeline, targets), ...extra.map((t) => t.path)])].sort(compareStrings);
    source.prefetch(paths);
    return { label: source.label, files: paths.map((p) => reader.read(p)) };
  });
  // A target that is no stage nor declared metrics file may still be a metrics file to read.
  for (const target of extra) {
    if (!result.some((r) => r.files.some((f) => f.path === target.path && (f.values !== undefined || f.error)))) {
      throw unknownTarget(target.name, pipelines[pipelines.length - 1] as Pipeline, { what: { kind: 'metrics file', paths: pipelines.flatMap((p) => declaredMetrics(p, [])) } });
    }
  }
  return result.map((r) => ({ ...r, files: r.files.filter((f) => f.values !== undefined || f.error || !extra.some((t) => t.path === f.path)) }));
}

export function diffMetrics(root: string, a: FileSource, b: FileSource, targets: readonly Target[], objectPath: ObjectPath): MetricsDiff {
  const [before, after] = showMetrics(root, [a, b], targets, objectPath) as [RevisionMetrics, RevisionMetrics];
  // A broken file on either side would show as removed or added metrics: that is no diff.
  const broken = [...before.files, ...after.files].find((f) => f.error);
  if (broken?.error) throw broken.error;
  const paths = [...new Set([...before.files, ...after.files].map((f) => f.path))].sort(compareStrings);
  const values = (side: RevisionMetrics, file: string): Map<string, unknown> => side.files.find((f) => f.path === file)?.values ?? new Map();
  return { old: a.label, new: b.label, metrics: paths.flatMap((file) => diffValues(file, values(before, file), values(after, file))) };
}

/**
 * `new - old` when both are numbers (booleans are not), else undefined. Rounded to 15
 * significant digits, which drops binary floating-point noise (0.96 - 0.85 is
 * 0.10999999999999999) without losing anything a metric carries.
 */
export function numericChange(diff: ValueDiff): number | undefined {
  if (typeof diff.old !== 'number' || typeof diff.new !== 'number') return undefined;
  const change = diff.new - diff.old;
  return Number.isFinite(change) ? Number(change.toPrecision(15)) : change;
}
