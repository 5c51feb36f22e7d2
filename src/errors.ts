/**
 * Typed failures. Core modules throw these; the CLI renders them (message, then hint) and exits
 * with `exitCode`. Exit codes are documented in the README ("Exit codes").
 */
export const ExitCode = {
  ok: 0,
  /** Generic failure (I/O error, unexpected state). */
  failure: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** pipeline.yaml, params or lockfile invalid. */
  invalidPipeline: 3,
  /** One or more stages failed. */
  stageFailed: 4,
  /** Another mlp process holds the repository lock. */
  locked: 5,
  /** Refused: it would overwrite or delete workspace files whose content is not in the cache. */
  unsavedChanges: 6,
  /** `mlp monitor` found drift (drift.json says which tests). */
  drift: 7,
  /** Interrupted by SIGINT/SIGTERM. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface MlpErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
}

export class MlpError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(message: string, options: MlpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlpError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** A problem in pipeline.yaml / params / vars, located at file:line:column when known. */
export class PipelineError extends MlpError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    message: string,
    location: { file?: string; line?: number; column?: number } = {},
    options: Omit<MlpErrorOptions, 'exitCode'> = {},
  ) {
    const where = location.file
      ? `${location.file}${location.line ? `:${location.line}${location.column ? `:${location.column}` : ''}` : ''}: `
      : '';
    super(where + message, { ...options, exitCode: ExitCode.invalidPipeline });
    this.name = 'PipelineError';
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
  }
}

/** Not `instanceof Error`: errors from Node's own modules may come from another realm (jest's vm). */
export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return typeof error === 'object' && error !== null && typeof (error as NodeJS.ErrnoException).code === 'string';
}

export function errorCode(error: unknown): string | undefined {
  return isErrnoException(error) ? error.code : undefined;
}

/** What a failed system call was doing, in words, for messages. */
const SYSCALL_VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create directory',
  rmdir: 'remove',
  unlink: 'remove',
  rm: 'remove',
  rename: 'rename',
  copyfile: 'copy to',
  link: 'link to',
  symlink: 'create link',
  chmod: 'change the mode of',
  scandir: 'list',
  opendir: 'list',
  stat: 'inspect',
  lstat: 'inspect',
  utime: 'touch',
};

/**
 * A file-system failure (permissions, a full disk, …) told in words: what could not be done, on
 * which path, and what to do about it. The original error stays as `cause` (shown with -v).
 */
export class FileSystemError extends MlpError {
  constructor(
    message: string,
    readonly code: string,
    readonly path: string | undefined,
    options: MlpErrorOptions,
  ) {
    super(message, options);
    this.name = 'FileSystemError';
  }
}

/** A path for messages: relative to the current directory when inside it. */
function shownPath(file: string): string {
  const cwd = process.cwd();
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/**
 * Attaches `file` to an errno error that lacks a path (a failed `write(fd)` carries none), so
 * that whoever reports it can say where. Returns the same error, for `throw withPath(e, f)`.
 */
export function withPath(error: unknown, file: string): unknown {
  if (isErrnoException(error) && !error.path && !(error instanceof MlpError)) error.path = file;
  return error;
}

/**
 * The user-facing form of an errno error from Node's fs (or child_process); undefined for
 * anything else. The one place where errno codes become messages: the CLI's error reporter and
 * the places that turn a failure into a warning call it.
 */
export function fileSystemError(error: unknown): FileSystemError | undefined {
  // Only errors of system calls (they carry `syscall`); library errors keep their own words.
  if (error instanceof MlpError || !isErrnoException(error) || !error.code || !error.syscall) return undefined;
  const code = error.code;
  if (!/^E[A-Z]+$/.test(code)) return undefined;
  const dest = (error as NodeJS.ErrnoException & { dest?: string }).dest;
  // A copy or link has two paths: space and a read-only disk concern the destination only.
  const spaceLike = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS';
  const file = spaceLike ? (dest ?? error.path) : error.path;
  let where = file === undefined ? '' : shownPath(file);
  let verb = SYSCALL_VERBS[error.syscall ?? ''] ?? error.syscall ?? 'access';
  let checkModes = where ? `${where} and its directory` : 'the files involved';
  if (dest !== undefined && !spaceLike && error.path !== undefined) {
    verb = error.syscall === 'link' ? 'link' : error.syscall === 'rename' ? 'rename' : 'copy';
    where = `${shownPath(error.path)} to ${shownPath(dest)}`;
    checkModes = `the directory of ${shownPath(dest)} (and that ${shownPath(error.path)} is readable)`;
  }
  const make = (message: string, hint: string): FileSystemError =>
    new FileSystemError(message, code, file, { hint, exitCode: ExitCode.failure, cause: error });
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return make(
        `${code === 'EACCES' ? 'permission denied' : 'operation not permitted'}: cannot ${verb} ${where || '(unknown path)'}`,
        `check the owner and mode of ${checkModes} with ls -ld; mlp needs to read the workspace and write the workspace and .mlp/`,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return make(
        `${code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded on the device'} holding ${where || 'the repository'}`,
        'free some space (`mlp gc` removes cache objects nothing refers to), then run the command again: finished work is kept',
      );
    case 'EROFS':
      return make(`read-only file system: cannot ${verb} ${where}`, 'run mlp where it can write, or remount the file system read-write');
    case 'EISDIR':
      return make(`${where} is a directory, not a file`, `move the directory away or fix the path`);
    case 'ENOTDIR':
      return make(`a part of ${where} is not a directory`, 'a file stands where a directory is needed: move it away or fix the path');
    case 'ENOENT':
      return make(`no such file or directory: ${where}`, 'check the path; it may have been removed while mlp was running');
    case 'EMFILE':
    case 'ENFILE':
      return make(`too many open files (while trying to ${verb} ${where})`, 'raise the limit (ulimit -n) or run fewer jobs at once (-j)');
    case 'EIO':
      return make(`input/output error on ${where}`, 'the disk or network file system reported a failure: check it (dmesg), then retry');
    default:
      return make(`cannot ${verb}${where ? ` ${where}` : ''}: ${(error.message ?? code).replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${code})`, 'add -v for details');
  }
}
