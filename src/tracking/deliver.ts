/**
 * Sends one run to its tracking server, step by step (start, params, metrics, tags, artifacts,
 * end), recording in the outbox after each step that the server has it. A delivery cut off
 * anywhere resumes at the first step not recorded; the one step that is not idempotent by itself
 * — creating the run — is made so by the backend (`startRun(…, resuming)` finds the run by mlp's
 * uid). Once the server has every step, the run leaves the outbox.
 */
import type { ObjectStore } from '../cache/object-store.js';
import { isSha256 } from '../schema/sha256.js';
import { DELIVERY_STEPS, type DeliveryStep, type RunRecord } from './run-record.js';
import type { Outbox } from './outbox.js';
import type { ArtifactContent, Tracker } from './tracker.js';

/** `content` reads outputs to upload from mlp's cache (`tracking.artifacts`); without it only references are sent. */
export async function deliver(record: RunRecord, tracker: Tracker, outbox: Outbox, content?: ArtifactContent): Promise<void> {
  const { delivery } = record;
  const resuming = delivery.attempts > 0;
  delivery.attempts++;
  try {
    let remote = delivery.remote;
    if (!remote || !delivery.done.includes('start')) {
      // Recorded before the run is created: if mlp is killed after the server created it and
      // before its answer came back, the next delivery looks the run up instead of creating another.
      if (!resuming) outbox.write(record);
      remote = await tracker.startRun(record, resuming);
      delivery.remote = remote;
      markDone(record, 'start');
      outbox.write(record); // before anything else: a retry must not create a second run
    }
    for (const step of DELIVERY_STEPS) {
      if (step === 'start' || delivery.done.includes(step)) continue;
      if (step === 'end' && record.status === 'RUNNING') break; // the stage still runs
      await send(tracker, step, remote, record, content);
      markDone(record, step);
    }
    delivery.lastError = undefined;
  } catch (error) {
    delivery.lastError = error instanceof Error ? error.message : String(error);
    outbox.write(record);
    throw error;
  }
  if (delivery.done.includes('end')) outbox.remove(record);
  else outbox.write(record);
}

function markDone(record: RunRecord, step: DeliveryStep): void {
  if (!record.delivery.done.includes(step)) record.delivery.done.push(step);
}

function send(tracker: Tracker, step: Exclude<DeliveryStep, 'start'>, remote: NonNullable<RunRecord['delivery']['remote']>, record: RunRecord, content: ArtifactContent | undefined): Promise<void> {
  switch (step) {
    case 'params':
      return tracker.logParams(remote, record);
    case 'metrics':
      return tracker.logMetrics(remote, record);
    case 'tags':
      return tracker.setTags(remote, record);
    case 'artifacts':
      return tracker.logArtifacts(remote, record, content);
    case 'end':
      return tracker.endRun(remote, record);
  }
}

/** Outputs to upload, read from mlp's object store and verified against their hash on the way. */
export function cacheContent(objects: ObjectStore): ArtifactContent {
  return async (sha256, size) => {
    if (!isSha256(sha256)) return undefined;
    const data = await objects.readVerified(sha256, size);
    return typeof data === 'string' ? undefined : data;
  };
}
