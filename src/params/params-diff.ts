/**
 * `mlp params diff`: the params the pipeline declares (its stages' `params`), as they were at one
 * revision and at another (or in the workspace). Each side is read with its own pipeline, so a
 * param a stage started to use shows as added, and a file that stopped being used as removed.
 */
import { MlpError } from '../errors.js';
import { describeSource, readText, type FileSource } from '../git/file-source.js';
import { loadPipelineAt } from '../git/pipeline-at.js';
import type { Pipeline } from '../pipeline/types.js';
import { compareStrings } from '../hash/hash-path.js';
import { flatten } from './flatten.js';
import { getDotted, isMissing, parseParamsText, parseYamlText } from './params-file.js';
import { isStageTarget, unknownTarget, type Target } from '../pipeline/targets.js';
import { diffValues, type ValueDiff } from './value-diff.js';

export interface ParamsDiff {
  old: string;
  new: string;
  /** Every declared param of either side, sorted by file then key. Unchanged ones included. */
  params: ValueDiff[];
}

/** A params file as a pipeline uses it: every key (`all`) or the listed ones, and who declares it. */
interface DeclaredFile {
  all: boolean;
  keys: Set<string>;
  stages: string[];
}

export function diffParams(root: string, a: FileSource, b: FileSource, targets: readonly Target[] = []): ParamsDiff {
  const pipelines = [loadPipelineAt(root, a), loadPipelineAt(root, b)];
  const [declaredA, declaredB] = pipelines.map((p) => declaredParams(p, targets)) as [Map<string, DeclaredFile>, Map<string, DeclaredFile>];
  const declared = [declaredA, declaredB];
  for (const target of targets) {
    const known = pipelines.some((p) => [...p.stages.keys()].some((s) => isStageTarget(target, s))) || declared.some((d) => d.has(target.path));
    if (!known) {
      throw unknownTarget(target.name, pipelines[1] as Pipeline, { what: { kind: 'params file', paths: [...new Set(declared.flatMap((d) => [...d.keys()]))] } });
    }
  }
  // The keys to compare are the union of both sides' declarations, so that a key read on one side
  // only still shows its value (or absence) on the other.
  const union = new Map<string, DeclaredFile>();
  for (const side of declared) {
    for (const [file, d] of side) {
      const u = union.get(file) ?? { all: false, keys: new Set<string>(), stages: [] };
      u.all ||= d.all;
      for (const k of d.keys) u.keys.add(k);
      union.set(file, u);
    }
  }
  const files = [...union.keys()].sort(compareStrings);
  a.prefetch(files);
  b.prefetch(files);
  const params = files.flatMap((file) => {
    const selection = union.get(file) as DeclaredFile;
    const before = readParams(a, file, selection, declaredA.get(file));
    const after = readParams(b, file, selection, declaredB.get(file));
    return diffValues(file, before, after);
  });
  return { old: a.label, new: b.label, params };
}

/**
 * The params the pipeline at `source` declares, read there: file → flattened `key → value`
 * (what `exp show` puts in its columns). `pipeline` may be given when already loaded.
 */
/** A params file's text → its data (YAML, JSON or Python); `exp show` passes one that remembers. */
export type ParamsParser = (text: string, file: string) => unknown;

export const parseParamsFile: ParamsParser = (text, file) => (/\.(py|toml)$/i.test(file) ? parseParamsText(text, file) : (parseYamlText(text, file) ?? {}));

export function showParams(root: string, source: FileSource, targets: readonly Target[] = [], pipeline = loadPipelineAt(root, source), parse: ParamsParser = parseParamsFile): Map<string, Map<string, unknown>> {
  const declared = declaredParams(pipeline, targets);
  const files = [...declared.keys()].sort(compareStrings);
  source.prefetch(files);
  return new Map(files.map((file) => [file, readParams(source, file, declared.get(file) as DeclaredFile, declared.get(file), parse)]));
}

function declaredParams(pipeline: Pipeline, targets: readonly Target[]): Map<string, DeclaredFile> {
  const result = new Map<string, DeclaredFile>();
  for (const stage of pipeline.stages.values()) {
    const stageSelected = targets.length === 0 || targets.some((t) => isStageTarget(t, stage.name));
    for (const spec of stage.params) {
      if (!stageSelected && !targets.some((t) => t.path === spec.file)) continue;
      const d = result.get(spec.file) ?? { all: false, keys: new Set<string>(), stages: [] };
      if (spec.keys.length === 0) d.all = true;
      for (const k of spec.keys) d.keys.add(k);
      d.stages.push(stage.name);
      result.set(spec.file, d);
    }
  }
  // Top-level `params:` files (DVC 3): every key, shown without targets or when named.
  for (const file of pipeline.sections?.params ?? []) {
    if (targets.length > 0 && !targets.some((t) => t.path === file)) continue;
    const d = result.get(file) ?? { all: false, keys: new Set<string>(), stages: [] };
    d.all = true;
    result.set(file, d);
  }
  return result;
}


/** The selected params of `file` on one side, flattened to dotted keys. */
function readParams(source: FileSource, file: string, selection: DeclaredFile, declaredHere: DeclaredFile | undefined, parse: ParamsParser = parseParamsFile): Map<string, unknown> {
  const text = readText(source, file);
  if (text === undefined) {
    // Missing where this side's own pipeline uses it: that revision could not have run.
    if (declaredHere && declaredHere.stages.length === 0) {
      throw new MlpError(`params file '${file}' does not exist ${describeSource(source)}, but the pipeline lists it under top-level \`params:\``, {
        hint: source.commit === undefined ? `restore it (git checkout -- ${file}) or remove it from \`params:\`` : `was it committed? (git log --stat -- ${file}); compare other revisions, or commit it`,
      });
    }
    if (declaredHere) {
      const stages = declaredHere.stages;
      throw new MlpError(`params file '${file}' does not exist ${describeSource(source)}, but stage${stages.length > 1 ? 's' : ''} '${stages.join("', '")}' declare${stages.length > 1 ? '' : 's'} params from it there`, {
        hint: source.commit === undefined ? `restore it (git checkout -- ${file}) or remove it from the stages' params` : `was it committed? (git log --stat -- ${file}); compare other revisions, or commit it`,
      });
    }
    return new Map(); // Declared only on the other side: every param shows as added or removed.
  }
  let data: unknown;
  try {
    data = parse(text, file);
  } catch (error) {
    if (error instanceof MlpError) throw new MlpError(`${describeSource(source)}: ${error.message}`, { hint: error.hint ?? 'params files must be valid YAML or JSON', exitCode: error.exitCode, cause: error });
    throw error;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new MlpError(`params file '${file}' ${describeSource(source)} is not a mapping of keys to values`, { hint: 'a params file is a YAML or JSON mapping' });
  }
  if (selection.all) return flatten(data);
  const out = new Map<string, unknown>();
  for (const key of selection.keys) {
    const value = getDotted(data, key);
    if (!isMissing(value)) flatten(value, key, out);
  }
  return out;
}
