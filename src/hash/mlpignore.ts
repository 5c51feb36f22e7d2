/**
 * `.mlpignore` files (DVC's `.dvcignore`): gitignore syntax, in the repository root or any
 * directory below (patterns relative to the file's directory). Files they match are left out of
 * directory hashes — so they are neither stored, nor compared, nor deleted or overwritten by a
 * checkout of the directory — and `mlp check-ignore` explains which rule matched.
 *
 * Written here rather than taken from the `ignore` package, which is not a dependency: the
 * subset of gitignore that matters (comments, `!`, trailing `/`, anchoring by a leading or inner
 * `/`, `*`, `?`, `[…]`, `**`) in one small matcher.
 */
import fs from 'node:fs';
import path from 'node:path';

export const IGNORE_FILE = '.mlpignore';

export interface IgnoreRule {
  /** The .mlpignore file, repository-relative. */
  file: string;
  line: number;
  /** As written. */
  pattern: string;
  negated: boolean;
  dirOnly: boolean;
  regex: RegExp;
}

/** The rules of one `.mlpignore` text in directory `dir` ('' for the root). */
export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) return;
    let negated = false;
    if (line.startsWith('!')) {
      negated = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    if (line === '') return;
    // A slash at the start or in the middle anchors the pattern to the file's directory.
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globBody(line);
    rules.push({ file, line: index + 1, pattern: raw.trim(), negated, dirOnly, regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`, 's') });
  });
  return rules;
}

function globBody(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*' && (i === 0 || pattern[i - 1] === '/')) {
      const atEnd = i + 2 === pattern.length;
      if (atEnd) {
        out += '.*';
        i += 1;
        continue;
      }
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
        continue;
      }
    }
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeRegex(pattern[++i] as string);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += escapeRegex(c);
  }
  return out;
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The `.mlpignore` rules of a repository, read lazily per directory. */
export class MlpIgnore {
  private readonly byDir = new Map<string, IgnoreRule[]>();

  /**
   * `fileName`: another file of the same syntax (`mlp migrate --dry-run` reads DVC's `.dvcignore`);
   * `read`: how a repository-relative file is read (e.g. at a git revision); the disk by default.
   */
  constructor(
    private readonly root: string,
    private readonly fileName = IGNORE_FILE,
    private readonly read?: (file: string) => string | undefined,
  ) {}

  rulesOf(dir: string): IgnoreRule[] {
    let rules = this.byDir.get(dir);
    if (!rules) {
      const file = dir === '' ? this.fileName : `${dir}/${this.fileName}`;
      let text: string | undefined;
      try {
        text = this.read ? this.read(file) : fs.readFileSync(path.join(this.root, file), 'utf8');
      } catch {
        text = undefined;
      }
      rules = text === undefined ? [] : parseIgnoreFile(text, file);
      this.byDir.set(dir, rules);
    }
    return rules;
  }

  /**
   * The last rule that matches `rel` itself (gitignore: the last match wins), looking at the
   * .mlpignore files of every directory above it, nearest last.
   */
  private lastMatch(rel: string, isDir: boolean): IgnoreRule | undefined {
    const parts = rel.split('/');
    let found: IgnoreRule | undefined;
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const sub = parts.slice(depth).join('/');
      for (const rule of this.rulesOf(dir)) {
        if (rule.dirOnly && !isDir) continue;
        if (rule.regex.test(sub)) found = rule;
      }
    }
    return found;
  }

  /**
   * The rule that decides `rel`: an ignored parent directory decides for everything in it (git
   * cannot re-include a file there, nor can mlp); otherwise the last rule matching `rel`. A
   * negated rule as the answer means "matched, and not ignored".
   */
  decide(rel: string, isDir: boolean): IgnoreRule | undefined {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const rule = this.lastMatch(parts.slice(0, i).join('/'), true);
      if (rule && !rule.negated) return rule;
    }
    return this.lastMatch(rel, isDir);
  }

  /** The rules that apply inside directory `dir` (repository-relative, '' for the root), for a walk. */
  scope(dir: string): IgnoreScope {
    const parts = dir === '' || dir === '.' ? [] : dir.split('/');
    let scope = new IgnoreScope(this, []);
    for (let i = 0; i <= parts.length; i++) scope = scope.enter(parts.slice(0, i).join('/'));
    return scope;
  }
  isIgnored(rel: string, isDir: boolean): boolean {
    const rule = this.decide(rel, isDir);
    return rule !== undefined && !rule.negated;
  }
}

/**
 * The rules in force inside one directory of a walk: those of its .mlpignore and of every
 * directory above. Without any, a test costs nothing — the common case.
 */
export class IgnoreScope {
  constructor(
    private readonly ignore: MlpIgnore,
    private readonly layers: readonly { base: string; rules: IgnoreRule[] }[],
  ) {}

  /** The scope inside subdirectory `dir` (repository-relative) of this one. */
  enter(dir: string): IgnoreScope {
    const rules = this.ignore.rulesOf(dir);
    return rules.length === 0 ? new IgnoreScope(this.ignore, this.layers) : new IgnoreScope(this.ignore, [...this.layers, { base: dir, rules }]);
  }

  /** Whether `rel` (repository-relative, directly inside this scope's directory) is left out. */
  ignores(rel: string, isDir: boolean): boolean {
    let found: IgnoreRule | undefined;
    for (const { base, rules } of this.layers) {
      const sub = base === '' ? rel : rel.slice(base.length + 1);
      for (const rule of rules) if ((!rule.dirOnly || isDir) && rule.regex.test(sub)) found = rule;
    }
    return found !== undefined && !found.negated;
  }
}

export interface IgnoreCheck {
  /** As given. */
  target: string;
  ignored: boolean;
  /** The rule that decided (a negated one: matched, not ignored). */
  rule?: { file: string; line: number; pattern: string };
}

/**
 * `mlp check-ignore`: for each repository-relative path, whether .mlpignore leaves it out, and
 * by which rule. A path that does not exist counts as a file unless written with a trailing `/`.
 */
export function checkIgnore(root: string, paths: readonly { target: string; rel: string }[]): IgnoreCheck[] {
  const ignore = new MlpIgnore(root);
  return paths.map(({ target, rel }) => {
    const isDir = target.endsWith('/') || fs.statSync(path.join(root, rel), { throwIfNoEntry: false })?.isDirectory() === true;
    const rule = rel === '.' ? undefined : ignore.decide(rel, isDir);
    return { target, ignored: rule !== undefined && !rule.negated, ...(rule ? { rule: { file: rule.file, line: rule.line, pattern: rule.pattern } } : {}) };
  });
}
