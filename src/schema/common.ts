/** Leaf schemas shared by the file schemas: paths, hashes, sizes. */
import type * as V from 'valibot';
import { describePathProblem, isEntryPath, isRepoPath, relativePathProblem, repoPathProblem, type EntryPath, type RepoPath } from './repo-path.js';
import { isSha256, sha256Problem, type Sha256 } from './sha256.js';
import { valibot } from './valibot.js';

export function repoPathSchema(): V.GenericSchema<unknown, RepoPath> {
  return valibot().custom<RepoPath>(isRepoPath, (issue) => describePathProblem(issue.input, repoPathProblem(issue.input) ?? 'is invalid'));
}

export function entryPathSchema(): V.GenericSchema<unknown, EntryPath> {
  return valibot().custom<EntryPath>(isEntryPath, (issue) => describePathProblem(issue.input, relativePathProblem(issue.input) ?? 'is invalid'));
}

export function sha256Schema(): V.GenericSchema<unknown, Sha256> {
  return valibot().custom<Sha256>(isSha256, (issue) => sha256Problem(issue.input));
}

/** A byte or file count: a whole number, 0 or more. */
export function countSchema(): V.GenericSchema<unknown, number> {
  const v = valibot();
  const message = (issue: V.BaseIssue<unknown>): string => `must be a whole number (0 or more), got ${issue.received}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(0, message));
}

/** A whole number of at least `min`. */
export function integerSchema(min: number, example: string): V.GenericSchema<unknown, number> {
  const v = valibot();
  const message = (issue: V.BaseIssue<unknown>): string =>
    `must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}, got ${issue.received}${typeof issue.input === 'string' ? ' (a string: remove the quotes)' : ''}\ne.g. ${example}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message));
}

export function stringSchema(example?: string): V.GenericSchema<unknown, string> {
  const v = valibot();
  return v.string((issue) => `must be a string, got ${issue.received}${example ? `\ne.g. ${example}` : ''}`);
}
