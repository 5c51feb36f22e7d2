/**
 * Errors about the user's data, params or model files. They are `MlpError`s so the CLI prints
 * message + hint and exits non-zero; the message always starts with the file (and the row when
 * there is one) so the user knows where to look.
 */
import { ExitCode, MlpError } from '../../src/errors.js';

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

export function inputError(location: InputLocation, message: string, hint?: string): MlpError {
  return new MlpError(`${formatLocation(location)}: ${message}`, { hint, exitCode: ExitCode.failure });
}

/** Bad params (params.yaml section or CLI flag values): exit code 2 like other usage errors. */
export function paramsError(where: string, message: string, hint?: string): MlpError {
  return new MlpError(`${where}: ${message}`, { hint, exitCode: ExitCode.usage });
}

/**
 * The `code` of a Node system error (ENOENT, EISDIR, …). Duck-typed rather than `instanceof
 * Error`: errors raised by fs can come from another realm (e.g. under jest's VM modules).
 */
export function systemErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
