/**
 * A path that the repository records — a stage output in pipeline.lock or data in a pointer
 * file — with what records it: what checkout restores and what push, fetch and verify transfer.
 */
import type { HashInfo } from '../hash/hash-path.js';
import type { RepoPath } from '../schema/repo-path.js';

export interface RecordedPath {
  path: RepoPath;
  /** The stage or pointer file that records it, for messages. */
  source: string;
  info: HashInfo;
  /** The stage declares `push: false` for this output: `mlp push` leaves it out (as DVC). */
  noPush?: true;
  /** The remote named for it (`remote:` of the output or pointer) instead of the default one. */
  remote?: string;
}
