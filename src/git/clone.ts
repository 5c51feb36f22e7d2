/**
 * A temporary clone of another repository at a revision, for `mlp get`, `import`, `update` and
 * `list <url>`: shallow (one commit) when the revision is a branch or tag, a full clone without
 * checkout when it is a commit id. The clone lives in the system temp directory and is removed by
 * `withClone` whatever happens; git is given the URL and revision as plain arguments after `--`
 * where it can, and neither may start with `-` (they would read as options).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { runGit } from './git.js';

export interface Clone {
  /** The clone's work tree. */
  dir: string;
  /** The URL as given. */
  url: string;
  /** The commit checked out (DVC's `rev_lock`). */
  commit: string;
  /** The source repository's own directory when the URL is a local path (its cache may be read). */
  localPath?: string;
}

/** Git must never stop to ask for a password (mlp may run in CI), nor read a template that adds hooks. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', GIT_TEMPLATE_DIR: '' };

/** The directory a local URL (`/path`, `./path`, `file:///path`) names, or undefined for a remote URL. */
export function localRepoPath(url: string, cwd = process.cwd()): string | undefined {
  if (url.startsWith('file://')) return decodeURIComponent(url.slice('file://'.length));
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) || /^[^/]+@[^/:]+:/.test(url)) return undefined;
  return path.resolve(cwd, url);
}

/**
 * Whether `mlp list`'s argument names another repository rather than a path in this one: a URL
 * (`https://…`, `file://…`, `git@host:…`), or a local directory that is the root of a git
 * repository other than the one around the current directory.
 */
export function isRepositoryUrl(arg: string, cwd = process.cwd()): boolean {
  const local = localRepoPath(arg, cwd);
  if (local === undefined || arg.startsWith('file://')) return true;
  if (!fs.existsSync(path.join(local, '.git'))) return false;
  const here = runGit(cwd, ['rev-parse', '--show-toplevel']);
  return here.code !== 0 || path.resolve(here.stdout.toString('utf8').trim()) !== fs.realpathSync(local);
}

/** A URL, revision or remote given to git: never empty, never an option (`--upload-pack=…`). */
export function checkArgument(value: string, what: string): void {
  if (value === '' || value.startsWith('-') || /[\0\n]/.test(value)) {
    throw new MlpError(`invalid ${what}: ${JSON.stringify(value)}`, { hint: `give a ${what} that does not start with '-'`, exitCode: ExitCode.usage });
  }
}

/**
 * Clones `url` at `rev` (default: its default branch) into a temp directory, runs `action` on it,
 * and removes it. A relative local path is relative to `cwd`.
 */
export async function withClone<T>(url: string, rev: string | undefined, action: (clone: Clone) => Promise<T> | T, cwd = process.cwd()): Promise<T> {
  checkArgument(url, 'repository URL');
  if (rev !== undefined) checkArgument(rev, 'revision');
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-clone-'));
  try {
    const clone = cloneInto(parent, url, rev, cwd);
    return await action(clone);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
}

function cloneInto(parent: string, url: string, rev: string | undefined, cwd: string): Clone {
  const dir = path.join(parent, 'repo');
  const local = localRepoPath(url, cwd);
  // A local path is cloned through file:// so that --depth applies (git ignores it for plain paths).
  const source = local !== undefined && !url.startsWith('file://') ? `file://${local}` : url;
  const shallow = runGit(parent, ['clone', '--quiet', '--depth', '1', '--no-tags', ...(rev === undefined ? [] : ['--branch', rev]), '--', source, dir], undefined, GIT_ENV);
  if (shallow.code !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    // Not a branch or tag (a commit id), or a server that refuses shallow clones: all of it.
    const full = runGit(parent, ['clone', '--quiet', '--no-checkout', '--', source, dir], undefined, GIT_ENV);
    if (full.code !== 0) throw cloneError(url, full.stderr);
    const checkout = runGit(dir, ['checkout', '--quiet', '--detach', rev ?? 'HEAD', '--'], undefined, GIT_ENV);
    if (checkout.code !== 0) {
      throw new MlpError(`${url} has no revision ${rev ?? 'HEAD'}`, { hint: 'give a branch, tag or commit of that repository with --rev', exitCode: ExitCode.usage });
    }
  }
  const head = runGit(dir, ['rev-parse', 'HEAD']);
  const commit = head.stdout.toString('utf8').trim();
  if (head.code !== 0 || !/^[0-9a-f]{40}$/.test(commit)) throw cloneError(url, head.stderr);
  return { dir, url, commit, ...(local !== undefined ? { localPath: local } : {}) };
}

function cloneError(url: string, stderr: string): MlpError {
  const reason = stderr.split('\n').find((l) => l.startsWith('fatal:'))?.slice('fatal:'.length).trim() ?? stderr.trim();
  return new MlpError(`could not clone ${url}${reason ? `: ${reason}` : ''}`, { hint: 'check the URL and that you can `git clone` it' });
}
