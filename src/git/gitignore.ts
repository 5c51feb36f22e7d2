/**
 * Cached outputs and tracked data are git-ignored, as DVC does: `/name` is added to the
 * `.gitignore` of the directory that holds them. A new line is appended, never the whole file
 * rewritten: a repro of 5,000 stages writing into one directory used to rewrite (and re-split)
 * a growing `.gitignore` after every stage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SymlinkGuard, joinInside, type RepoPath } from '../schema/repo-path.js';

export class GitIgnorer {
  /** Per .gitignore file: its trimmed lines, and whether the file ends with a newline. */
  private readonly files = new Map<string, { lines: Set<string>; endsWithNewline: boolean }>();

  constructor(private readonly root: string) {}

  /** Ensures the repository-relative `target` is ignored. Returns true if a line was added. */
  ignore(target: RepoPath): boolean {
    const dir = path.posix.dirname(target);
    const ignoreFile = (dir === '.' ? '.gitignore' : `${dir}/.gitignore`) as RepoPath;
    // Neither the output nor the .gitignore may lead outside the repository through a symlink.
    const guard = new SymlinkGuard(this.root);
    guard.check(target);
    guard.check(ignoreFile);
    const file = joinInside(this.root, ignoreFile);
    const line = `/${path.posix.basename(target)}`;
    let known = this.files.get(file);
    if (!known) {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      known = { lines: new Set(text.split('\n').map((l) => l.trim())), endsWithNewline: text === '' || text.endsWith('\n') };
      this.files.set(file, known);
    }
    if (known.lines.has(line)) return false;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `${known.endsWithNewline ? '' : '\n'}${line}\n`);
    known.lines.add(line);
    known.endsWithNewline = true;
    return true;
  }

  /**
   * Removes the line `ignore` added for `target` (after `mlp remove` or `mlp move`); other lines,
   * comments and order stay. Returns true if a line was removed.
   */
  unignore(target: RepoPath): boolean {
    const dir = path.posix.dirname(target);
    const ignoreFile = (dir === '.' ? '.gitignore' : `${dir}/.gitignore`) as RepoPath;
    new SymlinkGuard(this.root).check(ignoreFile);
    const file = joinInside(this.root, ignoreFile);
    if (!fs.existsSync(file)) return false;
    const line = `/${path.posix.basename(target)}`;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const kept = lines.filter((l) => l.trim() !== line);
    if (kept.length === lines.length) return false;
    const text = kept.join('\n');
    if (text.trim() === '') fs.rmSync(file);
    else fs.writeFileSync(file, text);
    this.files.delete(file);
    return true;
  }
}
