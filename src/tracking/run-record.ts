/**
 * A tracked run as mlp keeps it until a tracking server has it: everything one stage run logs
 * (params, final metrics, step series, lineage tags, artifact references, status), where it goes
 * (backend, server, experiment — never a credential) and how far its delivery got. It is the
 * unit of the outbox (`.mlp/tracking/outbox/`), so it must be complete on its own: `mlp track
 * sync` delivers it days later, from another shell, with nothing else to go on.
 */
import type { TrackingBackendName } from '../schema/config.js';

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface ArtifactRef {
  /** Repository-relative path of the output. */
  path: string;
  sha256: string;
  size?: number;
  /**
   * Upload the bytes too (`tracking.artifacts`: the output is within the size limit and in the
   * cache). They are read from mlp's cache by hash at delivery, so a run sent days later sends
   * the bytes its stage wrote, whatever the workspace holds by then.
   */
  upload?: boolean;
  /** A directory's files (from its manifest), relative to `path`. */
  files?: ArtifactFile[];
}

export interface ArtifactFile {
  path: string;
  sha256: string;
  size: number;
}

/** Where a run goes. Credentials are looked up at delivery (environment, config.local.yaml). */
export interface RunDestination {
  backend: Exclude<TrackingBackendName, 'none'>;
  /** MLflow tracking URI or W&B base URL, without user:password. */
  uri: string;
  /** MLflow experiment name; W&B project. */
  experiment: string;
  /** W&B entity; undefined: the API key's default entity. */
  entity?: string;
}

/** The server's handle of a run once created: the MLflow run id, or W&B entity/project/name. */
export interface RemoteRun {
  id: string;
  experimentId?: string;
  entity?: string;
}

export type DeliveryStep = 'start' | 'params' | 'metrics' | 'tags' | 'artifacts' | 'end';
export const DELIVERY_STEPS: readonly DeliveryStep[] = ['start', 'params', 'metrics', 'tags', 'artifacts', 'end'];

export interface RunRecord {
  /** Format version of this file. */
  version: 1;
  /** mlp's own id of the run (a UUID): the key that makes delivery idempotent. */
  uid: string;
  /** The process that runs the stage, while status is RUNNING (a dead one means mlp was killed). */
  pid: number;
  host: string;
  stage: string;
  runName: string;
  destination: RunDestination;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  params: Record<string, string>;
  /** Final values: the stage's metrics files, flattened to dotted keys. */
  summary: Record<string, number>;
  /** Step series: the stage's plots files and what it logged live (live.ts). */
  series: MetricPoint[];
  tags: Record<string, string>;
  artifacts: ArtifactRef[];
  delivery: {
    /** Steps the server has acknowledged, in order. */
    done: DeliveryStep[];
    remote?: RemoteRun;
    attempts: number;
    lastError?: string;
  };
}
