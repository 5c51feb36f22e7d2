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
  ARTIFACT_KEYS,
  ARTIFACT_NAME,
  DEFAULT_PARAMS_FILE,
  FOREACH_KEYS,
  MATRIX_KEY,
  OUT_FLAGS,
  PIPELINE_FILE,
  PLOT_PROPS,
  STAGE_KEYS,
  STAGE_NAME,
  TOP_LEVEL_KEYS,
  TOP_PLOT_KEYS,
  URL_PATH,
  describeAllowed,
} from './schema.js';
import { parseResources } from './resources.js';
import { DEFAULT_PARSING, TemplateError, interpolate, type Context, type ParsingOptions } from './template.js';
import { parseSlurmOptions } from '../executors/slurm/options.js';
import { EXECUTOR_NAMES, type ExecutorName, type Artifact, type OutKind, type OutSpec, type ParamsSpec, type Pipeline, type PipelineSections, type SourceLocation, type Stage, type TopLevelPlot } from './types.js';
import { validatePipeline } from './validate.js';
import { pipelineDir, stageAddress } from './address.js';

interface RawStage {
  name: string;
  definition: Record<string, unknown>;
  location: SourceLocation;
  keyLocations: Map<string, SourceLocation>;
  context: Context;
  /** Params read through `${…}` from params.yaml or a vars file: file → dotted keys (DVC tracks them). */
  tracked: Map<RepoPath, Set<string>>;
}

export interface LoadOptions {
  /** How `${mapping}` in `cmd` becomes arguments (the `parsing` section of the config). */
  parsing?: ParsingOptions;
}

/**
 * Which file each top-level name of the interpolation context came from (params.yaml or a vars
 * file); names from inline `vars` mappings have none, and are not tracked as params.
 */
type Origins = Map<string, RepoPath>;

interface CachedPipeline {
  stages: Stage[];
  sections?: PipelineSections;
}

/**
 * Loads and validates one pipeline file (`pipeline.yaml`, or `sub/pipeline.yaml`, whose paths are
 * relative to its directory and whose stages are addressed `sub/pipeline.yaml:name`). The
 * resolved stages are kept in the parse cache, keyed by the pipeline file and every params/vars
 * file read while resolving it. With `readText` the pipeline and its params files are read
 * through it instead (e.g. at a git revision), without the cache. `loadPipelines` (index.ts)
 * loads every pipeline file of a repository into one.
 */
export function loadPipeline(root: string, file = PIPELINE_FILE, cache = ParseCache.inMemory(), readText?: ReadText, options: LoadOptions = {}): Pipeline {
  const parsing = options.parsing ?? DEFAULT_PARSING;
  if (readText) {
    const text = readText(file);
    return text === undefined ? { root, file, files: [], stages: new Map(), missing: true } : resolvePipeline(root, file, text, new ParamsReader(root, cache, readText), parsing);
  }
  const cacheKey = `pipeline2:${root}:${file}:${parsing.bool}:${parsing.list}`;
  const cached = cache.get<CachedPipeline>(cacheKey);
  // The cache holds stages validated when they were stored; their paths are checked again anyway.
  if (cached && Array.isArray(cached.stages) && cached.stages.every(hasValidPaths) && (cached.sections === undefined || [...cached.sections.metrics, ...cached.sections.params].every(isRepoPath))) {
    const pipeline: Pipeline = { root, file, files: [file], stages: new Map(cached.stages.map((s) => [s.name, s])) };
    if (cached.sections) pipeline.sections = cached.sections;
    return pipeline;
  }
  const pipelineAbs = path.join(root, file);
  const before = fingerprint([pipelineAbs]);
  let text: string;
  try {
    text = fs.readFileSync(pipelineAbs, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { root, file, files: [], stages: new Map(), missing: true };
    if (errorCode(error) === 'EISDIR') {
      throw new PipelineError(`${file} is a directory, not a file`, {}, { hint: `a pipeline is a YAML file named ${PIPELINE_FILE}: move the directory ${file} away` });
    }
    throw error;
  }
  const params = new ParamsReader(root, cache);
  const pipeline = resolvePipeline(root, file, text, params, parsing);
  // Without `${…}` the params files cannot change what the pipeline means.
  const files = text.includes('${') ? [pipelineAbs, ...params.filesRead] : [pipelineAbs];
  const now = fingerprint(files);
  const value: CachedPipeline = { stages: [...pipeline.stages.values()] };
  if (pipeline.sections) value.sections = pipeline.sections;
  if (now.startsWith(before)) cache.set(cacheKey, files, now, value);
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
  refuseDvcInstead(pipeline);
  if (pipeline.missing) {
    throw new PipelineError(`${pipeline.file} does not exist in ${pipeline.root}`, {}, {
      hint: `create ${pipeline.file} with your stages (see "pipeline.yaml reference" in the README); data tracked with \`mlp add\` needs no pipeline: use \`mlp status\` and \`mlp checkout\``,
    });
  }
  return pipeline;
}

/**
 * A DVC project not migrated yet (dvc.yaml, no pipeline.yaml) is not an empty pipeline: say so
 * and point to `mlp migrate`, instead of reporting nothing to do.
 */
export function refuseDvcInstead(pipeline: Pipeline): void {
  if (!pipeline.missing) return;
  const dvcYaml = path.posix.join(path.posix.dirname(pipeline.file), 'dvc.yaml');
  if (!fs.existsSync(path.join(pipeline.root, dvcYaml))) return;
  throw new PipelineError(`${pipeline.file} does not exist, but ${dvcYaml} does: this is a DVC project that is not migrated yet`, {}, {
    hint: 'convert it with `mlp migrate` (`mlp migrate --dry-run` shows what it would do; the DVC files stay unless --remove-dvc)',
  });
}

function resolvePipeline(root: string, file: string, text: string, params: ParamsReader, parsing: ParsingOptions): Pipeline {
  const loader = new PipelineLoader(root, file, text, params, parsing);
  const pipeline: Pipeline = { root, file, files: [file], stages: loader.stages() };
  const sections = loader.sections();
  if (sections) pipeline.sections = sections;
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
    const file = stage.location.file;
    const text = fs.readFileSync(path.join(pipeline.root, file), 'utf8');
    const loader = new PipelineLoader(pipeline.root, file, text, new ParamsReader(pipeline.root, ParseCache.inMemory()), DEFAULT_PARSING);
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

/** A key of a mapping as written, with the nodes of the pair (merge keys expanded). */
interface Pair {
  key: string;
  keyNode: Node;
  value: Node;
}

/** `<<` (a YAML merge key): the yaml library reads it as a symbol when `merge` is on. */
function isMergeKey(node: Node): boolean {
  return isScalar(node) && (typeof node.value === 'symbol' || node.value === '<<');
}

class PipelineLoader {
  private readonly doc: Document;
  private readonly linePos: (offset: number) => { line: number; col: number };
  /** Where each key of each (expanded) stage was written, for errors found after loading. */
  private readonly keyLocations = new Map<string, Map<string, SourceLocation>>();
  private globalContext: Context | undefined;
  private readonly origins: Origins = new Map();

  /** The pipeline file's directory ('.' at the root): its paths, vars and params.yaml are relative to it. */
  private readonly dir: string;

  constructor(
    private readonly root: string,
    private readonly file: string,
    text: string,
    private readonly params: ParamsReader,
    private readonly parsing: ParsingOptions,
  ) {
    ({ doc: this.doc, linePos: this.linePos } = parseYamlDocument(text, file));
    this.dir = pipelineDir(file);
  }

  private locate(node: Node | null | undefined): SourceLocation {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  private fail(message: string, node: Node | null | undefined, hint?: string): never {
    throw new PipelineError(message, this.locate(node), { hint });
  }

  /**
   * The pairs of `map` as YAML means them: `<<: *anchor` (or a list of anchors) brings in the
   * anchored mapping's pairs, which keys written in `map` itself override.
   */
  private pairs(map: YAMLMap): Pair[] {
    const own: Pair[] = [];
    const merged: Pair[] = [];
    for (const pair of map.items) {
      const keyNode = pair.key as Node;
      if (!isMergeKey(keyNode)) {
        own.push({ key: isScalar(keyNode) ? String(keyNode.value) : '', keyNode, value: pair.value as Node });
        continue;
      }
      const sources = isSeq(pair.value) ? (pair.value.items as Node[]) : [pair.value as Node];
      for (const source of sources) {
        const target = yaml().isAlias(source) ? (source.resolve(this.doc) as Node | undefined) : source;
        if (!isMap(target)) this.fail('`<<` (a YAML merge key) must refer to a mapping, e.g. `<<: *defaults`', source);
        for (const p of this.pairs(target)) if (!merged.some((m) => m.key === p.key)) merged.push(p);
      }
    }
    return [...own, ...merged.filter((m) => !own.some((o) => o.key === m.key))];
  }

  private get(map: YAMLMap, key: string): Node | undefined {
    return this.pairs(map).find((p) => p.key === key)?.value;
  }

  private checkKeys(map: YAMLMap, allowed: readonly string[], what: string): Map<string, SourceLocation> {
    const seen = new Map<string, SourceLocation>();
    for (const { key, keyNode } of this.pairs(map)) {
      if (!allowed.includes(key)) {
        this.fail(`unknown key '${key}' in ${what}`, keyNode, `allowed keys: ${describeAllowed(allowed)}`);
      }
      seen.set(key, this.locate(keyNode));
    }
    return seen;
  }

  keyLocation(stage: string, key: string): SourceLocation | undefined {
    return this.keyLocations.get(stage)?.get(key);
  }

  private top(): YAMLMap | undefined {
    const contents = this.doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return undefined;
    if (!isMap(contents)) this.fail('the pipeline must be a mapping with a `stages` key', contents as Node);
    this.checkKeys(contents, TOP_LEVEL_KEYS, 'the pipeline');
    return contents;
  }

  private context(contents: YAMLMap): Context {
    return (this.globalContext ??= this.collectVars(this.get(contents, 'vars')));
  }

  stages(): Map<string, Stage> {
    const contents = this.top();
    if (!contents) return new Map();
    const context = this.context(contents);
    const stagesNode = this.get(contents, 'stages');
    if (stagesNode === undefined || (isScalar(stagesNode) && stagesNode.value === null)) return new Map();
    if (!isMap(stagesNode)) this.fail('`stages` must be a mapping of stage names to definitions', stagesNode);

    const result = new Map<string, Stage>();
    for (const { key: name, keyNode, value } of this.pairs(stagesNode)) {
      if (!STAGE_NAME.test(name)) {
        this.fail(`invalid stage name '${name}'`, keyNode, 'use letters, digits, `_`, `.` and `-` (`@` is reserved for foreach/matrix)');
      }
      for (const raw of this.expandStage(name, keyNode, value, context)) {
        const address = stageAddress(this.file, raw.name);
        if (result.has(address)) this.fail(`stage '${raw.name}' is defined twice`, keyNode);
        result.set(address, new StageNormalizer(this.root, this.dir, raw, address).stage());
        this.keyLocations.set(address, raw.keyLocations);
      }
    }
    return result;
  }

  /** The top-level sections besides `stages` and `vars` (DVC 3), validated; undefined if none. */
  sections(): PipelineSections | undefined {
    const contents = this.top();
    if (!contents || !['metrics', 'params', 'plots', 'artifacts', 'datasets'].some((k) => this.get(contents, k) !== undefined)) return undefined;
    const context = this.context(contents);
    const value = (key: string): { node: Node; value: unknown } | undefined => {
      const node = this.get(contents, key);
      if (node === undefined || (isScalar(node) && node.value === null)) return undefined;
      try {
        return { node, value: interpolate(node.toJS(this.doc), context) };
      } catch (error) {
        if (error instanceof TemplateError) this.fail(`\`${key}\`: ${error.message}`, node, error.hint ?? 'define it in params.yaml or under `vars`');
        throw error;
      }
    };
    const paths = (key: 'metrics' | 'params'): RepoPath[] => {
      const entry = value(key);
      if (!entry) return [];
      if (!Array.isArray(entry.value) || !entry.value.every((v) => typeof v === 'string' && v.trim() !== '')) {
        this.fail(`top-level \`${key}\` must be a list of ${key} file paths`, entry.node, `e.g. ${key}: [${key === 'metrics' ? 'metrics/eval.json' : 'config/train.yaml'}]`);
      }
      return (entry.value as string[]).map((p) => {
        if (URL_PATH.test(p)) this.fail(`top-level \`${key}\`: '${p}' is a URL; mlp reads ${key} files from the repository only`, entry.node);
        const checked = normalizeRepoPath(path.posix.join(this.dir, p));
        if ('problem' in checked) this.fail(`top-level \`${key}\`: ${describePathProblem(p, checked.problem)}`, entry.node, 'paths must stay inside the repository');
        return checked.path;
      });
    };
    return {
      metrics: paths('metrics'),
      params: paths('params'),
      plots: this.topPlots(value('plots')),
      artifacts: this.artifacts(value('artifacts')),
      datasets: this.datasets(value('datasets')),
    };
  }

  private topPlots(entry: { node: Node; value: unknown } | undefined): TopLevelPlot[] {
    if (!entry) return [];
    const { node, value } = entry;
    const hint = 'e.g. plots: [{loss: {x: step, y: {logs/train.csv: loss, logs/val.csv: loss}}}, plots/confusion.png]';
    // DVC 3 writes a list; older files a mapping of plot ids: both mean the same.
    const items: Array<[string, unknown]> = Array.isArray(value)
      ? value.flatMap((item): Array<[string, unknown]> => {
          if (typeof item === 'string') return [[item, null]];
          if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1) return Object.entries(item);
          return this.fail('each entry of top-level `plots` must be a path or `plot-id: {x, y, …}`', node, hint);
        })
      : value !== null && typeof value === 'object'
        ? Object.entries(value)
        : this.fail('top-level `plots` must be a list of plots', node, hint);
    const fieldOrFiles = (v: unknown, list: boolean): boolean => {
      const field = (f: unknown): boolean => typeof f === 'string' || (list && Array.isArray(f) && f.every((x) => typeof x === 'string'));
      if (field(v)) return true;
      return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(field);
    };
    return items.map(([id, props]) => {
      const plot: TopLevelPlot = { id };
      if (props === null || props === undefined) return plot;
      if (typeof props !== 'object' || Array.isArray(props)) this.fail(`plot '${id}' must be a mapping of ${describeAllowed(TOP_PLOT_KEYS)}`, node, hint);
      for (const [k, v] of Object.entries(props)) {
        if (!(TOP_PLOT_KEYS as readonly string[]).includes(k)) this.fail(`unknown key '${k}' in plot '${id}'`, node, `allowed keys: ${describeAllowed(TOP_PLOT_KEYS)}`);
        const ok = k === 'x' ? fieldOrFiles(v, false) : k === 'y' ? fieldOrFiles(v, true) : typeof v === 'string';
        if (!ok) this.fail(`plot '${id}': \`${k}\` must be ${k === 'x' || k === 'y' ? `a field name${k === 'y' ? ' (or a list of them)' : ''} or a mapping from data file to field` : 'a string'}`, node, hint);
        (plot as unknown as Record<string, unknown>)[k] = v;
      }
      return plot;
    });
  }

  private artifacts(entry: { node: Node; value: unknown } | undefined): Record<string, Artifact> {
    if (!entry) return {};
    const { node, value } = entry;
    const hint = 'e.g. artifacts: {text-classifier: {path: models/text, type: model, desc: …, labels: [nlp]}}';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail('`artifacts` must map artifact names to {path, type, desc, labels, meta}', node, hint);
    const result: Record<string, Artifact> = {};
    for (const [name, spec] of Object.entries(value)) {
      if (!ARTIFACT_NAME.test(name)) this.fail(`invalid artifact name '${name}'`, node, 'use lowercase letters and digits, with `-` as a separator (not first or last), as DVC does');
      if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) this.fail(`artifact '${name}' must be a mapping with a \`path\``, node, hint);
      const s = spec as Record<string, unknown>;
      for (const k of Object.keys(s)) if (!(ARTIFACT_KEYS as readonly string[]).includes(k)) this.fail(`unknown key '${k}' in artifact '${name}'`, node, `allowed keys: ${describeAllowed(ARTIFACT_KEYS)}`);
      if (typeof s.path !== 'string' || s.path === '') this.fail(`artifact '${name}' needs a \`path\``, node, hint);
      for (const k of ['type', 'desc'] as const) if (s[k] !== undefined && typeof s[k] !== 'string') this.fail(`artifact '${name}': \`${k}\` must be a string`, node);
      if (s.labels !== undefined && (!Array.isArray(s.labels) || !s.labels.every((l) => typeof l === 'string'))) this.fail(`artifact '${name}': \`labels\` must be a list of strings`, node);
      result[name] = s as unknown as Artifact;
    }
    return result;
  }

  private datasets(entry: { node: Node; value: unknown } | undefined): unknown[] {
    if (!entry) return [];
    const { node, value } = entry;
    if (!Array.isArray(value) || !value.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d) && typeof (d as Record<string, unknown>).name === 'string')) {
      this.fail('`datasets` must be a list of mappings, each with a `name`', node, 'e.g. datasets: [{name: dogs, url: dvcx://dogs, type: dvcx}]');
    }
    return value;
  }

  private collectVars(varsNode: Node | undefined): Context {
    const context: Context = {};
    // As DVC: the params.yaml next to the pipeline file (a sub-pipeline's own).
    const defaultsFile = path.posix.join(this.dir, DEFAULT_PARAMS_FILE) as RepoPath;
    const defaults = this.params.read(defaultsFile);
    if (defaults) {
      Object.assign(context, defaults);
      for (const key of Object.keys(defaults)) this.origins.set(key, defaultsFile);
    }
    if (varsNode === undefined || (isScalar(varsNode) && varsNode.value === null)) return context;
    if (!isSeq(varsNode)) this.fail('`vars` must be a list of params files and mappings', varsNode);
    for (const item of varsNode.items as Node[]) {
      this.addVars(isMap(item) ? item.toJS(this.doc) : isScalar(item) ? item.value : undefined, this.dir, context, this.origins, this.locate(item));
    }
    return context;
  }

  /**
   * Adds one `vars` entry (a mapping, `file.yaml` or `file.yaml:key1,key2`; files relative to
   * `base`) to `context`, recording where each name came from in `origins`.
   */
  private addVars(entry: unknown, base: string, context: Context, origins: Origins, at: SourceLocation): void {
    const fail = (message: string, hint?: string): never => {
      throw new PipelineError(message, at, { hint });
    };
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
      Object.assign(context, entry as Context);
      for (const key of Object.keys(entry)) origins.delete(key);
      return;
    }
    if (typeof entry !== 'string') fail('each `vars` entry must be a file name (optionally `file.yaml:key1,key2`) or a mapping');
    const [fileName = '', keyList] = (entry as string).split(':');
    // A vars file is read into commands (and so into the lockfile): it must be in the repository.
    const checked = normalizeRepoPath(path.posix.join(base, fileName));
    if ('problem' in checked) fail(`vars file ${describePathProblem(fileName, checked.problem).replace(/^path /, '')}`, 'vars files must be inside the repository');
    const file = (checked as { path: RepoPath }).path;
    const data = this.params.read(file);
    if (!data) return fail(`vars file '${fileName}' does not exist`, 'create it or remove it from `vars`');
    if (keyList === undefined) {
      Object.assign(context, data);
      for (const key of Object.keys(data)) origins.set(key, file);
      return;
    }
    for (const key of keyList.split(',').map((k) => k.trim())) {
      const value = getDotted(data, key);
      if (isMissing(value)) fail(`key '${key}' is not in ${fileName}`);
      context[key] = value;
      origins.set(key, file);
    }
  }

  private expandStage(name: string, keyNode: Node, node: Node, context: Context): RawStage[] {
    if (!isMap(node)) this.fail(`stage '${name}' must be a mapping`, node, `allowed keys: ${describeAllowed(STAGE_KEYS)}`);
    const location = this.locate(keyNode);
    const where = `stage '${name}'`;
    /**
     * Interpolates one expanded definition: stage `vars` first (they may use `${item}`), then
     * `cmd` (where a mapping becomes `--key value` arguments), then the rest; every value read
     * from params.yaml or a vars file is tracked as a param of the stage, as DVC does.
     */
    const resolve = (definition: Record<string, unknown>, extra: Context, keys: Map<string, SourceLocation>): Pick<RawStage, 'definition' | 'tracked'> => {
      const origins: Origins = new Map(this.origins);
      const stageContext: Context = { ...context };
      const used = new Set<string>();
      const run = <T>(at: SourceLocation, f: () => T): T => {
        try {
          return f();
        } catch (error) {
          if (error instanceof TemplateError) throw new PipelineError(`${where}: ${error.message}`, at, { hint: error.hint ?? 'define it in params.yaml or under `vars`' });
          throw error;
        }
      };
      const { vars, cmd, ...rest } = definition;
      if (vars !== undefined && vars !== null) {
        const at = keys.get('vars') ?? location;
        const entries = run(at, () => interpolate(vars, { ...stageContext, ...extra }));
        if (!Array.isArray(entries)) throw new PipelineError(`${where}: \`vars\` must be a list of params files and mappings`, at);
        const wdir = path.posix.join(this.dir, typeof rest.wdir === 'string' && !rest.wdir.includes('${') ? rest.wdir : '.');
        for (const entry of entries) this.addVars(entry, wdir, stageContext, origins, at);
      }
      const full = { ...stageContext, ...extra };
      const resolved = run(location, () => interpolate(rest, full, { used })) as Record<string, unknown>;
      if (cmd !== undefined) resolved.cmd = run(location, () => interpolate(cmd, full, { used, cmdArgs: this.parsing }));
      const tracked = new Map<RepoPath, Set<string>>();
      for (const expression of used) {
        const head = expression.split('.')[0] ?? '';
        if (head in extra) continue; // `${item…}`, `${key}`: the foreach/matrix value, not a param
        const file = origins.get(expression) ?? origins.get(head);
        if (file === undefined) continue;
        const set = tracked.get(file) ?? new Set<string>();
        set.add(expression);
        tracked.set(file, set);
      }
      return { definition: resolved, tracked };
    };

    if (this.get(node, 'foreach') !== undefined) {
      const keyLocations = this.checkKeys(node, FOREACH_KEYS, where);
      const doNode = this.get(node, 'do');
      if (!doNode || !isMap(doNode)) this.fail(`${where}: \`foreach\` needs a \`do\` mapping with the stage definition`, node);
      const doKeys = this.checkKeys(doNode, STAGE_KEYS, `${where} (do)`);
      const foreachAt = keyLocations.get('foreach') ?? location;
      const foreachNode = this.get(node, 'foreach') as Node;
      let items: unknown;
      try {
        items = interpolate(foreachNode.toJS(this.doc), context);
      } catch (error) {
        if (error instanceof TemplateError) throw new PipelineError(`${where}: ${error.message}`, foreachAt, { hint: error.hint ?? 'define it in params.yaml or under `vars`' });
        throw error;
      }
      const definition = doNode.toJS(this.doc) as Record<string, unknown>;
      // As DVC: a list of scalars names stages by value; a list with any list or mapping in it by index.
      const byIndex = Array.isArray(items) && items.some((item) => item !== null && typeof item === 'object');
      const entries: Array<[string, Context]> = Array.isArray(items)
        ? items.map((item, index) => [!byIndex && isPrimitive(item) ? String(item) : String(index), { item, key: index }])
        : items !== null && typeof items === 'object'
          ? Object.entries(items).map(([key, item]) => [key, { item, key }])
          : this.fail(`${where}: \`foreach\` must be a list or a mapping`, foreachNode);
      return entries.map(([suffix, extra]) => ({
        name: `${name}@${suffix}`,
        ...resolve(definition, extra, doKeys),
        location,
        keyLocations: doKeys,
        context: extra,
      }));
    }

    const keyLocations = this.checkKeys(node, [...STAGE_KEYS, MATRIX_KEY], where);
    const definition = node.toJS(this.doc) as Record<string, unknown>;
    if (this.get(node, MATRIX_KEY) === undefined) {
      return [{ name, ...resolve(definition, {}, keyLocations), location, keyLocations, context: {} }];
    }
    const matrixAt = keyLocations.get(MATRIX_KEY) ?? location;
    let matrix: unknown;
    try {
      matrix = interpolate(definition[MATRIX_KEY], context);
    } catch (error) {
      if (error instanceof TemplateError) throw new PipelineError(`${where}: ${error.message}`, matrixAt, { hint: error.hint ?? 'define it in params.yaml or under `vars`' });
      throw error;
    }
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
      ...resolve(definition, { item: combo.item }, keyLocations),
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

  /**
   * `dir`: the pipeline file's directory, which the stage's wdir (and so its paths) is relative
   * to; `address`: the stage's key across pipeline files (see address.ts).
   */
  constructor(
    private readonly root: string,
    private readonly dir: string,
    private readonly raw: RawStage,
    private readonly address: string,
  ) {
    this.wdir = this.path('wdir', this.raw.definition.wdir ?? '.', true);
  }

  private fail(key: string, message: string, hint?: string): never {
    const at = this.raw.keyLocations.get(key) ?? this.raw.location;
    throw new PipelineError(`stage '${this.raw.name}': ${message}`, at, { hint });
  }

  stage(): Stage {
    const d = this.raw.definition;
    if (d.cmd === undefined) this.fail('cmd', 'missing `cmd`', 'every stage needs the command that produces its outputs');
    const stage: Stage = {
      name: this.address,
      cmd: this.cmd(d.cmd),
      wdir: this.wdir,
      deps: this.list('deps', d.deps).map((p) => this.path('deps', p)),
      outs: [
        ...this.outs('outs', d.outs, 'out', true),
        ...this.outs('metrics', d.metrics, 'metric', false),
        ...this.outs('plots', d.plots, 'plot', true),
      ],
      params: this.params(d.params, this.raw.tracked),
      frozen: this.bool('frozen', d.frozen),
      alwaysChanged: this.bool('always_changed', d.always_changed),
      desc: d.desc === undefined ? undefined : this.string('desc', d.desc),
      env: this.env(d.env),
      location: this.raw.location,
    };
    if (d.resources !== undefined && d.resources !== null) {
      const { time, ...amounts } = this.resources(d.resources);
      if (time !== undefined) stage.time = time;
      if (Object.keys(amounts).length > 0) stage.resources = amounts;
    }
    if (d.executor !== undefined && d.executor !== null) {
      if (typeof d.executor !== 'string' || !(EXECUTOR_NAMES as readonly string[]).includes(d.executor)) {
        this.fail('executor', `\`executor\` must be one of ${EXECUTOR_NAMES.join(', ')}, got ${JSON.stringify(d.executor)}`, 'see "Running on a cluster" in the README');
      }
      stage.executor = d.executor as ExecutorName;
    }
    if (d.slurm !== undefined && d.slurm !== null) {
      const parsed = parseSlurmOptions(d.slurm);
      if (!parsed.ok) this.fail('slurm', parsed.message, parsed.hint);
      stage.slurm = parsed.options;
    }
    if (d.retries !== undefined && d.retries !== null) {
      if (typeof d.retries !== 'number' || !Number.isInteger(d.retries) || d.retries < 0) {
        this.fail('retries', `\`retries\` must be a whole number of at least 0, got ${JSON.stringify(d.retries)}`);
      }
      if (d.retries > 0) stage.retries = d.retries;
    }
    return stage;
  }

  /** Amounts, and `time` (seconds): a time limit, not a pool the scheduler shares out. */
  private resources(value: unknown): Record<string, number> {
    const parsed = parseResources(value, { time: true });
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
    if (URL_PATH.test(value)) {
      this.fail(
        key,
        `'${value}' is an external ${key === 'deps' ? 'dependency' : 'location'} (a URL); mlp supports only paths inside the repository`,
        key === 'deps'
          ? 'download it in a stage of its own (e.g. `cmd: aws s3 cp s3://… data/raw.csv` with `outs: [data/raw.csv]`, `always_changed: true`), or add it with `mlp add`'
          : 'write the output inside the repository and push it with `mlp push` (per-output `remote:` chooses the remote)',
      );
    }
    const base = key === 'wdir' ? this.dir : this.wdir;
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
    const allowed: readonly string[] = kind === 'plot' ? [...OUT_FLAGS, ...PLOT_PROPS] : OUT_FLAGS;
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
        if (!allowed.includes(flag)) {
          this.fail(key, `unknown flag '${flag}' on '${outPath}'`, `allowed flags: ${describeAllowed(allowed)}`);
        }
        const mustBe = (ok: boolean, what: string): void => {
          if (!ok) this.fail(key, `flag '${flag}' of '${outPath}' must be ${what}`);
        };
        switch (flag) {
          case 'cache':
          case 'persist':
          case 'push':
            mustBe(typeof flagValue === 'boolean', 'true or false');
            if (flag === 'push') {
              if (flagValue === false) spec.push = false;
            } else spec[flag] = flagValue as boolean;
            break;
          case 'remote':
            mustBe(typeof flagValue === 'string' && flagValue !== '', 'a remote name');
            spec.remote = flagValue as string;
            break;
          case 'desc':
          case 'type':
            mustBe(typeof flagValue === 'string', 'a string');
            (spec.annotations ??= {})[flag] = flagValue as string;
            break;
          case 'labels':
            mustBe(Array.isArray(flagValue) && flagValue.every((l) => typeof l === 'string'), 'a list of strings');
            (spec.annotations ??= {}).labels = flagValue as string[];
            break;
          case 'meta':
            (spec.annotations ??= {}).meta = flagValue;
            break;
          default: // a plot prop: x, y, x_label, y_label, title, template
            mustBe(typeof flagValue === 'string', 'a string');
            (spec.plot ??= {})[flag as keyof NonNullable<OutSpec['plot']>] = flagValue as string;
        }
      }
      return spec;
    });
  }

  /** The declared params plus those read through `${…}` (`tracked`); a file with no keys means every key. */
  private params(value: unknown, tracked: ReadonlyMap<RepoPath, ReadonlySet<string>>): ParamsSpec[] {
    const byFile = new Map<RepoPath, Set<string>>();
    const everyKey = new Set<RepoPath>();
    const add = (file: RepoPath, keys: readonly string[]): void => {
      const set = byFile.get(file) ?? new Set<string>();
      if (keys.length === 0) everyKey.add(file);
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
    for (const [file, keys] of tracked) {
      // A key already covered by a declared parent (`train` covers `train.lr`) is not repeated.
      const declared = byFile.get(file);
      const extra = [...keys].filter((k) => !everyKey.has(file) && !(declared && [...declared].some((d) => k.startsWith(`${d}.`))));
      if (extra.length > 0) add(file, extra);
    }
    return [...byFile].map(([file, keys]) => ({ file, keys: everyKey.has(file) ? [] : [...keys].sort() }));
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
