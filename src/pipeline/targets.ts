/**
 * The one place where a user's targets become stages, outputs and tracked data. Every command that
 * takes targets (repro, status, commit, checkout, push/pull/fetch, params/metrics, dag, remove,
 * freeze) resolves them here, so a target means the same thing everywhere and an unknown one is
 * reported the same way, with a "did you mean" when a name is close.
 *
 * A target is, in this order:
 * - `file:stage` — a stage (or foreach/matrix group) of the pipeline file `file` (relative to the
 *   current directory: `pipeline.yaml:train` in `nlp/` is `nlp/pipeline.yaml:train`);
 * - a stage name, or a foreach/matrix group name (`train` selects `train@a`, `train@b`), in any
 *   pipeline file; when several files have it, the one in the current directory's pipeline file
 *   (as DVC reads a plain name), else it is ambiguous (an error listing the addresses);
 * - with `glob`, a shell-style pattern over stage names (`train@*`, `eval_?`), as `dvc repro --glob`;
 * - a pipeline file (`pipeline.yaml`): every stage it defines;
 * - a pointer file (`data.csv.mlp`) or the data it tracks (`data.csv`), or a path inside it;
 * - a path that is a stage output, lies inside one, or is a directory holding outputs;
 * - with `recursive` (`-R`), a directory: every pipeline file and pointer file under it.
 *
 * It works on a loaded `Pipeline` (however it was loaded: the workspace's, or one read at a git
 * revision) and a list of tracked paths, so it needs no repository and never touches the disk
 * except for the existence checks of `pointerCandidates`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { normalizeRepoPath } from '../schema/repo-path.js';
import { isSameOrInside } from '../util/fs.js';
import { closest } from '../util/suggest.js';
import { localName, splitAddress } from './address.js';
import { PIPELINE_FILE, POINTER_SUFFIX } from './schema.js';
import { selectDownstream, selectStages, type Dag } from './dag.js';
import { requirePipeline } from './load.js';
import type { Pipeline, Stage } from './types.js';

/** Data tracked by a pointer file (what `Repo.pointers()` lists), as far as targets care. */
export interface TrackedRef {
  /** The pointer file, repository-relative. */
  file: string;
  /** The tracked path, repository-relative. */
  path: string;
}

export interface TargetOptions {
  /** The directory relative paths are relative to (default: the process's). */
  cwd?: string;
  /** Targets may be shell-style patterns over stage names (`--glob`). */
  glob?: boolean;
  /** A directory target means every pipeline file and pointer file below it (`-R`). */
  recursive?: boolean;
  /**
   * Tracked data; without it, pointer files and tracked paths are not targets. A function is
   * called only when a target is not a stage name (listing pointer files asks git).
   */
  tracked?: readonly TrackedRef[] | (() => readonly TrackedRef[]);
}

/** How `repro`, `status` and `commit` widen the named stages (DVC's `repro` flags). */
export interface StageSelectionOptions extends TargetOptions {
  /** Only the named stages, not what they depend on (`-s`). */
  single?: boolean;
  /** The named stages and every stage that depends on them, not what they depend on (`--downstream`). */
  downstream?: boolean;
  /** Every stage, whatever the targets (`-P/--all-pipelines`). */
  allPipelines?: boolean;
}

/** One output of one stage that a path target named (the output equals, holds or is inside the path). */
export interface SelectedOutput {
  stage: string;
  path: string;
}

export interface TargetSelection {
  /** Stages named (by name, group, pattern, pipeline file, or as the producer of a path), in declaration order. */
  stages: string[];
  /** Stages selected as a whole (not only through one of their outputs). */
  wholeStages: string[];
  /** Outputs named by a path target. */
  outputs: SelectedOutput[];
  /** Tracked data named by a pointer file or a path. */
  tracked: TrackedRef[];
}

/** A user's target, with its repository-relative path form (for path targets). */
export interface Target {
  /** As the user wrote it. */
  name: string;
  /** Repository-relative POSIX form of it as a path (relative to `cwd`); '.' for the root. */
  path: string;
}

export function toTarget(root: string, name: string, cwd = process.cwd()): Target {
  const rel = path.relative(root, path.resolve(cwd, name)).split(path.sep).join('/');
  return { name, path: rel === '' ? '.' : path.posix.normalize(rel) };
}

export function toTargets(root: string, names: readonly string[], cwd = process.cwd()): Target[] {
  return names.map((name) => toTarget(root, name, cwd));
}

/**
 * Whether `target` names `stage` (an address) by address or plain name, or as its foreach/matrix
 * group. A plain name matches that stage in every pipeline file (`resolveTargets` is the one that
 * refuses an ambiguous one).
 */
export function isStageTarget(target: Target | string, stage: string): boolean {
  const name = typeof target === 'string' ? target : target.name;
  const named = (s: string): boolean => s === name || s.startsWith(`${name}@`);
  return named(stage) || (stage.includes(':') && named(splitAddress(stage).name));
}

/** Resolves `targets` against `pipeline` (and tracked data). No targets: an empty selection. */
export function resolveTargets(pipeline: Pipeline, targets: readonly string[], options: TargetOptions = {}): TargetSelection {
  const cwd = options.cwd ?? process.cwd();
  let trackedList: readonly TrackedRef[] | undefined;
  const trackedRefs = (): readonly TrackedRef[] => (trackedList ??= typeof options.tracked === 'function' ? options.tracked() : (options.tracked ?? []));
  const stages = new Set<string>();
  const whole = new Set<string>();
  const outputs = new Map<string, SelectedOutput>();
  const tracked = new Map<string, TrackedRef>();
  const all = [...pipeline.stages.values()];
  const addStages = (names: readonly string[]): void => {
    for (const n of names) {
      stages.add(n);
      whole.add(n);
    }
  };

  for (const name of targets) {
    const target = toTarget(pipeline.root, name, cwd);
    const colon = addressed(pipeline, name, cwd);
    if (colon) {
      addStages(colon);
      continue;
    }
    const byName = stagesNamed(pipeline, all, name, options.glob === true, cwd);
    if (byName.length > 0) {
      addStages(byName);
      continue;
    }
    if (options.glob === true && isPattern(name)) throw unknownTarget(name, pipeline, { why: 'no stage name matches that pattern' });
    if (!usablePath(target.path)) throw outsideRepository(name, pipeline.root);
    const inFile = all.filter((s) => s.location.file === target.path).map((s) => s.name);
    if (inFile.length > 0) {
      addStages(inFile);
      continue;
    }
    let found = false;
    if (options.recursive === true) {
      const below = all.filter((s) => isSameOrInside(s.location.file, target.path)).map((s) => s.name);
      addStages(below);
      for (const t of trackedRefs()) if (isSameOrInside(t.file, target.path)) tracked.set(t.file, t);
      found = below.length > 0 || trackedRefs().some((t) => isSameOrInside(t.file, target.path));
    }
    const dataPath = target.path.endsWith(POINTER_SUFFIX) ? target.path.slice(0, -POINTER_SUFFIX.length) : target.path;
    for (const t of trackedRefs()) {
      if (t.file === target.path || isSameOrInside(t.path, dataPath) || isSameOrInside(dataPath, t.path)) {
        tracked.set(t.file, t);
        found = true;
      }
    }
    for (const stage of all) {
      for (const out of stage.outs) {
        if (isSameOrInside(target.path, out.path) || isSameOrInside(out.path, target.path)) {
          outputs.set(`${stage.name}\0${out.path}`, { stage: stage.name, path: out.path });
          stages.add(stage.name);
          found = true;
        }
      }
    }
    if (!found) {
      const error = unknownTarget(name, pipeline, { tracked: options.tracked === undefined ? undefined : trackedRefs() });
      // Without a pipeline file, a target that is not (nearly) tracked data is that file's absence (exit 3).
      if (!error.hint?.startsWith('did you mean')) requirePipeline(pipeline);
      throw error;
    }
  }
  const order = (set: Set<string>): string[] => [...pipeline.stages.keys()].filter((n) => set.has(n));
  return { stages: order(stages), wholeStages: order(whole), outputs: [...outputs.values()], tracked: [...tracked.values()] };
}

/** Stage names of `resolveTargets`, for commands that work on whole stages (repro, status, commit). */
export function resolveStages(pipeline: Pipeline, targets: readonly string[], options: TargetOptions = {}): string[] {
  return resolveTargets(pipeline, targets, options).stages;
}

/**
 * The stages a `repro`-like command works on, in run order: every stage without targets (or with
 * `allPipelines`); else the named stages with what they depend on, or only them (`single`), or
 * them and what depends on them (`downstream`; tracked data named as a target selects the stages
 * that read it).
 */
export function selectTargetStages(pipeline: Pipeline, dag: Dag, targets: readonly string[], options: StageSelectionOptions = {}): string[] {
  if (targets.length === 0 || options.allPipelines === true) return dag.order;
  const selection = resolveTargets(pipeline, targets, options);
  if (options.downstream !== true) return selection.stages.length === 0 ? [] : selectStages(dag, selection.stages, options.single === true);
  const start = new Set(selection.stages);
  for (const stage of pipeline.stages.values()) {
    if (stage.deps.some((d) => selection.tracked.some((t) => isSameOrInside(d, t.path) || isSameOrInside(t.path, d)))) start.add(stage.name);
  }
  return selectDownstream(dag, [...start]);
}

/**
 * The stages (addresses) a stage target names — `file:stage`, an address, or a plain stage or
 * group name (ambiguity is an error) — without paths or patterns; [] when it names none.
 */
export function namedStages(pipeline: Pipeline, name: string, cwd = process.cwd()): string[] {
  return addressed(pipeline, name, cwd) ?? stagesNamed(pipeline, [...pipeline.stages.values()], name, false, cwd);
}

/** `pipeline.yaml:train`, `sub/pipeline.yaml:train` (the file relative to `cwd`). */
function addressed(pipeline: Pipeline, name: string, cwd: string): string[] | undefined {
  const colon = name.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const file = toTarget(pipeline.root, name.slice(0, colon), cwd).path;
  const stage = name.slice(colon + 1);
  const inFile = [...pipeline.stages.values()].filter((s) => s.location.file === file);
  const pipelineFiles = new Set([pipeline.file, ...pipeline.files, ...[...pipeline.stages.values()].map((s) => s.location.file)]);
  if (!pipelineFiles.has(file)) return undefined;
  const names = inFile.filter((s) => isStageTarget(stage, localName(s))).map((s) => s.name);
  if (names.length > 0) return names;
  const suggestion = closest(stage, inFile.map((s) => localName(s)));
  throw new MlpError(`unknown target '${name}': ${file} has no stage '${stage}'`, {
    hint: suggestion ? `did you mean '${file}:${suggestion}'?` : stageListHint(pipeline, inFile.map((s) => localName(s)), file),
    exitCode: ExitCode.usage,
  });
}

/**
 * Stages named `name` (or of group `name`) by address or plain name. A plain name found in
 * several pipeline files means the current directory's one when it has it, else it is ambiguous.
 */
function stagesNamed(pipeline: Pipeline, all: readonly Stage[], name: string, glob: boolean, cwd: string): string[] {
  const exact = all.filter((s) => isStageTarget(name, s.name));
  if (exact.length > 0) return unambiguous(pipeline, exact, name, cwd).map((s) => s.name);
  if (!glob || !isPattern(name)) return [];
  const pattern = globToRegExp(name);
  return all.filter((s) => pattern.test(s.name) || pattern.test(localName(s))).map((s) => s.name);
}

function unambiguous(pipeline: Pipeline, found: readonly Stage[], name: string, cwd: string): readonly Stage[] {
  const files = [...new Set(found.map((s) => s.location.file))];
  if (files.length <= 1) return found;
  const here = toTarget(pipeline.root, PIPELINE_FILE, cwd).path;
  if (files.includes(here)) return found.filter((s) => s.location.file === here);
  const candidates = files.map((f) => `${f}:${name}`);
  throw new MlpError(`ambiguous target '${name}': ${files.length} pipeline files have a stage '${name}': ${candidates.join(', ')}`, {
    hint: `name one by its address, e.g. \`${candidates[0] ?? name}\`, or run the command in that pipeline's directory`,
    exitCode: ExitCode.usage,
  });
}

/**
 * What `mlp repro` without targets reproduces, as `dvc repro`: the pipeline file of the current
 * directory (`pipeline.yaml` there, with what it depends on in other pipelines). Undefined when
 * there is none: the caller says so (or, at the root of a repository with no pipeline, reports
 * the missing pipeline file).
 */
export function defaultPipelineTarget(pipeline: Pipeline, cwd = process.cwd()): string | undefined {
  const here = toTarget(pipeline.root, PIPELINE_FILE, cwd).path;
  return pipeline.files.includes(here) ? here : undefined;
}

function isPattern(name: string): boolean {
  return /[*?[]/.test(name);
}

/** Python's fnmatch (what DVC's `--glob` uses): `*`, `?`, `[seq]`, `[!seq]`; matches the whole name. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

function usablePath(rel: string): boolean {
  return rel === '.' || 'path' in normalizeRepoPath(rel);
}

function outsideRepository(name: string, root: string): MlpError {
  return new MlpError(`unknown target '${name}': it is outside the repository ${root} (or inside .git/.mlp)`, {
    hint: 'name a stage, or a path inside the repository',
    exitCode: ExitCode.usage,
  });
}

export interface UnknownTargetOptions {
  tracked?: readonly TrackedRef[] | undefined;
  /** What else a target may name, for the message (`params file`) and the suggestions (their paths). */
  what?: { kind: string; paths: readonly string[] };
  /** Replaces the usual "no stage … of that name or path". */
  why?: string;
}

/** The error for a target that names nothing, with the closest name when one is close. */
export function unknownTarget(name: string, pipeline: Pipeline, options: UnknownTargetOptions = {}): MlpError {
  const names = [...pipeline.stages.keys()];
  const groups = [...new Set(names.filter((n) => n.includes('@')).map((n) => n.slice(0, n.indexOf('@'))))];
  const paths = options.what
    ? options.what.paths
    : [...[...pipeline.stages.values()].flatMap((s) => s.outs.map((o) => o.path as string)), ...(options.tracked ?? []).flatMap((t) => [t.path, t.file])];
  const kinds = options.what ? `no stage of that name and no ${options.what.kind} at that path` : options.tracked ? 'no stage, output or tracked data of that name or path' : 'no stage or output of that name or path';
  const local = [...new Set([...pipeline.stages.values()].map((s) => localName(s)))];
  const suggestion = closest(name, [...names, ...local, ...groups, ...paths]);
  const why = options.why;
  return new MlpError(`unknown target '${name}': ${why ?? kinds}`, {
    hint: suggestion ? `did you mean '${suggestion}'?` : stageListHint(pipeline, names, pipeline.file),
    exitCode: ExitCode.usage,
  });
}

function stageListHint(pipeline: Pipeline, names: readonly string[], file: string): string {
  if (pipeline.missing) return `${pipeline.file} does not exist; targets are stages of it, or data tracked with \`mlp add\``;
  // Across several pipeline files, every stage by address (each file's stages when one is named).
  const where = names.some((n) => splitAddress(n).file !== PIPELINE_FILE) ? pipeline.files.join(', ') : file;
  if (names.length === 0) return `${where} defines no stages`;
  return `stages in ${where}: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`;
}

/** Pointer files that could track `dep` (the dep itself or one of its parent directories), nearest first. */
export function pointerCandidates(root: string, dep: string): string[] {
  const parts = dep.split('/');
  const found: string[] = [];
  for (let i = parts.length; i >= 1; i--) {
    const candidate = `${parts.slice(0, i).join('/')}${POINTER_SUFFIX}`;
    if (fs.existsSync(path.join(root, candidate))) found.push(candidate);
  }
  return found;
}
