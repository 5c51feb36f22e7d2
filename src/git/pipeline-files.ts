/**
 * Where the pipeline files of a repository are: in the workspace (what git sees — tracked, or
 * untracked and not git-ignored — and the root `pipeline.yaml` always; a walk of the directory
 * outside git), or at a git revision. Which of them count is `pipelineFilesOf`'s rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IGNORE_FILE, MlpIgnore } from '../hash/mlpignore.js';
import { pipelineFilesOf } from '../pipeline/pipelines.js';
import { PIPELINE_FILE } from '../pipeline/schema.js';
import { runGit } from './git.js';

/** The pipeline files of the workspace at `root`, the root one first. */
export function workspacePipelineFiles(root: string): string[] {
  const out = runGit(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', PIPELINE_FILE, `*/${PIPELINE_FILE}`]);
  const ignore = new MlpIgnore(root);
  const listed = out.code === 0 ? out.stdout.toString('utf8').split('\0').filter((f) => f !== '' && fs.existsSync(path.join(root, f))) : walk(root, ignore);
  // The root pipeline is read from disk whatever git thinks of it (as before there were several).
  if (fs.existsSync(path.join(root, PIPELINE_FILE))) listed.push(PIPELINE_FILE);
  return pipelineFilesOf(listed, {
    isNestedRepo: (dir) => fs.existsSync(path.join(root, dir, '.git')) || fs.existsSync(path.join(root, dir, '.mlp')),
    isIgnored: (rel, isDir) => ignore.isIgnored(rel, isDir),
  });
}

/** The pipeline files at a revision, from its file list; `read` reads a file there (for `.mlpignore`). */
export function pipelineFilesAt(files: readonly string[], read: (file: string) => string | undefined): string[] {
  const ignore = new MlpIgnore('', IGNORE_FILE, read);
  return pipelineFilesOf(files, { isIgnored: (rel, isDir) => ignore.isIgnored(rel, isDir) });
}

/**
 * Outside git: every `pipeline.yaml` below `root`, not descending into `.git`, `.mlp`, nested
 * repositories or directories `.mlpignore` leaves out.
 */
function walk(root: string, ignore: MlpIgnore): string[] {
  const found: string[] = [];
  const visit = (dir: string, prefix: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (prefix !== '' && entries.some((e) => e.name === '.git' || e.name === '.mlp')) return;
    for (const entry of entries) {
      if (entry.isDirectory()) {
        const rel = `${prefix}${entry.name}`;
        if (entry.name !== '.git' && entry.name !== '.mlp' && !ignore.isIgnored(rel, true)) visit(path.join(dir, entry.name), `${rel}/`);
      } else if (entry.name === PIPELINE_FILE) found.push(`${prefix}${entry.name}`);
    }
  };
  visit(root, '');
  return found;
}
