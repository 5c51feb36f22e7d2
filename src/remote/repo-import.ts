/**
 * `mlp get`, `mlp import`, `mlp update` and `mlp list <url>`: data of another mlp repository, as
 * DVC's `get`/`import`/`update`/`list` do it. The other repository is cloned at a revision into a
 * temp directory (src/git/clone.ts, removed whatever happens) and read only through mlp's parsing
 * layer: its pointer files and pipeline.lock give the path's hash (a path leading outside that
 * repository, or a malformed hash, is a located error, exit 3). The objects come from its local
 * cache when the URL is a local path, else (and for what that cache lacks) from its default
 * remote, and enter this repository's cache verified, as `fetch` brings them (src/remote/transfer.ts).
 * Nothing outside this repository (and the temp clone) is written.
 *
 * `import` writes a `<path>.mlp` pointer that also records the source — `deps: [{path, repo:
 * {url, rev, rev_lock}}]`, DVC's import `.dvc` format — and `update` re-reads it at the newest
 * commit of that revision.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../errors.js';
import { localRepoPath, withClone, type Clone } from '../git/clone.js';
import { trackedPaths } from '../git/tracked.js';
import type { HashInfo } from '../hash/hash-path.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import { writePointer, type Pointer } from '../pointer/pointer-file.js';
import { allOuts } from '../pipeline/dag.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';
import type { RemoteBackend } from './backend.js';
import { resolveRemote, type RemoteSpec } from './remote-config.js';
import { MLP_DIR, Repo } from '../repo/repo.js';
import type { ImportSource } from '../schema/pointer.js';
import { SymlinkGuard, joinInside, normalizeRepoPath, type RepoPath } from '../schema/repo-path.js';
import { isSameOrInside } from '../util/fs.js';
import { recordedPaths } from '../data/checkout-workspace.js';
import { listRepo, type ListEntry, type ListOptions } from '../data/list.js';

export interface ImportOptions {
  rev?: string | undefined;
  /** Where the data goes (a path as the user gave it, relative to the current directory). */
  out?: string | undefined;
}

export interface ImportResult {
  /** Where the data is now, in this repository. */
  path: RepoPath;
  info: HashInfo;
  source: ImportSource;
  /** `update`: whether anything changed. */
  changed: boolean;
  /** The pointer file written (`import`, `update`). */
  pointer?: RepoPath;
}

/** `mlp get`: a copy of `srcPath` of the repository at `url`, not tracked here. */
export async function getData(repo: Repo, url: string, srcPath: string, options: ImportOptions = {}): Promise<ImportResult> {
  return withClone(url, options.rev, async (clone) => {
    const { source, found } = locate(clone, srcPath, options.rev);
    const dest = destination(repo, source.path, options.out);
    refuseTracked(repo, dest);
    await fetchObjects(repo, clone, found, dest);
    // A private copy: the data is the user's now, not tracked (and so never removed by `checkout`).
    repo.workspace.checkout(dest, found.info, undefined, false, 'copy');
    repo.placed.forget(dest);
    return { path: dest, info: found.info, source, changed: true };
  });
}

/** What `mlp get` outside a repository placed: `path` as given (or its default), relative to `cwd`. */
export interface GotData {
  path: string;
  info: HashInfo;
  source: ImportSource;
}

/**
 * `mlp get` where there is no mlp repository (as `dvc get` works anywhere): the objects go
 * through a temporary repository's cache, verified as always, are checked out there, and the
 * result is moved to `out` (default: the data's name in `cwd`). An existing file or directory
 * there is never replaced: the user's data is not ours to discard.
 */
export async function getDataOutsideRepo(url: string, srcPath: string, cwd: string, options: ImportOptions = {}): Promise<GotData> {
  const name = path.posix.basename(srcPath.replace(/\/+$/, ''));
  const wanted = options.out ?? name;
  const dest = path.resolve(cwd, wanted);
  const refuseExisting = (): void => {
    if (fs.lstatSync(dest, { throwIfNoEntry: false }) !== undefined) {
      throw new MlpError(`${wanted} already exists: mlp get does not replace it`, { hint: 'choose another name with -o, or move it away first', exitCode: ExitCode.usage });
    }
  };
  refuseExisting();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-get-'));
  try {
    const { repo } = Repo.init(scratch);
    try {
      const got = await getData(repo, url, srcPath, { ...options, out: path.join(scratch, name) });
      refuseExisting(); // again: the clone and the transfer took time
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const placed = joinInside(scratch, got.path);
      try {
        fs.renameSync(placed, dest);
      } catch (error) {
        if (errorCode(error) !== 'EXDEV') throw error;
        fs.cpSync(placed, dest, { recursive: true, errorOnExist: true, force: false });
      }
      return { path: wanted, info: got.info, source: got.source };
    } finally {
      repo.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** `mlp import`: `srcPath` of the repository at `url`, tracked by a pointer that records where it came from. */
export async function importData(repo: Repo, url: string, srcPath: string, options: ImportOptions = {}): Promise<ImportResult> {
  // A relative local path is recorded relative to the repository root, where `update` resolves
  // it (from whichever directory it runs in); an absolute path or a URL as given.
  const local = localRepoPath(url);
  const recorded = local !== undefined && !url.startsWith('file://') && !path.isAbsolute(url) ? path.relative(repo.root, local) || '.' : url;
  const run = async (clone: Clone): Promise<ImportResult> => {
    const { source, found } = locate(clone, srcPath, options.rev);
    const dest = destination(repo, source.path, options.out);
    refuseTracked(repo, dest);
    await fetchObjects(repo, clone, found, dest);
    repo.workspace.checkout(dest, found.info);
    const pointer = writePointer(repo.root, { path: dest, info: found.info, source });
    repo.gitignore.ignore(dest);
    return { path: dest, info: found.info, source, changed: true, pointer };
  };
  return withClone(recorded, options.rev, run, repo.root);
}

/** `mlp update`: the imported data of pointer `target` (or of the path it tracks) at the newest commit of its revision (or `rev`). */
export async function updateImport(repo: Repo, target: string, options: Pick<ImportOptions, 'rev'> = {}): Promise<ImportResult> {
  const rel = repo.relative(target);
  const pointer = repo.pointers().find((p) => p.file === rel || p.path === rel);
  if (!pointer) throw new MlpError(`${target} is not tracked by a pointer file`, { hint: 'name the .mlp file `mlp import` wrote', exitCode: ExitCode.usage });
  const old = pointer.source;
  if (!old) throw new MlpError(`${pointer.file} was not written by \`mlp import\`: it has no source to update from`, { hint: 'to record new content of it, run `mlp add` or `mlp commit`', exitCode: ExitCode.usage });
  const rev = options.rev ?? old.repo.rev;
  return withClone(
    old.repo.url,
    rev,
    async (clone) => {
      const { source, found } = locate(clone, old.path, rev);
      const changed = found.info.hash !== pointer.info.hash;
      if (changed) {
        await fetchObjects(repo, clone, found, pointer.path);
        repo.workspace.checkout(pointer.path, found.info);
      }
      if (changed || source.repo.rev_lock !== old.repo.rev_lock || source.repo.rev !== old.repo.rev) {
        writePointer(repo.root, { ...withoutFile(pointer), info: found.info, source });
      }
      return { path: pointer.path, info: found.info, source, changed, pointer: pointer.file };
    },
    repo.root,
  );
}

/** `mlp list <url> [path]`: the contents of another repository at a revision. */
export async function listRemoteRepo(url: string, target: string | undefined, options: ListOptions & { rev?: string | undefined }): Promise<ListEntry[]> {
  return withClone(url, options.rev, (clone) => listRepo(sourceRepo(clone), target ?? '.', { ...options, cwd: clone.dir }));
}

function withoutFile(pointer: Pointer): Omit<Pointer, 'file'> {
  const { file: _file, ...rest } = pointer;
  return rest;
}

function sourceRepo(clone: Clone): Repo {
  if (!fs.existsSync(path.join(clone.dir, MLP_DIR))) {
    throw new MlpError(`${clone.url} is not an mlp repository (no ${MLP_DIR}/ at its root)`, { hint: 'get data from a repository that tracks it with mlp' });
  }
  const src = new Repo(clone.dir);
  src.validateConfig();
  return src;
}

/** The recorded data at `srcPath` in the cloned repository, read through its pointer files and pipeline.lock. */
function locate(clone: Clone, srcPath: string, rev: string | undefined): { source: ImportSource; found: RecordedPath } {
  const checked = normalizeRepoPath(srcPath);
  if (!('path' in checked)) throw new MlpError(`${srcPath} ${checked.problem}`, { hint: 'name a path inside the source repository, relative to its root', exitCode: ExitCode.usage });
  const wanted = checked.path;
  const src = sourceRepo(clone);
  const recorded = recordedPaths(src, []);
  const found = recorded.find((r) => r.path === wanted);
  const source: ImportSource = { path: wanted, repo: { url: clone.url, ...(rev === undefined ? {} : { rev }), rev_lock: clone.commit } };
  if (found) return { source, found };
  const around = recorded.find((r) => isSameOrInside(wanted, r.path));
  if (around) {
    throw new MlpError(`${wanted} is inside ${around.path}, which ${clone.url} tracks as a whole (${around.source})`, {
      hint: `get or import the whole directory: ${around.path}`,
      exitCode: ExitCode.usage,
    });
  }
  if (trackedPaths(clone.dir, [wanted]).length > 0) {
    throw new MlpError(`${wanted} is tracked by git in ${clone.url}, not by mlp`, { hint: 'get it with git (`git archive` or a clone): mlp gets only the data a repository tracks with mlp', exitCode: ExitCode.usage });
  }
  throw new MlpError(`${clone.url} tracks nothing at ${wanted}${rev === undefined ? '' : ` (revision ${rev})`}`, {
    hint: `see what it tracks with \`mlp list ${clone.url}${rev === undefined ? '' : ` --rev ${rev}`} --mlp-only -R\``,
    exitCode: ExitCode.usage,
  });
}

/** Where the data goes: `out` if given (inside it when it is a directory), else its name in the current directory. */
function destination(repo: Repo, srcPath: RepoPath, out: string | undefined): RepoPath {
  const name = path.posix.basename(srcPath);
  if (out === undefined) return repo.relative(name);
  const dest = repo.relative(out);
  const abs = joinInside(repo.root, dest);
  const isDir = fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory() === true;
  return isDir && !repo.pointers().some((p) => p.path === dest) ? repo.relative(path.join(out, name)) : dest;
}

/** The destination must not be data something else here tracks, nor files git tracks. */
function refuseTracked(repo: Repo, dest: RepoPath): void {
  new SymlinkGuard(repo.root).check(dest);
  if (dest.endsWith(POINTER_SUFFIX)) throw new MlpError(`cannot write data to ${dest}`, { hint: 'choose another name with -o', exitCode: ExitCode.usage });
  const pointer = repo.pointers().find((p) => p.path !== dest && (isSameOrInside(dest, p.path) || isSameOrInside(p.path, dest)));
  if (pointer) throw new MlpError(`${dest} overlaps ${pointer.path}, tracked by ${pointer.file}`, { hint: 'choose another destination with -o', exitCode: ExitCode.usage });
  const owner = allOuts(repo.pipeline).find((o) => isSameOrInside(dest, o.path) || isSameOrInside(o.path, dest));
  if (owner) throw new MlpError(`${dest} overlaps output ${owner.path} of stage '${owner.stage}'`, { hint: 'choose another destination with -o', exitCode: ExitCode.usage });
  const inGit = trackedPaths(repo.root, [dest]);
  if (inGit.length > 0) throw new MlpError(`${dest} is tracked by git here`, { hint: 'choose another destination with -o', exitCode: ExitCode.usage });
}

/**
 * Brings the objects of `found` into this repository's cache: from the source's own cache when
 * it is a local directory, then what is still missing from its default remote. Every object is
 * verified against its hash on arrival (src/objects/transfer.ts).
 */
async function fetchObjects(repo: Repo, clone: Clone, found: RecordedPath, dest: RepoPath): Promise<void> {
  const { fetch } = await import('./transfer.js');
  const { openBackend } = await import('./open-backend.js');
  const wanted: RecordedPath[] = [{ ...found, path: dest }];
  const sources: RemoteSpec[] = [];
  const cacheDir = clone.localPath === undefined ? undefined : path.join(clone.localPath, MLP_DIR, 'cache');
  if (cacheDir !== undefined && fs.existsSync(path.join(cacheDir, 'files'))) {
    sources.push({ name: `the cache of ${clone.url}`, url: cacheDir, location: { kind: 'local', path: cacheDir }, options: {} });
  }
  const src = sourceRepo(clone);
  let remoteProblem: MlpError | undefined;
  try {
    // A relative local remote is relative to the source repository, not to the temp clone.
    const spec = resolveRemote(src.config, clone.localPath ?? clone.dir);
    sources.push({ ...spec, options: withoutLocalReferences(spec.options) });
  } catch (error) {
    if (!(error instanceof MlpError)) throw error;
    remoteProblem = error;
  }
  let failures: string[] = [];
  for (const spec of sources) {
    let backend: RemoteBackend | undefined;
    try {
      backend = await openBackend(spec, repo.root);
      const summary = await fetch(repo, backend, [], { wanted });
      failures = summary.failures.map((f) => f.message);
      const corrupted = summary.failures.find((f) => f.reason === 'corrupted-remote');
      if (corrupted) throw new MlpError(`${clone.url}: ${corrupted.message}`, { hint: 'the source repository holds damaged data: ask its owner to repair it (`mlp remote verify --repair`)' });
      if (failures.length === 0 && repo.workspace.isComplete(found.info)) return;
    } finally {
      await backend?.close();
    }
  }
  throw new MlpError(`the data of ${found.path} in ${clone.url} is not available${failures.length ? `: ${failures[0]}` : ''}`, {
    hint: remoteProblem
      ? `${clone.url} has no cache here and no usable default remote (${remoteProblem.message})`
      : 'push it to the default remote of that repository (`mlp push` there), then try again',
  });
}

/**
 * The options of a remote that another repository's committed config names, minus those that
 * point at this machine's secrets or files: that config is not ours, so it must not make mlp send
 * an environment variable it picks (`password_env: AWS_SECRET_ACCESS_KEY`) or a key file to a
 * host it picks. The user's own agent, keys and known_hosts still apply.
 */
export function withoutLocalReferences(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([key]) => !key.endsWith('_env') && !['password', 'key_file', 'known_hosts'].includes(key)));
}
