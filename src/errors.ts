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
