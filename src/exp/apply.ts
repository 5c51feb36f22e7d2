/**
 * `mlp exp apply`: makes the workspace's git-tracked files (params, pipeline.lock, pointer files,
 * metrics, code) those of an experiment, without touching the index, HEAD or the branch. Outputs
 * are restored from the cache afterwards by the caller (the checkout `mlp checkout` uses).
 *
 * It never discards unsaved work: a workspace file that would change is overwritten or deleted
 * only when its content is saved somewhere git keeps it — in HEAD, in the experiment, or in
 * another experiment of the same baseline (so that after a sweep, whose last experiment the
 * workspace holds, applying the best one needs no --force). Anything else is refused, as a whole,
 * unless `force`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import type { GitRepo } from '../git/git.js';
import { runGit } from '../git/git.js';
import { checkedInside, isRepoPath } from '../schema/repo-path.js';
import { removePath, writeFileAtomic } from '../util/fs.js';
import { listExperiments, type Experiment } from './store.js';

export interface ApplyResult {
  /** Files written or deleted (relative to the mlp root). */
  changed: Array<{ path: string; action: 'written' | 'deleted' }>;
}

export class UnsavedWorkError extends MlpError {
  constructor(readonly files: string[]) {
    const shown = files.slice(0, 20).map((f) => `  ${f}`).join('\n');
    super(`applying the experiment would overwrite ${files.length === 1 ? 'a file' : `${files.length} files`} with changes saved neither in a commit nor in an experiment:\n${shown}${files.length > 20 ? `\n  … and ${files.length - 20} more` : ''}`, {
      hint: 'save them first (`mlp exp save -n <name>` keeps them as an experiment, or commit them), or discard them with --force',
      exitCode: ExitCode.unsavedChanges,
    });
    this.name = 'UnsavedWorkError';
  }
}

function zList(out: Buffer): string[] {
  return out.toString('utf8').split('\0').filter(Boolean);
}

function gitLines(git: GitRepo, args: string[], input?: string): Buffer {
  const out = runGit(git.root, args, input);
  if (out.code !== 0) throw new MlpError(`git ${args[0]} failed: ${out.stderr.trim()}`);
  return out.stdout;
}

interface TreeEntry {
  mode: string;
  oid: string;
}

/** `<commit>:<path>` of each path: its mode and blob id, or undefined (one git process). */
function entriesAt(git: GitRepo, commit: string, paths: readonly string[]): Map<string, TreeEntry | undefined> {
  const result = new Map<string, TreeEntry | undefined>();
  if (paths.length === 0) return result;
  const out = runGit(git.root, ['ls-tree', '-z', '--full-tree', commit, '--', ...paths.map((p) => git.prefix + p)]);
  if (out.code !== 0) throw new MlpError(`git ls-tree failed: ${out.stderr.trim()}`);
  for (const p of paths) result.set(p, undefined);
  for (const line of zList(out.stdout)) {
    // "<mode> <type> <oid>\t<path>"
    const tab = line.indexOf('\t');
    const [mode = '', type = '', oid = ''] = line.slice(0, tab).split(' ');
    const file = line.slice(tab + 1).slice(git.prefix.length);
    if (type === 'blob') result.set(file, { mode, oid });
  }
  return result;
}

/** The blob ids of the paths' contents in the workspace (undefined: absent, or not a regular file or symlink). */
function workspaceOids(git: GitRepo, paths: readonly string[]): Map<string, string | undefined> {
  const result = new Map<string, string | undefined>();
  const files: string[] = [];
  for (const p of paths) {
    const stat = fs.lstatSync(path.join(git.root, p), { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) {
      result.set(p, gitLines(git, ['hash-object', '--stdin'], fs.readlinkSync(path.join(git.root, p))).toString('utf8').trim());
    } else if (stat?.isFile()) files.push(p);
    else result.set(p, stat ? 'not-a-file' : undefined);
  }
  if (files.length > 0) {
    // With git's filters (autocrlf, …), as `git add` would store them.
    const oids = gitLines(git, ['hash-object', '--stdin-paths'], `${files.join('\n')}\n`).toString('utf8').trim().split('\n');
    files.forEach((f, i) => result.set(f, oids[i]));
  }
  return result;
}

export function applyExperiment(git: GitRepo, experiment: Experiment, head: string, options: { force: boolean }): ApplyResult {
  // What may differ between the workspace and the experiment: what the experiment changed from
  // HEAD, and what the workspace changed from HEAD (tracked files; new files the experiment has
  // are in the first list).
  const changedInExp = zList(gitLines(git, ['diff', '--name-only', '-z', '--no-renames', '--relative', head, experiment.commit, '--', '.']));
  const changedInWorkspace = zList(gitLines(git, ['diff', '--name-only', '-z', '--no-renames', '--relative', head, '--', '.']));
  // mlp's own directory (config) and paths that are not plain repository paths are left alone.
  const paths = [...new Set([...changedInExp, ...changedInWorkspace])].filter((p) => isRepoPath(p)).sort();
  const target = entriesAt(git, experiment.commit, paths);
  const current = workspaceOids(git, paths);
  // Content that git keeps: HEAD's and every experiment's of this baseline (the target included).
  const keepers = [head, ...listExperiments(git, [head]).map((e) => e.commit), experiment.commit];
  const saved = new Set<string>();
  for (const commit of new Set(keepers)) for (const e of entriesAt(git, commit, paths).values()) if (e) saved.add(e.oid);

  const unsaved: string[] = [];
  const plan: Array<{ path: string; entry: TreeEntry | undefined }> = [];
  for (const p of paths) {
    const want = target.get(p);
    const have = current.get(p);
    if (want?.oid === have && (want !== undefined || have === undefined)) continue;
    if (have === undefined && want === undefined) continue;
    if (have !== undefined && !saved.has(have)) unsaved.push(p);
    plan.push({ path: p, entry: want });
  }
  if (unsaved.length > 0 && !options.force) throw new UnsavedWorkError(unsaved);

  const blobs = new Map<string, Buffer>();
  const wanted = plan.filter((p) => p.entry);
  if (wanted.length > 0) {
    const batch = gitLines(git, ['cat-file', '--batch'], `${wanted.map((p) => p.entry?.oid).join('\n')}\n`);
    let offset = 0;
    for (const p of wanted) {
      const newline = batch.indexOf(0x0a, offset);
      const size = Number(batch.subarray(offset, newline).toString('utf8').split(' ')[2]);
      offset = newline + 1;
      blobs.set(p.path, batch.subarray(offset, offset + size));
      offset += size + 1;
    }
  }
  const changed: ApplyResult['changed'] = [];
  for (const { path: p, entry } of plan) {
    if (!isRepoPath(p)) continue;
    const abs = checkedInside(git.root, p);
    if (!entry) {
      removePath(abs);
      changed.push({ path: p, action: 'deleted' });
      continue;
    }
    const content = blobs.get(p) as Buffer;
    const stat = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (stat && !stat.isFile()) removePath(abs);
    if (entry.mode === '120000') {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      if (stat?.isFile()) fs.rmSync(abs);
      fs.symlinkSync(content.toString('utf8'), abs);
    } else {
      writeFileAtomic(abs, content, entry.mode === '100755' ? 0o755 : 0o644);
    }
    changed.push({ path: p, action: 'written' });
  }
  return { changed };
}
