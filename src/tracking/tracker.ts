/**
 * The one interface every tracking backend implements. mlp's delivery (deliver.ts) calls these
 * in order for each run and records after each which step the server has, so a delivery cut off
 * anywhere (server gone, mlp killed) resumes where it stopped and never creates a run twice.
 * Each call gets the whole run record (a backend may need more than its own part: W&B keeps
 * params and lineage in one config) and must be idempotent: a step may be sent twice when mlp
 * is killed between sending it and recording that it was sent.
 *
 * Every call may throw a `TrackingError`: `retryable` ones (unreachable, timeout, 429, 5xx) leave
 * the run in the outbox for later; the others (bad credentials, a rejected request) too, but say
 * that retrying alone will not help.
 */
import type { MetricPoint, RemoteRun, RunRecord } from './run-record.js';

/** The bytes of a cache object, verified against its hash; undefined when it is not in the cache. */
export type ArtifactContent = (sha256: string, size: number | undefined) => Promise<Buffer | undefined>;

/** One file of an output to upload: its artifact path (repository-relative) and its object. */
export interface ArtifactUpload {
  path: string;
  sha256: string;
  size: number | undefined;
}

/** The files to upload for `run`: each uploaded output's file, or each file of its directory. */
export function artifactUploads(run: RunRecord): ArtifactUpload[] {
  return run.artifacts
    .filter((a) => a.upload)
    .flatMap((a) => (a.files ? a.files.map((f) => ({ path: `${a.path}/${f.path}`, sha256: f.sha256, size: f.size })) : [{ path: a.path, sha256: a.sha256, size: a.size }]));
}

export interface Tracker {
  /**
   * Creates the run on the server, or finds the one a cut-off delivery of the same `uid` created
   * (`resuming`), and returns its handle.
   */
  startRun(run: RunRecord, resuming: boolean): Promise<RemoteRun>;
  /** The stage's declared params, flattened (`run.params`). */
  logParams(remote: RemoteRun, run: RunRecord): Promise<void>;
  /** Final values (`run.summary`) and step series (`run.series`). */
  logMetrics(remote: RemoteRun, run: RunRecord): Promise<void>;
  /** Lineage (`run.tags`): git commit, branch, dirty flag, stage, mlp version, hashes. */
  setTags(remote: RemoteRun, run: RunRecord): Promise<void>;
  /**
   * The outputs (`run.artifacts`): always a reference (path and the sha256 of its bytes in mlp's
   * cache); the bytes too for those marked `upload`, read with `content` (undefined: the object
   * is gone from the cache, and the reference is all that is sent). Uploads go to fixed paths
   * and overwrite, so sending them again after a cut-off delivery duplicates nothing.
   */
  logArtifacts(remote: RemoteRun, run: RunRecord, content: ArtifactContent | undefined): Promise<void>;
  /**
   * Live points while the stage runs (after `startRun`); `offset` is how many were streamed
   * before. `logMetrics` sends every point again at the end, so a backend must take a point it
   * already has as the same point (MLflow keeps one row per key, step, timestamp and value; W&B
   * overwrites history lines by offset).
   */
  streamMetrics(remote: RemoteRun, run: RunRecord, points: MetricPoint[], offset: number): Promise<void>;
  /** Ends the run with `run.status` (FINISHED, FAILED or KILLED) at `run.endTime`. */
  endRun(remote: RemoteRun, run: RunRecord): Promise<void>;
}

export type TrackingErrorKind = 'unreachable' | 'timeout' | 'server' | 'rejected' | 'auth' | 'config';

export class TrackingError extends Error {
  constructor(
    message: string,
    readonly kind: TrackingErrorKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TrackingError';
  }

  /** Worth trying again later as it is (the request itself was fine). */
  get retryable(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout' || this.kind === 'server';
  }
}
