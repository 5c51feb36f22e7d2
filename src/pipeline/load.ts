/**
 * Loads `pipeline.yaml`: YAML syntax and unknown keys are checked on the document nodes (so every
 * error has a line and column), then `vars` are collected, `foreach`/`matrix` stages expanded,
 * `${…}` interpolated, and each stage normalised into the model in `types.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Document, Node, YAMLMap } from 'yaml';
import { PipelineError, errorCode } from '../errors.js';
import { ParamsReader, getDotted, isMissing, parseYamlDocument, type ReadText } from '../params/params-file.js';
import { describePathProblem, isRepoPath, normalizeRepoPath, type RepoPath } from '../schema/repo-path.js';
import { ParseCache } from '../util/parse-cache.js';
import { fingerprint } from '../util/stat-signature.js';
import { yaml } from '../util/yaml.js';
import {
  DEFAULT_PARAMS_FILE,
  FOREACH_KEYS,
  MATRIX_KEY,
  OUT_FLAGS,
  PIPELINE_FILE,
  STAGE_KEYS,
  STAGE_NAME,
  TOP_LEVEL_KEYS,
  describeAllowed,
} from './schema.js';
import { parseResources } from './resources.js';
import { TemplateError, interpolate, type Context } from './template.js';
import type { OutKind, OutSpec, ParamsSpec, Pipeline, SourceLocation, Stage } from './types.js';
import { validatePipeline } from './validate.js';

interface RawStage {
  name: string;
  definition: Record<string, unknown>;
  location: SourceLocation;
  keyLocations: Map<string, SourceLocation>;
  context: Context;
}

/**
 * Loads and validates the pipeline. The resolved stages are kept in the parse cache, keyed by
 * the pipeline file and every params/vars file read while resolving it. With `readText` the
 * pipeline and its params files are read through it instead (e.g. at a git revision), without
 * the cache.
 */
export function loadPipeline(root: string, file = PIPELINE_FILE, cache = ParseCache.inMemory(), readText?: ReadText): Pipeline {
  if (readText) {
    const text = readText(file);
    return text === undefined ? { root, file, stages: new Map(), missing: true } : resolvePipeline(root, file, text, new ParamsReader(root, cache, readText));
  }
  const cacheKey = `pipeline:${root}:${file}`;
  const cached = cache.get<Stage[]>(cacheKey);
  // The cache holds stages validated when they were stored; their paths are checked again anyway.
  if (cached?.every(hasValidPaths)) return { root, file, stages: new Map(cached.map((s) => [s.name, s])) };
  const pipelineAbs = path.join(root, file);
  const before = fingerprint([pipelineAbs]);
  let text: string;
  try {
    text = fs.readFileSync(pipelineAbs, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { root, file, stages: new Map(), missing: true };
    if (errorCode(error) === 'EISDIR') {
      throw new PipelineError(`${file} is a directory, not a file`, {}, { hint: `the pipeline is the YAML file ${file} at the repository root: move the directory away` });
    }
    throw error;
  }
  const params = new ParamsReader(root, cache);
  const pipeline = resolvePipeline(root, file, text, params);
  // Without `${…}` the params files cannot change what the pipeline means.
  const files = text.includes('${') ? [pipelineAbs, ...params.filesRead] : [pipelineAbs];
  const now = fingerprint(files);
  if (now.startsWith(before)) cache.set(cacheKey, files, now, [...pipeline.stages.values()]);
  return pipeline;
}

function hasValidPaths(stage: Stage): boolean {
  return (
    (stage.wdir === '.' || isRepoPath(stage.wdir)) &&
    stage.deps.every(isRepoPath) &&
    stage.outs.every((o) => isRepoPath(o.path)) &&
    stage.params.every((p) => isRepoPath(p.file))
  );
}

/**
 * For commands that need stages (`repro`, `dag`, targets of `status`/`commit`): a missing
 * pipeline file is an error, not an empty pipeline that is trivially up to date.
 */
export function requirePipeline(pipeline: Pipeline): Pipeline {
  if (pipeline.missing) {
    throw new PipelineError(`${pipeline.file} does not exist in ${pipeline.root}`, {}, {
      hint: `create ${pipeline.file} with your stages (see "pipeline.yaml reference" in the README); data tracked with \`mlp add\` needs no pipeline: use \`mlp status\` and \`mlp checkout\``,
    });
  }
  return pipeline;
}

function resolvePipeline(root: string, file: string, text: string, params: ParamsReader): Pipeline {
  const loader = new PipelineLoader(root, file, text, params);
  const pipeline = { root, file, stages: loader.stages() };
  const paramsFiles = params.filesRead.map((f) => path.relative(root, f).split(path.sep).join('/'));
  validatePipeline(pipeline, { paramsFiles, locate: (stage, out) => loader.keyLocation(stage.name, OUT_KEYS[out.kind]) });
  return pipeline;
}

/**
 * Where `stage` declares its outputs of `kind` (file:line:column of the `outs`/`metrics`/`plots`
 * key), for errors found after loading; parses the pipeline again, so only for the error path.
 */
export function outputLocation(pipeline: Pipeline, stage: Stage, kind: OutKind): SourceLocation {
  try {
    const text = fs.readFileSync(path.join(pipeline.root, pipeline.file), 'utf8');
    const loader = new PipelineLoader(pipeline.root, pipeline.file, text, new ParamsReader(pipeline.root, ParseCache.inMemory()));
    loader.stages();
    return loader.keyLocation(stage.name, OUT_KEYS[kind]) ?? stage.location;
  } catch {
    return stage.location;
  }
}

/** The pipeline.yaml key each kind of output is declared under. */
const OUT_KEYS: Record<OutKind, string> = { out: 'outs', metric: 'metrics', plot: 'plots' };

const isMap = (n: unknown): n is YAMLMap => yaml().isMap(n);
const isScalar = (n: unknown): n is import('yaml').Scalar => yaml().isScalar(n);
const isSeq = (n: unknown): n is import('yaml').YAMLSeq => yaml().isSeq(n);

class PipelineLoader {
  private readonly doc: Document;
  private readonly linePos: (offset: number) => { line: number; col: number };
  /** Where each key of each (expanded) stage was written, for errors found after loading. */
  private readonly keyLocations = new Map<string, Map<string, SourceLocation>>();

  constructor(
    private readonly root: string,
    private readonly file: string,
    text: string,
    private readonly params: ParamsReader,
  ) {
    ({ doc: this.doc, linePos: this.linePos } = parseYamlDocument(text, file));
  }

  private locate(node: Node | null | undefined): SourceLocation {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  private fail(message: string, node: Node | null | undefined, hint?: string): never {
    throw new PipelineError(message, this.locate(node), { hint });
  }

  private checkKeys(map: YAMLMap, allowed: readonly string[], what: string): Map<string, SourceLocation> {
    const seen = new Map<string, SourceLocation>();
    for (const pair of map.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined || !allowed.includes(key)) {
        this.fail(`unknown key '${String(key)}' in ${what}`, keyNode, `allowed keys: ${describeAllowed(allowed)}`);
      }
      seen.set(key, this.locate(keyNode));
    }
    return seen;
  }

  keyLocation(stage: string, key: string): SourceLocation | undefined {
    return this.keyLocations.get(stage)?.get(key);
  }

  stages(): Map<string, Stage> {
    const contents = this.doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return new Map();
    if (!isMap(contents)) this.fail('the pipeline must be a mapping with a `stages` key', contents as Node);
    this.checkKeys(contents, TOP_LEVEL_KEYS, 'the pipeline');
    const context = this.collectVars(contents.get('vars', true) as Node | undefined);
    const stagesNode = contents.get('stages', true) as Node | undefined;
    if (stagesNode === undefined || (isScalar(stagesNode) && stagesNode.value === null)) return new Map();
    if (!isMap(stagesNode)) this.fail('`stages` must be a mapping of stage names to definitions', stagesNode);

    const result = new Map<string, Stage>();
    for (const pair of stagesNode.items) {
      const keyNode = pair.key as Node;
      const name = isScalar(keyNode) ? String(keyNode.value) : '';
      if (!STAGE_NAME.test(name)) {
        this.fail(`invalid stage name '${name}'`, keyNode, 'use letters, digits, `_`, `.` and `-` (`@` is reserved for foreach/matrix)');
      }
      for (const raw of this.expandStage(name, keyNode, pair.value as Node, context)) {
        if (result.has(raw.name)) this.fail(`stage '${raw.name}' is defined twice`, keyNode);
        result.set(raw.name, new StageNormalizer(this.root, raw).stage());
        this.keyLocations.set(raw.name, raw.keyLocations);
      }
    }
    return result;
  }

  private collectVars(varsNode: Node | undefined): Context {
    const context: Context = {};
    const defaults = this.params.read(DEFAULT_PARAMS_FILE);
    if (defaults) Object.assign(context, defaults);
    if (varsNode === undefined || (isScalar(varsNode) && varsNode.value === null)) return context;
    if (!isSeq(varsNode)) this.fail('`vars` must be a list of params files and mappings', varsNode);
    for (const item of varsNode.items as Node[]) {
      if (isMap(item)) {
        Object.assign(context, item.toJS(this.doc) as Context);
        continue;
      }
      if (!isScalar(item) || typeof item.value !== 'string') {
        this.fail('each `vars` entry must be a file name (optionally `file.yaml:key1,key2`) or a mapping', item);
      }
      const [fileName = '', keyList] = item.value.split(':');
      // A vars file is read into commands (and so into the lockfile): it must be in the repository.
      const checked = normalizeRepoPath(fileName);
      if ('problem' in checked) this.fail(`vars file ${describePathProblem(fileName, checked.problem).replace(/^path /, '')}`, item, 'vars files must be inside the repository');
      const data = this.params.read(checked.path);
      if (!data) this.fail(`vars file '${fileName}' does not exist`, item, 'create it or remove it from `vars`');
      if (keyList === undefined) {
        Object.assign(context, data);
        continue;
      }
      for (const key of keyList.split(',').map((k) => k.trim())) {
        const value = getDotted(data, key);
        if (isMissing(value)) this.fail(`key '${key}' is not in ${fileName}`, item);
        context[key] = value;
      }
    }
    return context;
  }

  private expandStage(name: string, keyNode: Node, node: Node, context: Context): RawStage[] {
    if (!isMap(node)) this.fail(`stage '${name}' must be a mapping`, node, `allowed keys: ${describeAllowed(STAGE_KEYS)}`);
    const location = this.locate(keyNode);
    const where = `stage '${name}'`;
    const interpolated = (value: unknown, extra: Context, at: SourceLocation): unknown => {
      try {
        return interpolate(value, { ...context, ...extra });
      } catch (error) {
        if (error instanceof TemplateError) throw new PipelineError(`${where}: ${error.message}`, at, { hint: error.hint ?? 'define it in params.yaml or under `vars`' });
        throw error;
      }
    };

    if (node.has('foreach')) {
      const keyLocations = this.checkKeys(node, FOREACH_KEYS, where);
      const doNode = node.get('do', true) as Node | undefined;
      if (!doNode || !isMap(doNode)) this.fail(`${where}: \`foreach\` needs a \`do\` mapping with the stage definition`, node);
      const doKeys = this.checkKeys(doNode, STAGE_KEYS, `${where} (do)`);
      const foreachAt = keyLocations.get('foreach') ?? location;
      const items = interpolated((node.get('foreach', true) as Node).toJSON(), {}, foreachAt);
      const definition = doNode.toJS(this.doc) as Record<string, unknown>;
      const entries: Array<[string, Context]> = Array.isArray(items)
        ? items.map((item, index) => [isPrimitive(item) ? String(item) : String(index), { item, key: index }])
        : items !== null && typeof items === 'object'
          ? Object.entries(items).map(([key, item]) => [key, { item, key }])
          : this.fail(`${where}: \`foreach\` must be a list or a mapping`, node.get('foreach', true) as Node);
      return entries.map(([suffix, extra]) => ({
        name: `${name}@${suffix}`,
        definition: interpolated(definition, extra, location) as Record<string, unknown>,
        location,
        keyLocations: doKeys,
        context: extra,
      }));
    }

    const keyLocations = this.checkKeys(node, [...STAGE_KEYS, MATRIX_KEY], where);
    const definition = node.toJS(this.doc) as Record<string, unknown>;
    if (!node.has(MATRIX_KEY)) {
      return [{ name, definition: interpolated(definition, {}, location) as Record<string, unknown>, location, keyLocations, context: {} }];
    }
    const matrixAt = keyLocations.get(MATRIX_KEY) ?? location;
    const matrix = interpolated(definition[MATRIX_KEY], {}, matrixAt);
    delete definition[MATRIX_KEY];
    if (matrix === null || typeof matrix !== 'object' || Array.isArray(matrix)) {
      throw new PipelineError(`${where}: \`matrix\` must map names to lists of values`, matrixAt);
    }
    let combos: Array<{ suffix: string[]; item: Context }> = [{ suffix: [], item: {} }];
    for (const [dim, values] of Object.entries(matrix)) {
      if (!Array.isArray(values) || values.length === 0) {
        throw new PipelineError(`${where}: matrix entry '${dim}' must be a non-empty list`, matrixAt);
      }
      combos = combos.flatMap((combo) =>
        values.map((value, index) => ({
          suffix: [...combo.suffix, isPrimitive(value) ? String(value) : `${dim}${index}`],
          item: { ...combo.item, [dim]: value },
        })),
      );
    }
    return combos.map((combo) => ({
      name: `${name}@${combo.suffix.join('-')}`,
      definition: interpolated(definition, { item: combo.item }, location) as Record<string, unknown>,
      location,
      keyLocations,
      context: { item: combo.item },
    }));
  }
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Turns one expanded, interpolated stage definition into a `Stage`, checking value types. */
class StageNormalizer {
  private readonly wdir: string;

  constructor(
    private readonly root: string,
    private readonly raw: RawStage,
  ) {
    this.wdir = this.raw.definition.wdir === undefined ? '.' : this.path('wdir', this.raw.definition.wdir, true);
  }

  private fail(key: string, message: string, hint?: string): never {
    const at = this.raw.keyLocations.get(key) ?? this.raw.location;
    throw new PipelineError(`stage '${this.raw.name}': ${message}`, at, { hint });
  }

  stage(): Stage {
    const d = this.raw.definition;
    if (d.cmd === undefined) this.fail('cmd', 'missing `cmd`', 'every stage needs the command that produces its outputs');
    const stage: Stage = {
      name: this.raw.name,
      cmd: this.cmd(d.cmd),
      wdir: this.wdir,
      deps: this.list('deps', d.deps).map((p) => this.path('deps', p)),
      outs: [
        ...this.outs('outs', d.outs, 'out', true),
        ...this.outs('metrics', d.metrics, 'metric', false),
        ...this.outs('plots', d.plots, 'plot', true),
      ],
      params: this.params(d.params),
      frozen: this.bool('frozen', d.frozen),
      alwaysChanged: this.bool('always_changed', d.always_changed),
      desc: d.desc === undefined ? undefined : this.string('desc', d.desc),
      env: this.env(d.env),
      location: this.raw.location,
    };
    if (d.resources !== undefined && d.resources !== null) stage.resources = this.resources(d.resources);
    return stage;
  }

  private resources(value: unknown): Record<string, number> {
    const parsed = parseResources(value);
    if (!parsed.ok) this.fail('resources', parsed.message, 'see "resources" in the pipeline.yaml reference (README)');
    return parsed.amounts;
  }

  private cmd(value: unknown): string[] {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string' && c.trim() !== '')) {
      this.fail('cmd', '`cmd` must be a command string or a non-empty list of command strings');
    }
    return list as string[];
  }

  private list(key: string, value: unknown): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(key, `\`${key}\` must be a list`);
    return value;
  }

  private string(key: string, value: unknown): string {
    if (typeof value !== 'string') this.fail(key, `\`${key}\` must be a string`);
    return value;
  }

  private bool(key: string, value: unknown): boolean {
    if (value === undefined) return false;
    if (typeof value !== 'boolean') this.fail(key, `\`${key}\` must be true or false`);
    return value;
  }

  /**
   * Resolves a path relative to the stage's wdir into a `RepoPath` (through the one constructor
   * every repository path goes through); with `allowRoot`, `.` for the root itself (wdir).
   */
  private path(key: string, value: unknown): RepoPath;
  private path(key: string, value: unknown, allowRoot: true): RepoPath | '.';
  private path(key: string, value: unknown, allowRoot = false): RepoPath | '.' {
    if (typeof value !== 'string' || value.trim() === '') this.fail(key, `each entry of \`${key}\` must be a path string`);
    const base = key === 'wdir' ? '.' : this.wdir;
    const relative = path.isAbsolute(value) ? path.relative(this.root, value).split(path.sep).join('/') : path.posix.join(base, value);
    const normalized = normalizeRepoPath(relative === '' ? '.' : relative);
    if ('path' in normalized) return normalized.path;
    const { problem } = normalized;
    if (problem === 'is the repository root itself') {
      if (allowRoot) return '.';
      this.fail(key, `\`${key}\` cannot be the repository root itself`);
    }
    if (problem === 'is outside the repository' || problem.startsWith('is absolute')) {
      this.fail(key, `path '${value}' is outside the repository`, 'paths must stay inside the repository root');
    }
    this.fail(key, describePathProblem(value, problem));
  }

  private outs(key: string, value: unknown, kind: OutKind, cacheByDefault: boolean): OutSpec[] {
    return this.list(key, value).map((entry) => {
      if (typeof entry === 'string') return { path: this.path(key, entry), kind, cache: cacheByDefault, persist: false };
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || Object.keys(entry).length !== 1) {
        this.fail(key, `each entry of \`${key}\` must be a path or \`path: {cache: …, persist: …}\``);
      }
      const [outPath, flags] = Object.entries(entry)[0] as [string, unknown];
      const spec: OutSpec = { path: this.path(key, outPath), kind, cache: cacheByDefault, persist: false };
      if (flags === null || flags === undefined) return spec;
      if (typeof flags !== 'object' || Array.isArray(flags)) this.fail(key, `flags of '${outPath}' must be a mapping`);
      for (const [flag, flagValue] of Object.entries(flags)) {
        if (!(OUT_FLAGS as readonly string[]).includes(flag)) {
          this.fail(key, `unknown flag '${flag}' on '${outPath}'`, `allowed flags: ${describeAllowed(OUT_FLAGS)}`);
        }
        if (flag === 'desc') continue;
        if (typeof flagValue !== 'boolean') this.fail(key, `flag '${flag}' of '${outPath}' must be true or false`);
        spec[flag as 'cache' | 'persist'] = flagValue;
      }
      return spec;
    });
  }

  private params(value: unknown): ParamsSpec[] {
    const byFile = new Map<RepoPath, Set<string>>();
    const add = (file: RepoPath, keys: string[]): void => {
      const set = byFile.get(file) ?? new Set<string>();
      for (const k of keys) set.add(k);
      byFile.set(file, set);
    };
    const defaultFile = this.path('params', DEFAULT_PARAMS_FILE);
    for (const entry of this.list('params', value)) {
      if (typeof entry === 'string') {
        add(defaultFile, [entry]);
      } else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
        for (const [file, keys] of Object.entries(entry)) {
          if (keys !== null && (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))) {
            this.fail('params', `params of '${file}' must be a list of keys (or empty for all keys)`);
          }
          add(this.path('params', file), (keys ?? []) as string[]);
        }
      } else {
        this.fail('params', 'each entry of `params` must be a key or `file.yaml: [keys]`');
      }
    }
    return [...byFile].map(([file, keys]) => ({ file, keys: [...keys].sort() }));
  }

  private env(value: unknown): Record<string, string> {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) this.fail('env', '`env` must map variable names to values');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') this.fail('env', `env value of '${k}' must be a string or number`);
      out[k] = v === null ? '' : String(v);
    }
    return out;
  }
}
