/**
 * `<path>.mlp` pointer files, written by `mlp add` (DVC's `.dvc` files): they record the hash of
 * a data file or directory that lives in the cache, and are committed to git in its place. They
 * are read through the schema in src/schema/pointer.ts: the tracked path must stay inside the
 * repository and the hash must be a hash, or the file is reported with its line and column.
 */
import path from 'node:path';
import { PipelineError } from '../errors.js';
import type { HashInfo } from '../hash/hash-path.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';
import { readValidatedYaml } from '../schema/cached.js';
import { parseYaml } from '../schema/located.js';
import { pointerKind, pointerSchema, reviveImportSource, revivePointer, type ImportSource } from '../schema/pointer.js';
import { SymlinkGuard, describePathProblem, joinInside, repoPathProblem, type RepoPath } from '../schema/repo-path.js';
import { writeFileAtomic } from '../util/fs.js';
import { emitYaml } from '../util/yaml-emit.js';
import type { ParseCache } from '../util/parse-cache.js';

export interface Pointer {
  /** Repository-relative path of the pointer file itself. */
  file: RepoPath;
  /** Repository-relative path of the tracked data. */
  path: RepoPath;
  info: HashInfo;
  /** The remote for this data instead of the default one (`remote:` of the out). */
  remote?: string;
  /** Data imported from another repository (`mlp import`): where from. */
  source?: ImportSource;
}

const HEADER = '# Tracked by mlp: the data is in the cache. `mlp checkout` restores it, `mlp pull` fetches it.\n';
const IMPORT_HEADER = '# Imported by mlp from another repository: `mlp update` gets its latest version.\n';

export function pointerFileFor(dataPath: RepoPath): RepoPath {
  return `${dataPath}${POINTER_SUFFIX}` as RepoPath;
}

export function writePointer(root: string, pointer: Omit<Pointer, 'file'>): RepoPath {
  const file = pointerFileFor(pointer.path);
  const out: Record<string, unknown> = { path: path.posix.basename(pointer.path), sha256: pointer.info.hash, size: pointer.info.size };
  if (pointer.info.nfiles !== undefined) out.nfiles = pointer.info.nfiles;
  if (pointer.remote !== undefined) out.remote = pointer.remote;
  const doc: Record<string, unknown> = { outs: [out] };
  if (pointer.source) {
    const { url, rev, rev_lock } = pointer.source.repo;
    doc.deps = [{ path: pointer.source.path, repo: { url, ...(rev === undefined ? {} : { rev }), rev_lock } }];
    doc.frozen = true;
  }
  // Every writer of pointer files comes through here, so this is where a directory on the way that
  // is a symlink out of the repository is refused (joinInside alone is lexical).
  new SymlinkGuard(root).check(file);
  writeFileAtomic(joinInside(root, file), (pointer.source ? IMPORT_HEADER : HEADER) + emitYaml(doc));
  return file;
}

/** The pointer file's own path must be a repository path too (git lists what it is given). */
function pointerFile(file: string): RepoPath {
  const problem = repoPathProblem(file);
  if (problem !== undefined) throw new PipelineError(`not a usable pointer file: ${describePathProblem(file, problem)}`, { file });
  return file as RepoPath;
}

function toPointer(file: RepoPath, raw: unknown): Pointer {
  const { path: tracked, out } = revivePointer(path.posix.dirname(file), raw);
  const info: HashInfo = { hash: out.sha256, size: out.size };
  if (out.nfiles !== undefined) info.nfiles = out.nfiles;
  const source = reviveImportSource(raw);
  return { file, path: tracked, info, ...(out.remote === undefined ? {} : { remote: out.remote }), ...(source ? { source } : {}) };
}

/** Parses and validates the text of pointer file `file` (e.g. at a git revision). */
export function parsePointer(file: string, text: string): Pointer {
  const checked = pointerFile(file);
  return toPointer(checked, parseYaml(text, file, pointerSchema(path.posix.dirname(file)), pointerKind(file)));
}

/** Reads a pointer file through the parse cache (validated either way). */
export function readPointer(root: string, file: string, cache: ParseCache): Pointer {
  const checked = pointerFile(file);
  const dir = path.posix.dirname(file);
  const pointer = readValidatedYaml(cache, joinInside(root, checked), file, () => pointerSchema(dir), pointerKind(file), (raw) => toPointer(checked, raw));
  if (pointer === undefined) throw new PipelineError('pointer file disappeared', { file });
  return pointer;
}
