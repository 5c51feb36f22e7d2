/**
 * `mlp track sync` and `mlp track status`: the runs waiting in the outbox, and delivering them —
 * once each, oldest first. A RUNNING run whose process is gone (mlp was killed while the stage
 * ran) is ended as KILLED; one whose process still runs is left to it.
 */
import type { Repo } from '../repo/repo.js';
import { cacheContent, deliver } from './deliver.js';
import { Outbox, endCutOffRun, isStageRunning } from './outbox.js';
import type { RunRecord } from './run-record.js';
import { openTracker, trackingSettings } from './settings.js';
import { TrackingError, type Tracker } from './tracker.js';

export interface PendingRun {
  record: RunRecord;
  /** Its stage is still running in a live mlp. */
  active: boolean;
}

export function pendingRuns(repo: Repo): PendingRun[] {
  return Outbox.of(repo.mlpDir)
    .list()
    .map((record) => ({ record, active: isStageRunning(record) }));
}

export interface SyncResult {
  delivered: RunRecord[];
  failed: Array<{ record: RunRecord; error: string }>;
  /** Stages still running, or runs another mlp is sending. */
  skipped: RunRecord[];
}

export async function syncOutbox(repo: Repo, env: NodeJS.ProcessEnv = process.env): Promise<SyncResult> {
  const outbox = Outbox.of(repo.mlpDir);
  const settings = trackingSettings(repo.root, repo.config, env, 'none');
  const trackers = new Map<string, Tracker>();
  /** Destinations that failed this time: their later runs wait, so that order is kept. */
  const down = new Map<string, string>();
  const result: SyncResult = { delivered: [], failed: [], skipped: [] };
  for (const { record, active } of pendingRuns(repo)) {
    if (active) {
      result.skipped.push(record);
      continue;
    }
    if (record.status === 'RUNNING') endCutOffRun(record, repo.tmpDir, outbox); // its mlp was killed
    const key = `${record.destination.backend} ${record.destination.uri}`;
    const blocked = down.get(key);
    if (blocked) {
      result.failed.push({ record, error: blocked });
      continue;
    }
    if (!outbox.claim(record)) {
      result.skipped.push(record);
      continue;
    }
    try {
      let tracker = trackers.get(key);
      if (!tracker) {
        tracker = await openTracker(record.destination, repo.config, env, settings.timeoutMs);
        trackers.set(key, tracker);
      }
      await deliver(record, tracker, outbox, cacheContent(repo.objects));
      result.delivered.push(record);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof TrackingError) || error.retryable || error.kind === 'auth' || error.kind === 'config') down.set(key, message);
      result.failed.push({ record, error: message });
    } finally {
      outbox.release(record);
    }
  }
  return result;
}
