/**
 * What `mlp deploy` (on the workstation or CI runner) and `mlp deploy-host` (the same mlp, on
 * the target host, run over SSH) say to each other: a request as JSON on the host command's
 * stdin, a reply as one JSON line on its stdout. Both sides are mlp, but not always the same
 * release: the protocol number is checked first, so a mismatch is a clear error, not a garbled one.
 */
import type { ManifestEntry } from '../hash/hash-path.js';

export const DEPLOY_PROTOCOL = 1;

/** Where the content-addressed files live under the deploy directory (an mlp remote's layout). */
export const OBJECTS_DIR = 'files/sha256';

export interface ServeSettings {
  http_host: string;
  http_port: number;
  workers: number;
}

export interface ActivateRequest extends ServeSettings {
  protocol: number;
  /** The model directory's hash (as pipeline.lock records it) and its manifest. */
  sha256: string;
  manifest: ManifestEntry[];
  keep: number;
  health_timeout: number;
  /** Where the model came from (stage, commit), when known. */
  source?: Record<string, string>;
}

export interface RollbackRequest {
  protocol: number;
  health_timeout: number;
}

export interface VersionInfo {
  id: string;
  sha256: string;
  deployed_at: string;
  status: 'pending' | 'ok' | 'failed';
  files: number;
  bytes: number;
  source?: Record<string, string>;
}

/** What a deploy or rollback did. */
export interface ActivateResult {
  /** deployed: the new version is live; unchanged: it already was; rolled-back: it failed and the previous one is live again; failed: it failed with nothing to go back to. */
  outcome: 'deployed' | 'unchanged' | 'rolled-back' | 'failed';
  version: VersionInfo;
  /** The version live before (deploy), or the one gone back to (rollback). */
  previous?: VersionInfo;
  /** Why the new version failed; the tail of its log. */
  reason?: string;
  log?: string;
  /** Whether the previous version answers again after a failure. */
  restored?: boolean;
  url: string;
  pid?: number;
  waited_ms: number;
  pruned: string[];
}

export interface HostStatus {
  root: string;
  current?: string;
  versions: (VersionInfo & { live: boolean })[];
  supervisor?: { pid: number; running: boolean; serve_pid?: number; restarts: number; last_exit?: string; version?: string; started_at: string };
  url: string;
  health?: { live: boolean; ready: boolean; sha256?: string; error?: string };
}

export type HostReply<T> = { protocol: number; ok: true; result: T } | { protocol: number; ok: false; error: { message: string; hint?: string; exit_code: number } };
