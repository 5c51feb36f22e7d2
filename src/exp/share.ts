/**
 * `mlp exp push|pull <git-remote>`: experiments shared through git (their refs under refs/exps,
 * with the commits they need) and their outputs through an mlp remote (the one `transfer`, in
 * src/remote/transfer.ts, given the paths each experiment's lock and pointer files record).
 *
 * Refs are pushed and fetched create-or-same only: an experiment of the same name and baseline
 * that holds another commit on the other side is reported, never overwritten, unless `force`.
 * Git hooks are skipped (`--no-verify`): a pre-push hook from `mlp install` would push the
 * workspace's data, which is not what was asked for. Core only: no printing.
 */
import { ExitCode, MlpError } from '../errors.js';
import { RevisionSource } from '../git/file-source.js';
import { checkArgument } from '../git/clone.js';
import { GitRepo, runGit } from '../git/git.js';
import { loadPipelineAt } from '../git/pipeline-at.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import { Lockfile } from '../lock/lockfile.js';
import { LOCK_FILE, POINTER_SUFFIX } from '../pipeline/schema.js';
import { parsePointer } from '../pointer/pointer-file.js';
import { EXPS_NAMESPACE, experimentNameProblem, type Experiment } from './store.js';

const REF_PATTERN = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38}|[0-9a-f]{62})\/([^/]+)$/;

export interface RefOutcome {
  name: string;
  ref: string;
  commit: string;
  /** `new`: created on the other side; `same`: it had it already; `rejected`: it has another commit there. */
  result: 'new' | 'updated' | 'same' | 'rejected';
  message?: string;
}

/** What the lock and pointer files of `commit` record: the outputs and data an experiment needs. */
export function recordedPathsAt(git: GitRepo, commit: string): RecordedPath[] {
  // Every pipeline.lock, the root's and those next to pipeline files in subdirectories (as gc reads them).
  const isLock = (f: string): boolean => f === LOCK_FILE || f.endsWith(`/${LOCK_FILE}`);
  const files = git.filesAt(commit).filter((f) => isLock(f) || f.endsWith(POINTER_SUFFIX));
  const recorded: RecordedPath[] = [];
  // Outputs never overlap, so a path names one output: those declared `push: false`.
  let noPush = new Set<string>();
  try {
    const pipeline = loadPipelineAt(git.root, new RevisionSource(git, commit.slice(0, 7), commit));
    noPush = new Set([...pipeline.stages.values()].flatMap((s) => s.outs.filter((o) => o.push === false).map((o) => o.path as string)));
  } catch {
    // No readable pipeline at that commit: every recorded output counts.
  }
  for (const [file, blob] of git.readBlobs(commit, files)) {
    if (!blob) continue;
    try {
      if (isLock(file)) {
        for (const [stage, entry] of Lockfile.parse(blob.toString('utf8'), file)) {
          for (const out of entry.outs) recorded.push({ path: out.path, source: stage, info: out, ...(noPush.has(out.path) ? { noPush: true as const } : {}) });
        }
      } else {
        const pointer = parsePointer(file, blob.toString('utf8'));
        recorded.push({ path: pointer.path, source: pointer.file, info: pointer.info });
      }
    } catch {
      // An invalid file in an experiment records nothing that can be transferred.
    }
  }
  return recorded;
}

function gitRemoteError(remote: string, stderr: string): MlpError {
  return new MlpError(`git could not reach '${remote}': ${stderr.trim().split('\n').at(-1) ?? ''}`, {
    hint: 'name a git remote (`git remote -v` lists them) or a repository URL or path',
  });
}

/** Pushes the experiments' refs to the git remote `remote` (one git process). */
export function pushExperimentRefs(git: GitRepo, remote: string, experiments: readonly Experiment[], force: boolean): RefOutcome[] {
  checkArgument(remote, 'git remote');
  if (experiments.length === 0) return [];
  const specs = experiments.map((e) => `${force ? '+' : ''}${e.commit}:${e.ref}`);
  const out = runGit(git.root, ['push', '--porcelain', '--no-verify', remote, ...specs]);
  const lines = out.stdout.toString('utf8').split('\n');
  const outcomes: RefOutcome[] = [];
  for (const e of experiments) {
    // "<flag>\t<from>:<to>\t<summary>": '*' new, ' ' / '+' updated, '=' up to date, '!' rejected.
    const line = lines.find((l) => l.split('\t')[1]?.endsWith(`:${e.ref}`));
    if (!line) {
      if (out.code !== 0) throw gitRemoteError(remote, out.stderr);
      continue;
    }
    const [flag = '', , summary = ''] = line.split('\t');
    const result = flag === '*' ? 'new' : flag === '=' ? 'same' : flag === '!' ? 'rejected' : 'updated';
    outcomes.push({ name: e.name, ref: e.ref, commit: e.commit, result, ...(result === 'rejected' ? { message: summary.trim() } : {}) });
  }
  if (outcomes.length === 0 && out.code !== 0) throw gitRemoteError(remote, out.stderr);
  return outcomes;
}

/** The experiments the git remote `remote` has. */
export function remoteExperiments(git: GitRepo, remote: string): Experiment[] {
  checkArgument(remote, 'git remote');
  const out = runGit(git.root, ['ls-remote', '--refs', remote, `${EXPS_NAMESPACE}/*`]);
  if (out.code !== 0) throw gitRemoteError(remote, out.stderr);
  const result: Experiment[] = [];
  for (const line of out.stdout.toString('utf8').split('\n')) {
    const [commit = '', ref = ''] = line.split('\t');
    const m = REF_PATTERN.exec(ref);
    if (!m) continue;
    result.push({ name: m[3] as string, ref, commit, baseline: `${m[1]}${m[2]}`, created: new Date(0) });
  }
  return result;
}

/** Fetches the experiments' refs (and their commits) from the git remote `remote`. */
export function fetchExperimentRefs(git: GitRepo, remote: string, experiments: readonly Experiment[], force: boolean): RefOutcome[] {
  checkArgument(remote, 'git remote');
  if (experiments.length === 0) return [];
  const before = new Map<string, string>();
  for (const e of experiments) {
    const local = runGit(git.root, ['rev-parse', '--verify', '--quiet', e.ref]);
    if (local.code === 0) before.set(e.ref, local.stdout.toString('utf8').trim());
  }
  // Only the refs that are new here or differ (with force): a ref that differs is not overwritten.
  const wanted = experiments.filter((e) => before.get(e.ref) !== e.commit && (force || !before.has(e.ref)));
  if (wanted.length > 0) {
    const out = runGit(git.root, ['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', remote, ...wanted.map((e) => `+${e.ref}:${e.ref}`)]);
    if (out.code !== 0) throw gitRemoteError(remote, out.stderr);
  }
  return experiments.map((e) => {
    const had = before.get(e.ref);
    if (had === e.commit) return { name: e.name, ref: e.ref, commit: e.commit, result: 'same' as const };
    if (had !== undefined && !force) {
      return { name: e.name, ref: e.ref, commit: e.commit, result: 'rejected' as const, message: `a local experiment '${e.name}' of that baseline holds another commit (${had.slice(0, 7)})` };
    }
    return { name: e.name, ref: e.ref, commit: e.commit, result: had === undefined ? ('new' as const) : ('updated' as const) };
  });
}

/**
 * The experiments `names` among `available` (of `baseline` first, as `findExperiment` does); all
 * of `baseline` when no names are given, or all with `allCommits`.
 */
export function selectExperiments(available: readonly Experiment[], names: readonly string[], baseline: string, allCommits: boolean, where: string): Experiment[] {
  if (names.length === 0) return allCommits ? [...available] : available.filter((e) => e.baseline === baseline);
  return names.map((name) => {
    const matches = experimentNameProblem(name) === undefined ? available.filter((e) => e.name === name) : [];
    const chosen = matches.find((e) => e.baseline === baseline) ?? (matches.length === 1 ? matches[0] : undefined);
    if (chosen) return chosen;
    if (matches.length > 1) {
      throw new MlpError(`experiment name '${name}' is ambiguous ${where}: ${matches.length} baselines have one`, {
        hint: 'check out the baseline you mean first',
        exitCode: ExitCode.usage,
      });
    }
    throw new MlpError(`no experiment named '${name}' ${where}`, { hint: '`mlp exp list -A` lists the local experiments', exitCode: ExitCode.usage });
  });
}
