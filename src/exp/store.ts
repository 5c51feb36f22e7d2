/**
 * Experiments as git commits. An experiment is a commit whose parent is its baseline (the `HEAD`
 * it was run from), holding the workspace as it was: params, pipeline.yaml, pipeline.lock,
 * pointer files and metrics (outputs stay in mlp's cache; they are git-ignored). It is kept under
 * `refs/exps/<baseline[0:2]>/<baseline[2:]>/<name>` — DVC's layout, so what users know of
 * `refs/exps` carries over — and never on a branch.
 *
 * Saving never touches the user's branch, `HEAD`, index or stash: the workspace is staged into a
 * private copy of the index (GIT_INDEX_FILE), written as a tree, committed with `commit-tree`, and
 * the ref is created with `update-ref`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { GitRepo, runGit } from '../git/git.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';
import { tempOwnerTag } from '../util/temp-files.js';

export const EXPS_NAMESPACE = 'refs/exps';

/**
 * DVCLive's output (Python scripts that log with it): `dvclive/metrics.json`, `dvclive/params.yaml`
 * and the per-step `dvclive/plots/metrics/*.tsv`. An experiment holds these text logs even when
 * the pipeline does not declare them, as DVC's experiments do; `exp show` reads the first two.
 */
export const DVCLIVE_DIR = 'dvclive';
export const DVCLIVE_METRICS = `${DVCLIVE_DIR}/metrics.json`;
export const DVCLIVE_PARAMS = `${DVCLIVE_DIR}/params.yaml`;

export function isDvcliveLog(file: string): boolean {
  return file.startsWith(`${DVCLIVE_DIR}/`) && /\.(json|ya?ml|tsv|csv)$/i.test(file);
}

export interface Experiment {
  name: string;
  /** Full ref name. */
  ref: string;
  commit: string;
  baseline: string;
  /** Commit time. */
  created: Date;
}

/** The ref of experiment `name` of `baseline`. */
export function experimentRef(baseline: string, name: string): string {
  return `${EXPS_NAMESPACE}/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
}

const CREATED_TRAILER = 'Mlp-Created';

const REF_PATTERN = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38}|[0-9a-f]{62})\/([^/]+)$/;

/**
 * What is wrong with `name` as an experiment name, or undefined. Names are one ref component
 * (git check-ref-format's rules, and no '/'), so every name is a valid ref and means one thing.
 */
export function experimentNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('/')) return "contains '/'";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.startsWith('.') || name.startsWith('-')) return "starts with '.' or '-'";
  if (name.endsWith('.') || name.endsWith('.lock')) return "ends with '.' or '.lock'";
  if (name.includes('..') || name.includes('@{') || name === '@') return "contains '..' or '@{', or is '@'";
  if (name.length > 200) return 'is longer than 200 characters';
  return undefined;
}

export function validateExperimentName(name: string): void {
  const problem = experimentNameProblem(name);
  if (problem) {
    throw new MlpError(`invalid experiment name '${name}': it ${problem}`, {
      hint: 'use letters, digits, and - _ . inside a name, e.g. -n lr-0.01',
      exitCode: ExitCode.usage,
    });
  }
}

// Readable generated names, as DVC gives them: adjective-noun, chosen by the commit's hash.
const ADJECTIVES = [
  'amber', 'azure', 'bold', 'brave', 'brisk', 'calm', 'civic', 'clear', 'cool', 'coral', 'crisp', 'dark', 'deft', 'dense', 'eager', 'early',
  'even', 'fair', 'fast', 'fine', 'firm', 'fleet', 'fresh', 'full', 'glad', 'gold', 'grand', 'green', 'happy', 'hardy', 'humid', 'ionic',
  'jolly', 'keen', 'kind', 'large', 'light', 'lucid', 'lunar', 'merry', 'mild', 'modal', 'muted', 'neat', 'noble', 'olive', 'pale', 'plain',
  'prime', 'proud', 'quick', 'quiet', 'rapid', 'ready', 'royal', 'sharp', 'sleek', 'solar', 'sound', 'spry', 'stark', 'swift', 'tidy', 'vivid',
];
const NOUNS = [
  'acorn', 'alder', 'anvil', 'arrow', 'aspen', 'basil', 'birch', 'bison', 'brook', 'cabin', 'cedar', 'cliff', 'cloud', 'comet', 'crane', 'creek',
  'delta', 'dune', 'eagle', 'ember', 'fern', 'field', 'finch', 'fjord', 'flint', 'frost', 'grove', 'heron', 'hill', 'iris', 'jade', 'kite',
  'lake', 'larch', 'lotus', 'maple', 'marsh', 'mesa', 'moss', 'oasis', 'orbit', 'otter', 'peak', 'pine', 'plume', 'pond', 'quail', 'raven',
  'reef', 'ridge', 'river', 'robin', 'sage', 'shoal', 'slate', 'spark', 'stone', 'tern', 'thorn', 'tide', 'vale', 'wave', 'willow', 'wren',
];

/** A readable name derived from `commit` (the same commit always gets the same name). */
export function generatedName(commit: string, attempt = 0): string {
  const n = Number.parseInt(commit.slice(attempt * 3, attempt * 3 + 6).padEnd(6, '0'), 16);
  const name = `${ADJECTIVES[n % ADJECTIVES.length]}-${NOUNS[Math.floor(n / ADJECTIVES.length) % NOUNS.length]}`;
  return attempt < 10 ? name : `${name}-${commit.slice(0, 7)}`;
}

function gitOrThrow(root: string, args: readonly string[], what: string, env?: Record<string, string>): string {
  const result = runGit(root, args, undefined, env);
  if (result.code !== 0) throw new MlpError(`${what} failed: ${result.stderr.trim()}`);
  return result.stdout.toString('utf8').trim();
}

/** HEAD's commit; a clear error when the repository has no commit yet. */
export function baselineCommit(git: GitRepo): string {
  const head = runGit(git.root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.code !== 0) {
    throw new MlpError('this repository has no commit yet: an experiment is saved as a child of HEAD', {
      hint: 'commit your pipeline and params first (git add -A && git commit -m "baseline")',
    });
  }
  return head.stdout.toString('utf8').trim();
}

export interface SaveOptions {
  /** The name; generated from the commit when absent. */
  name?: string;
  /** Replace an experiment of that name (of the same baseline). */
  force?: boolean;
  /** The commit message's first line. */
  message?: string;
  /** mlp's temp directory (`.mlp/tmp`), where the private index is made. */
  tmpDir: string;
  /**
   * Files to include even when git does not track them yet (pipeline.lock, params and metrics
   * files, pointer files, .gitignore files mlp wrote), relative to the mlp root. Other untracked
   * files are left out (as DVC does): a large dataset nobody added must not land in git.
   */
  include: readonly string[];
}

export interface SaveResult extends Experiment {
  /** Untracked files (not ignored) that were left out of the experiment. */
  leftOut: string[];
}

export interface WorkspaceCommit {
  commit: string;
  baseline: string;
  created: Date;
  /** Untracked files (not ignored) that were left out. */
  leftOut: string[];
}

/**
 * The workspace at `root` as a commit whose parent is HEAD, referenced by nothing yet. `replace`
 * gives other contents for some files (relative to the mlp root): `exp run --queue` commits the
 * params of each combination this way without writing them into the workspace.
 */
export function commitWorkspace(
  root: string,
  options: Pick<SaveOptions, 'tmpDir' | 'include'> & { message: string; replace?: ReadonlyMap<string, string | Buffer> },
): WorkspaceCommit {
  const git = GitRepo.open(root);
  const baseline = baselineCommit(git);
  const { tree, leftOut } = workspaceTree(git, options.tmpDir, options.include, options.replace ?? new Map());
  // Commit times have whole seconds; a sweep saves several experiments a second, and lists must
  // keep the order they ran in: the time in milliseconds rides along as a trailer.
  const created = new Date();
  const commit = runGit(root, ['commit-tree', tree, '-p', baseline, '-m', options.message, '-m', `${CREATED_TRAILER}: ${created.getTime()}`]);
  if (commit.code !== 0) {
    const identity = /tell me who you are|empty ident|unable to auto-detect email/i.test(commit.stderr);
    throw new MlpError(identity ? 'git has no identity to record the experiment commit with' : `git commit-tree failed: ${commit.stderr.trim()}`, {
      hint: identity ? 'set one: git config user.name "Your Name" && git config user.email you@example.com' : undefined,
    });
  }
  return { commit: commit.stdout.toString('utf8').trim(), baseline, created, leftOut };
}

/** A name for an experiment of `baseline` from its commit, unlike every name in `taken` and every experiment's. */
export function freeGeneratedName(git: GitRepo, baseline: string, commit: string, taken: ReadonlySet<string> = new Set()): string {
  const existing = new Set([...taken, ...listExperiments(git, [baseline]).map((e) => e.name)]);
  for (let attempt = 0; ; attempt++) {
    const name = generatedName(commit, attempt);
    if (!existing.has(name)) return name;
  }
}

/**
 * Saves the workspace at `root` as an experiment of HEAD. Files git ignores (cached outputs,
 * `.mlp/cache`, `.mlp/tmp`) are not part of it.
 */
export function saveExperiment(root: string, options: SaveOptions): SaveResult {
  if (options.name !== undefined) validateExperimentName(options.name);
  const message = options.message ?? `mlp experiment${options.name ? ` ${options.name}` : ''}`;
  const { commit: sha, baseline, created, leftOut } = commitWorkspace(root, { tmpDir: options.tmpDir, include: options.include, message });
  const git = GitRepo.open(root);
  const name = options.name ?? freeGeneratedName(git, baseline, sha);
  const ref = experimentRef(baseline, name);
  // Create-only (the old value must be "none") unless --force: two runs never overwrite each other.
  const update = runGit(root, ['update-ref', '-m', 'mlp exp save', ref, sha, ...(options.force ? [] : [''])]);
  if (update.code !== 0) {
    if (!options.force && runGit(root, ['rev-parse', '--verify', '--quiet', ref]).code === 0) {
      throw new MlpError(`an experiment named '${name}' already exists for this baseline (${baseline.slice(0, 7)})`, {
        hint: 'choose another name with -n, or replace it with -f/--force',
        exitCode: ExitCode.usage,
      });
    }
    throw new MlpError(`git update-ref ${ref} failed: ${update.stderr.trim()}`);
  }
  return { name, ref, commit: sha, baseline, created, leftOut };
}

/** The workspace as a git tree, staged into a private copy of the user's index. */
function workspaceTree(git: GitRepo, tmpDir: string, include: readonly string[], replace: ReadonlyMap<string, string | Buffer>): { tree: string; leftOut: string[] } {
  fs.mkdirSync(tmpDir, { recursive: true });
  const index = path.join(tmpDir, `exp-index.${tempOwnerTag()}.tmp`);
  try {
    const userIndex = git.gitPath('index');
    // Starting from the user's index keeps its staged state outside the mlp root, and makes
    // `git add` fast (unchanged files are known by their stat data).
    if (fs.existsSync(userIndex)) fs.copyFileSync(userIndex, index);
    const env = { GIT_INDEX_FILE: index };
    // Tracked files as they are (changes and deletions), then mlp's own untracked files.
    gitOrThrow(git.root, ['add', '-u', '--', '.'], 'staging the workspace (git add)', env);
    // mlp's own directory is never an experiment's business (its .gitignore keeps tmp and cache out anyway).
    const untracked = (): string[] =>
      runGit(git.root, ['ls-files', '-z', '--others', '--exclude-standard', '--', '.', ':(exclude).mlp'], undefined, env).stdout.toString('utf8').split('\0').filter(Boolean);
    const wanted = new Set(include);
    const adding = untracked().filter((f) => wanted.has(f) || f.endsWith('/.gitignore') || f === '.gitignore' || f.endsWith(POINTER_SUFFIX) || isDvcliveLog(f));
    if (adding.length > 0) gitOrThrow(git.root, ['add', '--', ...adding], 'staging the workspace (git add)', env);
    const leftOut = untracked();
    for (const [file, content] of replace) {
      // The blob goes straight into git's object database: the workspace file is not touched.
      const oid = runGit(git.root, ['hash-object', '-w', '--stdin', '--path', file], typeof content === 'string' ? content : content.toString('utf8'));
      if (oid.code !== 0) throw new MlpError(`git hash-object failed: ${oid.stderr.trim()}`);
      const mode = (fs.statSync(path.join(git.root, file), { throwIfNoEntry: false })?.mode ?? 0o644) & 0o111 ? '100755' : '100644';
      gitOrThrow(git.root, ['update-index', '--add', '--cacheinfo', `${mode},${oid.stdout.toString('utf8').trim()},${file}`], 'staging the workspace (git update-index)', env);
    }
    return { tree: gitOrThrow(git.root, ['write-tree'], 'git write-tree', env), leftOut };
  } finally {
    fs.rmSync(index, { force: true });
  }
}

/** Experiments, of the given baselines (all when undefined), oldest first. One git process. */
export function listExperiments(git: GitRepo, baselines?: readonly string[]): Experiment[] {
  const patterns = baselines ? [...new Set(baselines)].map((b) => `${EXPS_NAMESPACE}/${b.slice(0, 2)}/${b.slice(2)}/`) : [`${EXPS_NAMESPACE}/`];
  if (patterns.length === 0) return [];
  const format = `--format=%(refname) %(objectname) %(committerdate:unix) %(trailers:key=${CREATED_TRAILER},valueonly,separator=)`;
  const out = runGit(git.root, ['for-each-ref', format, ...patterns]);
  if (out.code !== 0) throw new MlpError(`git for-each-ref failed: ${out.stderr.trim()}`);
  const result: Experiment[] = [];
  for (const line of out.stdout.toString('utf8').split('\n')) {
    const [ref = '', commit = '', time = '0', ms = ''] = line.split(' ');
    const m = REF_PATTERN.exec(ref);
    if (!m) continue; // DVC keeps other refs under refs/exps (its queue, executors): not experiments
    // Experiments saved by DVC, or by hand, have no trailer: their commit time is used.
    const created = /^\d+$/.test(ms) ? new Date(Number(ms)) : new Date(Number(time) * 1000);
    result.push({ name: m[3] as string, ref, commit, baseline: `${m[1]}${m[2]}`, created });
  }
  return result.sort((a, b) => a.created.getTime() - b.created.getTime() || a.name.localeCompare(b.name));
}

/**
 * The experiment called `name`: of HEAD's baseline first, else of any baseline (ambiguous names
 * are an error that lists the candidates). Undefined when no experiment has that name.
 */
export function findExperiment(git: GitRepo, name: string): Experiment | undefined {
  const all = listExperiments(git).filter((e) => e.name === name);
  if (all.length <= 1) return all[0];
  const head = runGit(git.root, ['rev-parse', '--verify', '--quiet', 'HEAD']).stdout.toString('utf8').trim();
  const here = all.find((e) => e.baseline === head);
  if (here) return here;
  throw new MlpError(`experiment name '${name}' is ambiguous: ${all.length} baselines have one`, {
    hint: `check out the baseline you mean first, or use the commit: ${all.map((e) => `${e.commit.slice(0, 7)} (baseline ${e.baseline.slice(0, 7)})`).join(', ')}`,
    exitCode: ExitCode.usage,
  });
}

/** An experiment name, or else any git revision: its commit and how to call it. */
export function resolveExperimentOrRevision(git: GitRepo, nameOrRev: string): { commit: string; label: string; experiment?: Experiment } {
  const experiment = experimentNameProblem(nameOrRev) === undefined ? findExperiment(git, nameOrRev) : undefined;
  if (experiment) return { commit: experiment.commit, label: experiment.name, experiment };
  try {
    return { commit: git.resolve(nameOrRev), label: nameOrRev };
  } catch (error) {
    throw new MlpError(`unknown experiment or revision '${nameOrRev}'`, {
      hint: '`mlp exp list` lists the experiments; a revision is a commit, branch or tag',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
}

/** An experiment by name; a clear error when there is none. */
export function requireExperiment(git: GitRepo, name: string): Experiment {
  const experiment = experimentNameProblem(name) === undefined ? findExperiment(git, name) : undefined;
  if (!experiment) {
    throw new MlpError(`no experiment named '${name}'`, { hint: '`mlp exp list -A` lists the experiments of every baseline', exitCode: ExitCode.usage });
  }
  return experiment;
}

/** Deletes the refs of `experiments` (one git process); their commits become unreachable. */
export function removeExperiments(git: GitRepo, experiments: readonly Experiment[]): void {
  if (experiments.length === 0) return;
  const script = experiments.map((e) => `delete ${e.ref} ${e.commit}\n`).join('');
  const out = runGit(git.root, ['update-ref', '--stdin'], script);
  if (out.code !== 0) throw new MlpError(`git update-ref failed: ${out.stderr.trim()}`);
}

/** Creates branch `branch` at the experiment's commit (never moves an existing branch). */
export function branchExperiment(git: GitRepo, experiment: Experiment, branch: string): void {
  if (runGit(git.root, ['check-ref-format', '--branch', branch]).code !== 0) {
    throw new MlpError(`invalid branch name '${branch}'`, { hint: 'see `git check-ref-format --help` for what a branch name may hold', exitCode: ExitCode.usage });
  }
  const ref = `refs/heads/${branch}`;
  const out = runGit(git.root, ['update-ref', '-m', `mlp exp branch ${experiment.name}`, ref, experiment.commit, '']);
  if (out.code !== 0) {
    if (runGit(git.root, ['rev-parse', '--verify', '--quiet', ref]).code === 0) {
      throw new MlpError(`branch '${branch}' already exists`, { hint: 'choose another branch name', exitCode: ExitCode.usage });
    }
    throw new MlpError(`git update-ref ${ref} failed: ${out.stderr.trim()}`);
  }
}
