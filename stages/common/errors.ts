/**
 * The one error convention of the built-in stages. Every problem a user can fix is an `MlpError`
 * (src/errors.ts) that carries its own hint and is thrown by the stage module that found it; the
 * commands print it like any other mlp error, and nothing maps error classes to hints afterwards.
 *
 * - data, model, archive or image files that are missing or wrong: `InputError`, exit 1, the
 *   message starts with the file (and the row when there is one) so the user knows where to look;
 * - bad params (a params section or an option value): `ParamsError`, exit 2 like other usage
 *   errors, the message starts with where the value came from (`params.yaml#text.tfidf.min_df`).
 *
 * Stage modules may define subclasses (e.g. CIFAR-10's `ChecksumError`) so that code and tests
 * can tell problems apart by type; the subclass sets the hint.
 */
import { errorCode, ExitCode, MlpError } from '../../src/errors.js';

export interface StageErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

/** A problem with the user's files (data, model, archive): exit 1. */
export class InputError extends MlpError {
  constructor(message: string, options: StageErrorOptions = {}) {
    super(message, { hint: options.hint, cause: options.cause, exitCode: ExitCode.failure });
    this.name = 'InputError';
  }
}

/** A bad params value or option value: exit 2, like other usage errors. */
export class ParamsError extends MlpError {
  constructor(message: string, options: StageErrorOptions = {}) {
    super(message, { hint: options.hint, cause: options.cause, exitCode: ExitCode.usage });
    this.name = 'ParamsError';
  }
}

/** Where in an input file something is: `row` counts data records (header excluded), 1-based. */
export interface InputLocation {
  file: string;
  /** 1-based data row (the header is row 0); omitted when the problem is the whole file. */
  row?: number;
  /** 1-based physical line where the record starts. */
  line?: number;
}

export function formatLocation(location: InputLocation): string {
  if (location.row === undefined) return location.file;
  const row = location.row === 0 ? 'header' : `row ${location.row}`;
  return `${location.file}, ${row}${location.line === undefined ? '' : ` (line ${location.line})`}`;
}

/** `file, row 3 (line 4): message`. */
export function inputError(location: InputLocation, message: string, hint?: string): InputError {
  return new InputError(`${formatLocation(location)}: ${message}`, { hint });
}

/** `where: message`, where `where` names the params key or the option (`--test-size`). */
export function paramsError(where: string, message: string, hint?: string): ParamsError {
  return new ParamsError(`${where}: ${message}`, { hint });
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** A filesystem error in words, for messages that already name the file (no raw `ENOENT: …`). */
export function describeFileError(error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined) return FILE_ERRORS[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}
