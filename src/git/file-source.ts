/**
 * Where files are read from when comparing runs: the workspace on disk, or a git revision
 * (read through git's object database, leaving the working tree alone). Both expose the same
 * small interface so that params and metrics code does not care which one it reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { GitRepo } from './git.js';

export const WORKSPACE = 'workspace';

export interface FileSource {
  /** How this side is named in output: the revision as the user wrote it, or `workspace`. */
  readonly label: string;
  /** The commit id, or undefined for the workspace. */
  readonly commit: string | undefined;
  /** Content of a repository-relative file, or undefined if it does not exist there. */
  read(file: string): Buffer | undefined;
  /** Reads several files at once (one git process for a revision). */
  prefetch(files: readonly string[]): void;
  /** The files under directory `dir` (repository-relative paths, sorted); empty when it is no directory there. */
  list(dir: string): string[];
}

/** `in the workspace` or `at revision X`, to say in messages where a file was read. */
export function describeSource(source: FileSource): string {
  return source.commit === undefined ? 'in the workspace' : `at revision ${source.label}`;
}

export function readText(source: FileSource, file: string): string | undefined {
  return source.read(file)?.toString('utf8');
}

export class WorkspaceSource implements FileSource {
  readonly label = WORKSPACE;
  readonly commit = undefined;

  constructor(private readonly root: string) {}

  read(file: string): Buffer | undefined {
    try {
      return fs.readFileSync(path.join(this.root, file));
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw error;
    }
  }

  prefetch(): void {}

  list(dir: string): string[] {
    try {
      const entries = fs.readdirSync(path.join(this.root, dir), { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .sort();
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw error;
    }
  }
}

export class RevisionSource implements FileSource {
  private readonly blobs = new Map<string, Buffer | undefined>();

  constructor(
    private readonly git: GitRepo,
    readonly label: string,
    readonly commit: string,
  ) {}

  /** The revision `rev` (resolved now, so a bad name fails before any work). */
  static resolve(git: GitRepo, rev: string): RevisionSource {
    return new RevisionSource(git, rev, git.resolve(rev));
  }

  private listing: string[] | undefined;

  /** Every file at the revision, repository-relative. */
  files(): string[] {
    return (this.listing ??= this.git.filesAt(this.commit));
  }

  read(file: string): Buffer | undefined {
    if (!this.blobs.has(file)) this.prefetch([file]);
    return this.blobs.get(file);
  }

  prefetch(files: readonly string[]): void {
    const wanted = [...new Set(files)].filter((f) => !this.blobs.has(f));
    for (const [file, blob] of this.git.readBlobs(this.commit, wanted)) this.blobs.set(file, blob);
  }

  list(dir: string): string[] {
    const prefix = `${dir.replace(/\/+$/, '')}/`;
    return this.files().filter((f) => f.startsWith(prefix)).sort();
  }

  /** Prefetches `files` at every one of `sources` (all of one git repository) with one git process. */
  static prefetchAll(sources: readonly RevisionSource[], files: readonly string[]): void {
    const first = sources[0];
    if (!first) return;
    const wanted = sources.flatMap((source) => [...new Set(files)].filter((f) => !source.blobs.has(f)).map((file) => ({ source, commit: source.commit, file })));
    const blobs = first.git.readBlobsAt(wanted);
    wanted.forEach((w, i) => w.source.blobs.set(w.file, blobs[i]));
  }
}

/**
 * The two sides of a diff, as the commands take them: no revision is HEAD against the
 * workspace, one revision is that revision against the workspace, two are compared directly.
 */
export function diffSources(root: string, aRev: string | undefined, bRev: string | undefined): [FileSource, FileSource] {
  const git = GitRepo.open(root);
  const a = RevisionSource.resolve(git, aRev ?? 'HEAD');
  const b = bRev === undefined ? new WorkspaceSource(root) : RevisionSource.resolve(git, bRev);
  return [a, b];
}
