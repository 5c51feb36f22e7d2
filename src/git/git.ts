/**
 * The git repository around an mlp repository, driven through the `git` executable. Everything
 * here reads git's object database (or asks git for paths) and never touches the working tree
 * or the index, so comparing revisions is safe while the user has uncommitted work.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { MlpError } from '../errors.js';

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs git in `cwd`; never throws for a non-zero exit (callers decide what a failure means).
 * `env` adds variables (e.g. GIT_INDEX_FILE, to stage into a private index).
 */
export function runGit(cwd: string, args: readonly string[], input?: string, env?: Record<string, string>): GitResult {
  const result = spawnSync('git', args, { cwd, input, env: env ? { ...process.env, ...env } : undefined, maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  if (result.error) {
    throw new MlpError(`could not run git: ${result.error.message}`, { hint: 'install git and make sure it is on PATH', cause: result.error });
  }
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

function gitText(cwd: string, args: readonly string[]): string | undefined {
  const result = runGit(cwd, args);
  return result.code === 0 ? result.stdout.toString('utf8').replace(/\n$/, '') : undefined;
}

/** A blob read from git's object database: its content, or undefined when the path is absent. */
export type Blob = Buffer | undefined;

export class GitRepo {
  private constructor(
    /** The mlp repository root (may be a subdirectory of the git work tree). */
    readonly root: string,
    /** Path of `root` inside the git tree, '' or ending in '/'. */
    readonly prefix: string,
  ) {}

  /** The git repository containing the mlp root `root`; throws a clear error outside git. */
  static open(root: string): GitRepo {
    const prefix = gitText(root, ['rev-parse', '--show-prefix']);
    if (prefix === undefined) {
      throw new MlpError(`${root} is not inside a git repository`, {
        hint: 'comparing revisions reads files through git: run `git init` and commit your pipeline first',
      });
    }
    return new GitRepo(root, prefix);
  }

  /** Like `open`, but undefined outside git. */
  static tryOpen(root: string): GitRepo | undefined {
    const prefix = gitText(root, ['rev-parse', '--show-prefix']);
    return prefix === undefined ? undefined : new GitRepo(root, prefix);
  }

  /** Full commit id of `rev` (a commit, branch, tag, `HEAD~2`, …); a clear error if there is none. */
  resolve(rev: string): string {
    // A leading '-' would be read as an option by git.
    const sha = rev.startsWith('-') ? undefined : gitText(this.root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    if (sha !== undefined && sha !== '') return sha;
    const noCommits = gitText(this.root, ['rev-parse', '--verify', '--quiet', 'HEAD']) === undefined;
    throw new MlpError(`unknown revision '${rev}': no commit, branch or tag of that name`, {
      hint: noCommits
        ? 'this repository has no commits yet: commit your pipeline and params first'
        : 'check the name with `git log --oneline` or `git branch -a`; in a shallow clone (CI), fetch it first (actions/checkout with fetch-depth: 0)',
    });
  }

  /**
   * Reads repository-relative `files` at `commit` with one `git cat-file --batch` process.
   * Paths that do not exist there, or are directories, map to undefined.
   */
  readBlobs(commit: string, files: readonly string[]): Map<string, Blob> {
    const blobs = this.readBlobsAt(files.map((file) => ({ commit, file })));
    return new Map(files.map((file, i) => [file, blobs[i]]));
  }

  /**
   * Reads repository-relative files at any commits with one `git cat-file --batch` process (what
   * `exp show` needs for hundreds of experiments); the result is in the order of `wanted`.
   */
  readBlobsAt(wanted: ReadonlyArray<{ commit: string; file: string }>): Blob[] {
    const result: Blob[] = new Array<Blob>(wanted.length).fill(undefined);
    // `--batch` reads one spec per line: a path with a newline cannot be asked for (nor exist in a pipeline).
    const asked = wanted.map((w, i) => ({ ...w, i })).filter((w) => !w.file.includes('\n'));
    if (asked.length === 0) return result;
    const specs = asked.map((w) => `${w.commit}:${this.prefix}${w.file}`);
    const out = runGit(this.root, ['cat-file', '--batch'], `${specs.join('\n')}\n`);
    if (out.code !== 0) throw new MlpError(`git cat-file failed: ${out.stderr.trim()}`);
    let offset = 0;
    for (const w of asked) {
      const newline = out.stdout.indexOf(0x0a, offset);
      const header = out.stdout.subarray(offset, newline).toString('utf8');
      offset = newline + 1;
      // "<oid> <type> <size>", or "<spec> missing" / "<spec> ambiguous".
      const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!match) continue;
      const size = Number(match[2]);
      if (match[1] === 'blob') result[w.i] = out.stdout.subarray(offset, offset + size);
      offset += size + 1; // content is followed by a newline
    }
    return result;
  }

  /** Every commit reachable from any ref. */
  allCommits(): string[] {
    return (gitText(this.root, ['rev-list', '--all']) ?? '').split('\n').filter(Boolean);
  }

  /** Paths of the files at `commit` under the mlp root, relative to it. */
  filesAt(commit: string): string[] {
    const out = runGit(this.root, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, ...(this.prefix ? ['--', this.prefix] : [])]);
    if (out.code !== 0) throw new MlpError(`git ls-tree ${commit} failed: ${out.stderr.trim()}`);
    return out.stdout
      .toString('utf8')
      .split('\0')
      .filter((f) => f !== '' && f.startsWith(this.prefix))
      .map((f) => f.slice(this.prefix.length));
  }

  /** Local branch names, or tag names, with the commit each points to. */
  refs(kind: 'branches' | 'tags'): Array<{ name: string; commit: string }> {
    const namespace = kind === 'branches' ? 'refs/heads' : 'refs/tags';
    const text = gitText(this.root, ['for-each-ref', '--format=%(refname:short) %(objectname) %(*objectname)', namespace]) ?? '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', object = '', peeled = ''] = line.split(' ');
        // An annotated tag points to a tag object; `*objectname` is the commit behind it.
        return { name, commit: peeled || object };
      });
  }

  /** The name of the checked-out branch, or undefined on a detached HEAD. */
  currentBranch(): string | undefined {
    return gitText(this.root, ['symbolic-ref', '--quiet', '--short', 'HEAD']) || undefined;
  }

  /** Absolute path of a file or directory inside `.git` (`hooks`, `rebase-merge`, …), honouring worktrees and core.hooksPath. */
  gitPath(name: string): string {
    const p = gitText(this.root, ['rev-parse', '--git-path', name]);
    if (p === undefined) throw new MlpError(`git rev-parse --git-path ${name} failed`);
    return path.resolve(this.root, p);
  }

  /** Absolute path of the top of the git work tree. */
  toplevel(): string {
    const top = gitText(this.root, ['rev-parse', '--show-toplevel']);
    if (top === undefined) throw new MlpError(`${this.root} has no git work tree`);
    return top;
  }
}
