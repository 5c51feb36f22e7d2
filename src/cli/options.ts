/** Option parsing shared by every command: one parser per kind of value, one reading of -q. */
import { InvalidArgumentError, type Command } from 'commander';
import { parseSize } from '../pipeline/resources.js';

/**
 * `--jobs 4`, `--epochs 10`: a whole number ≥ 1. A commander argument parser, so a bad value is
 * reported with the option's name and exits with the usage code.
 */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return n;
}

/** The global `-q/--quiet`: print only errors. */
export function isQuiet(command: Command): boolean {
  return command.optsWithGlobals<{ quiet?: boolean }>().quiet === true;
}

/** A size option (`10MB`, `512KiB`, `1048576`) in whole bytes, at least 1. */
export function parseSizeOption(value: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined || bytes < 1) throw new InvalidArgumentError(`expected a size like 10MB, 512KiB or 1048576, got '${value}'`);
  return Math.floor(bytes);
}
