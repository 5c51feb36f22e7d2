/**
 * `mlp exp show`: the workspace, each baseline and its experiments, with their params and
 * metrics. Everything at every commit is read with a couple of `git cat-file --batch` processes
 * (not a few per commit), so that hundreds of experiments show in a fraction of a second.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RevisionSource, WorkspaceSource, type FileSource } from '../git/file-source.js';
import { GitRepo, runGit } from '../git/git.js';
import { loadPipelineAt } from '../git/pipeline-at.js';
import { Lockfile } from '../lock/lockfile.js';
import { isRepoPath } from '../schema/repo-path.js';
import { isSha256 } from '../schema/sha256.js';
import { writeFileAtomic } from '../util/fs.js';
import { declaredMetrics, parseMetrics, showMetrics, type ObjectPath } from '../metrics/metrics.js';
import { parseParamsFile, showParams, type ParamsParser } from '../params/params-diff.js';
import { DEFAULT_PARAMS_FILE, LOCK_FILE, PIPELINE_FILE } from '../pipeline/schema.js';
import type { Pipeline } from '../pipeline/types.js';
import { baselineCommit, DVCLIVE_METRICS, DVCLIVE_PARAMS, listExperiments } from './store.js';

export interface ExpRow {
  kind: 'workspace' | 'baseline' | 'experiment';
  /** `workspace`, the branch name or short commit of a baseline, or the experiment's name. */
  name: string;
  commit: string | undefined;
  /** For an experiment: its baseline commit. */
  baseline: string | undefined;
  /** Commit time (undefined for the workspace). */
  created: Date | undefined;
  /** `file → key → value`. */
  params: Map<string, Map<string, unknown>>;
  metrics: Map<string, Map<string, unknown>>;
  /** Each dependency's hash as the row's pipeline.lock records it (`path → sha256`); empty without a lock. */
  deps?: Map<string, string>;
  /** Why params or metrics could not be read here (a broken file at that commit), if so. */
  error?: string;
}

export interface ShowOptions {
  /** Every commit of HEAD's history as a baseline, not just HEAD. */
  allCommits: boolean;
  /** The last `commits` commits of HEAD's history as baselines (HEAD is 1); ignored with `allCommits`. */
  commits?: number;
  /**
   * The workspace's pipeline when the caller has it (`Repo.pipeline`, from the parse cache): then
   * commits with the same `pipeline.yaml` need no YAML parsing at all.
   */
  workspacePipeline?: Pipeline;
}

/**
 * What `exp show` derives from file texts, remembered by the text's hash in
 * `.mlp/tmp/exp-deps.json`: the dependencies each pipeline.lock records and the data of each
 * params file. Parsing YAML costs a few milliseconds a file, and `exp show` would pay that for
 * every experiment on every call; an experiment's files never change. Values are checked on
 * load: a damaged file is dropped (it is only a cache).
 */
class TextMemo {
  private deps = new Map<string, Record<string, string>>();
  private params = new Map<string, Record<string, unknown>>();
  private added = false;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    try {
      const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      if (raw === null || typeof raw !== 'object') return;
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('damaged');
        if (/^[0-9a-f]{40}$/.test(key)) {
          if (!Object.entries(value as Record<string, unknown>).every(([p, h]) => isRepoPath(p) && isSha256(h))) throw new Error('damaged');
          this.deps.set(key, value as Record<string, string>);
        } else if (/^p:[0-9a-f]{40}$/.test(key)) {
          this.params.set(key, value as Record<string, unknown>);
        } else throw new Error('damaged');
      }
    } catch {
      this.deps.clear();
      this.params.clear();
    }
  }

  lockDeps(source: FileSource): Map<string, string> {
    const text = source.read(LOCK_FILE)?.toString('utf8');
    if (text === undefined) return new Map();
    const key = createHash('sha1').update(text).digest('hex');
    let deps = this.deps.get(key);
    if (!deps) {
      deps = {};
      try {
        for (const entry of Lockfile.parse(text).values()) for (const d of entry.deps) deps[d.path] = d.hash;
      } catch {
        // A broken lock at some commit: no deps to show there (its params and metrics say the rest).
      }
      this.deps.set(key, deps);
      this.added = true;
    }
    return new Map(Object.entries(deps));
  }

  /** `parseParamsFile`, remembered when the data is plain JSON (YAML dates or NaN are parsed every time). */
  readonly parseParams: ParamsParser = (text, file) => {
    const key = `p:${createHash('sha1').update(file).update('\0').update(text).digest('hex')}`;
    const known = this.params.get(key);
    if (known) return structuredClone(known);
    const data = parseParamsFile(text, file);
    if (data !== null && typeof data === 'object' && !Array.isArray(data) && isPlainJson(data)) {
      this.params.set(key, structuredClone(data) as Record<string, unknown>);
      this.added = true;
    }
    return data;
  };

  save(): void {
    if (!this.file || !this.added) return;
    // Bounded: the most recent entries are kept (a Map iterates in insertion order).
    const kept = [...[...this.deps].slice(-5000), ...[...this.params].slice(-5000)];
    try {
      writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(kept)));
    } catch {
      // Read-only checkout or full disk: the next call parses again.
    }
  }
}

/** Whether `value` survives JSON unchanged (finite numbers, strings, booleans, null, arrays, plain objects). */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isPlainJson);
  return false;
}

function commitInfo(git: GitRepo, commits: readonly string[]): Map<string, Date> {
  const result = new Map<string, Date>();
  if (commits.length === 0) return result;
  const out = runGit(git.root, ['show', '-s', '--format=%H %ct', '--no-walk=unsorted', ...commits]);
  for (const line of out.stdout.toString('utf8').split('\n')) {
    const [sha = '', time = '0'] = line.split(' ');
    if (sha) result.set(sha, new Date(Number(time) * 1000));
  }
  return result;
}

export function showExperiments(root: string, objectPath: ObjectPath, options: ShowOptions): ExpRow[] {
  const git = GitRepo.open(root);
  const head = baselineCommit(git);
  const history = options.allCommits || (options.commits ?? 1) > 1;
  const baselines = history
    ? runGit(root, ['rev-list', ...(options.allCommits ? [] : [`--max-count=${options.commits}`]), 'HEAD']).stdout.toString('utf8').split('\n').filter(Boolean)
    : [head];
  const branch = git.currentBranch();
  // One ref pattern per baseline would make a huge command line for a long history: filter instead.
  const wanted = new Set(baselines);
  const experiments = history ? listExperiments(git).filter((e) => wanted.has(e.baseline)) : listExperiments(git, [head]);
  const created = commitInfo(git, baselines);

  const rows: ExpRow[] = [{ kind: 'workspace', name: 'workspace', commit: undefined, baseline: undefined, created: undefined, params: new Map(), metrics: new Map(), deps: new Map() }];
  for (const b of baselines) {
    rows.push({ kind: 'baseline', name: b === head && branch ? branch : b.slice(0, 7), commit: b, baseline: undefined, created: created.get(b), params: new Map(), metrics: new Map(), deps: new Map() });
    for (const e of experiments.filter((x) => x.baseline === b)) {
      rows.push({ kind: 'experiment', name: e.name, commit: e.commit, baseline: b, created: e.created, params: new Map(), metrics: new Map(), deps: new Map() });
    }
  }

  const workspace = new WorkspaceSource(root);
  const memo = new TextMemo(fs.existsSync(path.join(root, '.mlp', 'tmp')) ? path.join(root, '.mlp', 'tmp', 'exp-deps.json') : undefined);
  const revisions = new Map<string, RevisionSource>();
  for (const row of rows) if (row.commit && !revisions.has(row.commit)) revisions.set(row.commit, new RevisionSource(git, row.name, row.commit));
  // The files each commit most likely needs, fetched for all commits at once: the pipeline, its
  // lock and the params and metrics files the workspace's pipeline declares.
  let guess: Pipeline | undefined = options.workspacePipeline;
  try {
    guess ??= loadPipelineAt(root, workspace);
  } catch {
    guess = undefined;
  }
  const guessed = [PIPELINE_FILE, LOCK_FILE, DEFAULT_PARAMS_FILE, DVCLIVE_METRICS, DVCLIVE_PARAMS];
  if (guess) {
    for (const stage of guess.stages.values()) for (const p of stage.params) guessed.push(p.file);
    guessed.push(...declaredMetrics(guess, []));
  }
  RevisionSource.prefetchAll([...revisions.values()], [...new Set(guessed)]);

  // Pipelines are parsed once per distinct pipeline.yaml text (experiments rarely change it).
  const pipelines = new Map<string, Pipeline>();
  const workspaceText = workspace.read(PIPELINE_FILE)?.toString('utf8');
  if (guess && workspaceText !== undefined && !workspaceText.includes('${')) pipelines.set(workspaceText, guess);
  const pipelineOf = (source: FileSource): Pipeline => {
    if (source === workspace && guess) return guess;
    const text = source.read(PIPELINE_FILE)?.toString('utf8');
    if (text === undefined || source.commit === undefined) return loadPipelineAt(root, source);
    let p = pipelines.get(text);
    if (!p) {
      p = loadPipelineAt(root, source);
      // Without `${…}` no params or vars file can change what the pipeline means (as in
      // src/pipeline/load.ts), so commits with the same pipeline.yaml share one.
      if (!text.includes('${')) pipelines.set(text, p);
    }
    return p;
  };

  for (const row of rows) {
    const source = row.commit ? (revisions.get(row.commit) as RevisionSource) : workspace;
    row.deps = memo.lockDeps(source);
    try {
      row.params = showParams(root, source, [], pipelineOf(source), memo.parseParams);
      const [metrics] = showMetrics(root, [source], [], objectPath, [pipelineOf(source)]);
      for (const f of metrics?.files ?? []) if (f.values) row.metrics.set(f.path, f.values);
      // DVCLive's logs count even when the pipeline does not declare them.
      const dvclive = (file: string): Map<string, unknown> | undefined => {
        const text = source.read(file)?.toString('utf8');
        return text === undefined ? undefined : parseMetrics(text, file, source);
      };
      if (!row.metrics.has(DVCLIVE_METRICS)) {
        const values = dvclive(DVCLIVE_METRICS);
        if (values) row.metrics.set(DVCLIVE_METRICS, values);
      }
      if (!row.params.has(DVCLIVE_PARAMS)) {
        const values = dvclive(DVCLIVE_PARAMS);
        if (values) row.params.set(DVCLIVE_PARAMS, values);
      }
    } catch (error) {
      row.error = error instanceof Error ? error.message : String(error);
    }
  }
  memo.save();
  return rows;
}
