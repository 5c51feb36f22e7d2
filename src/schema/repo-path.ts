/**
 * Repository paths. A `RepoPath` is a normalised POSIX path relative to the repository root:
 * non-empty, not absolute, no `..`, `.` or empty segment, no NUL, and not `.git`/`.mlp` or inside
 * them. Strings become one only through `isRepoPath`/`toRepoPath` (what a file says) or
 * `normalizeRepoPath` (what a user typed in pipeline.yaml or on the command line), so a path read
 * from a file can never climb out of the repository by its spelling.
 *
 * Its spelling is not enough: `ext/out.txt` leaves the repository if `ext` is a symlink to
 * `/elsewhere`. The filesystem can change after a file was loaded, so that is checked where mlp
 * writes or deletes (`checkedInside`, `SymlinkGuard`): every existing prefix of the path must
 * resolve to a place inside the repository's real path. A symlink inside the repository that
 * points inside it is fine (a data directory symlinked to another one); one that points outside
 * (or dangles towards outside, or loops) is refused — mlp never writes, deletes or git-ignores
 * through it. Reading through such a symlink (a dependency symlinked to a shared dataset) stays
 * allowed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../errors.js';

declare const repoPathBrand: unique symbol;
/** A validated repository-relative path (see the module comment). Usable wherever a string is. */
export type RepoPath = string & { readonly [repoPathBrand]: true };

declare const entryPathBrand: unique symbol;
/**
 * A validated path relative to a tracked directory (a manifest entry): the same rules as
 * `RepoPath` except that it may start with `.git` or `.mlp` (data inside a tracked directory).
 */
export type EntryPath = string & { readonly [entryPathBrand]: true };

declare const insideBrand: unique symbol;
/** An absolute path built from the repository root and a `RepoPath` (lexically inside it). */
export type InsidePath = string & { readonly [insideBrand]: true };

declare const checkedBrand: unique symbol;
/** An `InsidePath` whose existing prefixes were just checked not to lead outside through a symlink. */
export type CheckedPath = InsidePath & { readonly [checkedBrand]: true };

/**
 * A normalised relative path in one test (the common case, checked for every file of a large
 * directory): non-empty `/`-separated segments without NUL, none of them `.` or `..`.
 */
const NORMAL_RELATIVE = /^(?!\.{1,2}(?:\/|$))[^/\0]+(?:\/(?!\.{1,2}(?:\/|$))[^/\0]+)*$/;

/** What is wrong with `value` as a normalised relative path, or undefined if nothing is. */
export function relativePathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a path string';
  if (NORMAL_RELATIVE.test(value)) return undefined;
  if (value === '') return 'is empty';
  if (value.includes('\0')) return 'contains a NUL byte';
  if (value.startsWith('/')) return 'is absolute: paths must be relative to the repository root';
  const parts = value.split('/');
  if (parts.includes('..')) return "climbs out with '..'";
  if (value === '.') return 'is the repository root itself';
  if (parts.some((p) => p === '' || p === '.')) {
    const normal = path.posix.normalize(value).replace(/\/+$/, '');
    return `is not normalised (write it as '${normal}')`;
  }
  return undefined;
}

/** What is wrong with `value` as a `RepoPath`, or undefined if nothing is. */
export function repoPathProblem(value: unknown): string | undefined {
  const problem = relativePathProblem(value);
  if (problem !== undefined) return problem;
  const first = (value as string).split('/', 1)[0];
  if (first === '.git') return 'is inside .git/, which git manages';
  if (first === '.mlp') return 'is inside .mlp/, which mlp manages';
  return undefined;
}

export function isRepoPath(value: unknown): value is RepoPath {
  return repoPathProblem(value) === undefined;
}

export function isEntryPath(value: unknown): value is EntryPath {
  return relativePathProblem(value) === undefined;
}

/** "'../x' climbs out with '..'": a problem with the path it is about. */
export function describePathProblem(value: unknown, problem: string): string {
  const shown = typeof value === 'string' ? `'${value}'` : String(JSON.stringify(value));
  return `path ${shown} ${problem}`;
}

/** A path that is not a valid `RepoPath` where one is required. */
export class InvalidPathError extends MlpError {
  constructor(value: unknown, problem: string, hint?: string, exitCode: ExitCode = ExitCode.invalidPipeline) {
    super(describePathProblem(value, problem), { hint, exitCode });
    this.name = 'InvalidPathError';
  }
}

/** Validates a path that is already in normal form (as mlp writes them into its files). */
export function toRepoPath(value: string): RepoPath {
  const problem = repoPathProblem(value);
  if (problem !== undefined) throw new InvalidPathError(value, problem);
  return value as RepoPath;
}

/**
 * Normalises a path a user wrote relative to the repository root (`data/./x/`, `a/../b`) and
 * validates the result: `..` that stays inside is resolved, `..` that leaves is an error.
 * Returns the path, or the problem with it.
 */
export function normalizeRepoPath(value: string): { path: RepoPath } | { problem: string } {
  if (value.includes('\0')) return { problem: 'contains a NUL byte' };
  if (value.startsWith('/')) return { problem: 'is absolute: paths must be relative to the repository root' };
  const normal = path.posix.normalize(value).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) return { problem: 'is outside the repository' };
  const problem = repoPathProblem(normal === '' ? '.' : normal);
  return problem === undefined ? { path: normal as RepoPath } : { problem };
}

/** `dir/entry`: a file inside a tracked directory. */
export function joinEntry(dir: RepoPath, entry: EntryPath): RepoPath {
  return `${dir}/${entry}` as RepoPath;
}

/** The one way to turn a `RepoPath` into an absolute workspace path (no filesystem access). */
export function joinInside(root: string, rel: RepoPath): InsidePath {
  return path.join(root, rel) as InsidePath;
}

/** `rel` under the repository root, after checking that no symlink on it leads outside. */
export function checkedInside(root: string, rel: RepoPath): CheckedPath {
  new SymlinkGuard(root).check(rel);
  return joinInside(root, rel) as CheckedPath;
}

/** A workspace path that would lead outside the repository through a symlink. */
export class PathEscapeError extends MlpError {
  constructor(
    readonly path: string,
    readonly link: string,
    detail: string,
  ) {
    super(`${link === path ? path : `${path}: ${link}`} ${detail}; mlp does not write, delete or git-ignore through it`, {
      hint: `make ${link} a real directory inside the repository (or a symlink to one), or change the path that names it`,
      exitCode: ExitCode.invalidPipeline,
    });
    this.name = 'PathEscapeError';
  }
}

const realRoots = new Map<string, string>();

function realRoot(root: string): string {
  let real = realRoots.get(root);
  if (real === undefined) {
    real = fs.realpathSync(root);
    realRoots.set(root, real);
  }
  return real;
}

function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/** Symlinks followed to check one path; the kernel gives up at 40 too. */
const MAX_LINKS = 40;

/**
 * Checks repository paths for symlinks that lead outside the repository. Directories found safe
 * are remembered for the guard's lifetime (one checkout), so checking every file of a large
 * directory costs one `lstat` per new directory; make a new guard for each operation, since the
 * filesystem can change between them.
 */
export class SymlinkGuard {
  private readonly safeDirs = new Set<string>();
  private readonly rootReal: string;

  constructor(private readonly root: string) {
    this.rootReal = realRoot(root);
  }

  /** Throws `PathEscapeError` if an existing prefix of `rel` resolves outside the repository. */
  check(rel: RepoPath): void {
    this.walk(rel, rel, 0);
  }

  private walk(shown: string, rel: string, links: number): void {
    const parts = rel.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length; i++) {
      prefix = prefix === '' ? (parts[i] as string) : `${prefix}/${parts[i] as string}`;
      if (this.safeDirs.has(prefix)) continue;
      const abs = path.join(this.root, prefix);
      let stat: fs.Stats | undefined;
      try {
        stat = fs.lstatSync(abs);
      } catch (error) {
        // Nothing deeper exists (ENOTDIR: a file where a directory would be): nothing to follow.
        if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
        throw error;
      }
      if (!stat.isSymbolicLink()) {
        if (stat.isDirectory()) this.safeDirs.add(prefix);
        continue;
      }
      let real: string;
      try {
        real = fs.realpathSync(abs);
      } catch (error) {
        if (errorCode(error) === 'ELOOP') throw new PathEscapeError(shown, prefix, 'is a symlink loop');
        // Dangling: a write would create its target, so that target must be inside too.
        const target = path.resolve(fs.realpathSync(path.dirname(abs)), fs.readlinkSync(abs));
        if (!isInside(this.rootReal, target)) throw new PathEscapeError(shown, prefix, `is a symlink to ${target}, outside the repository`);
        if (links >= MAX_LINKS) throw new PathEscapeError(shown, prefix, 'is a symlink loop');
        const inside = path.relative(this.rootReal, target).split(path.sep).join('/');
        if (inside !== '') this.walkFromRoot(shown, inside, links + 1);
        return;
      }
      if (!isInside(this.rootReal, real)) throw new PathEscapeError(shown, prefix, `is a symlink to ${real}, outside the repository`);
      if (fs.statSync(abs).isDirectory()) this.safeDirs.add(prefix);
    }
  }

  private walkFromRoot(shown: string, rel: string, links: number): void {
    // `rel` is relative to the real root; the workspace root may be a symlinked path to it.
    const guard = this.root === this.rootReal ? this : new SymlinkGuard(this.rootReal);
    guard.walk(shown, rel, links);
  }
}
