/**
 * `mlp list` / `mlp ls` (DVC's `dvc list`): the repository's contents as a clone would have them —
 * files git tracks, and the data mlp tracks (stage outputs recorded in pipeline.lock, data with a
 * `.mlp` pointer file), whether or not that data is in the workspace now. A directory mlp tracks
 * is listed inside from its manifest when the cache has it.
 */
import { ExitCode, MlpError } from '../errors.js';
import { runGit } from '../git/git.js';
import type { HashInfo } from '../hash/hash-path.js';
import type { Repo } from '../repo/repo.js';
import { isSameOrInside } from '../util/fs.js';

export interface ListEntry {
  /** Repository-relative. */
  path: string;
  type: 'file' | 'dir';
  /** Who tracks it: git, or mlp (through `source`). */
  tracked: 'git' | 'mlp';
  /** The pointer file or stage that records it (mlp-tracked entries). */
  source?: string;
  /** Bytes (mlp-tracked entries, and files inside them). */
  size?: number;
}

export interface ListOptions {
  /** Every file below, not only the direct children. */
  recursive?: boolean;
  /** Only what mlp tracks (`--mlp-only`, DVC's `--dvc-only`). */
  mlpOnly?: boolean;
  /** What `target` is relative to (default: the current directory). */
  cwd?: string;
}

interface Recorded {
  path: string;
  source: string;
  info: HashInfo;
}

export function listRepo(repo: Repo, target = '.', options: ListOptions = {}): ListEntry[] {
  const base = repo.relativeOrRoot(target, options.cwd);
  const recorded: Recorded[] = [];
  for (const [name, stage] of repo.pipeline.stages) {
    const entry = repo.lock.get(name);
    for (const out of entry?.outs ?? []) if (stage.outs.some((o) => o.path === out.path && o.cache)) recorded.push({ path: out.path, source: name, info: out });
  }
  for (const p of repo.pointers()) recorded.push({ path: p.path, source: p.file, info: p.info });

  // Every file, as a flat list; directories mlp tracks are files of their manifest when known.
  const files: ListEntry[] = [];
  if (!options.mlpOnly) {
    const git = runGit(repo.root, ['ls-files', '-z', '--cached', '--', base === '.' ? '.' : base]);
    if (git.code === 0) {
      for (const f of git.stdout.toString('utf8').split('\0')) if (f !== '') files.push({ path: f, type: 'file', tracked: 'git' });
    }
  }
  for (const r of recorded) {
    if (!isSameOrInside(r.path, base) && !isSameOrInside(base, r.path)) continue;
    const isDir = r.info.nfiles !== undefined;
    const inside = isDir && (options.recursive === true || isSameOrInside(base, r.path)) ? manifestOf(repo, r) : undefined;
    if (inside) for (const e of inside) files.push({ path: `${r.path}/${e.path}`, type: 'file', tracked: 'mlp', source: r.source, size: e.size });
    else files.push({ path: r.path, type: isDir ? 'dir' : 'file', tracked: 'mlp', source: r.source, size: r.info.size });
  }

  const below = files.filter((f) => isSameOrInside(f.path, base));
  if (below.length === 0) {
    throw new MlpError(`nothing tracked at ${target}`, { hint: 'list the repository root with `mlp ls`, or a directory git or mlp tracks', exitCode: ExitCode.usage });
  }
  // A file target lists itself.
  if (below.length === 1 && below[0]?.path === base) return below;
  const prefix = base === '.' ? '' : `${base}/`;
  const result = new Map<string, ListEntry>();
  for (const f of below) {
    const rest = f.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (options.recursive === true || slash === -1) {
      result.set(f.path, f);
      continue;
    }
    const dir = `${prefix}${rest.slice(0, slash)}`;
    const owner = recorded.find((r) => r.path === dir);
    if (!result.has(dir)) {
      result.set(dir, owner ? { path: dir, type: 'dir', tracked: 'mlp', source: owner.source, size: owner.info.size } : { path: dir, type: 'dir', tracked: f.tracked });
    }
  }
  return [...result.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function manifestOf(repo: Repo, r: Recorded): { path: string; size: number }[] | undefined {
  if (!repo.objects.has(r.info.hash)) return undefined;
  try {
    return repo.objects.readManifest(r.info.hash);
  } catch {
    return undefined;
  }
}
