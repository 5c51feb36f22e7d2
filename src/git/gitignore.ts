/**
 * Cached outputs and tracked data are git-ignored, as DVC does: `/name` is added to the
 * `.gitignore` of the directory that holds them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SymlinkGuard, joinInside, type RepoPath } from '../schema/repo-path.js';

export class GitIgnorer {
  private readonly contents = new Map<string, string>();

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
    let text = this.contents.get(file);
    if (text === undefined) {
      text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    }
    if (text.split('\n').some((l) => l.trim() === line)) {
      this.contents.set(file, text);
      return false;
    }
    text = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    this.contents.set(file, text);
    return true;
  }
}
