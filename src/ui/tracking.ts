/** Presentation of tracking: the outbox listing, sync results, the line after a tracked repro. */
import type { PendingRun, SyncResult } from '../tracking/sync.js';
import type { TrackingReport } from '../tracking/session.js';
import type { RunDestination } from '../tracking/run-record.js';
import { plural } from './plural.js';

const BACKEND_NAMES: Record<RunDestination['backend'], string> = { mlflow: 'MLflow', wandb: 'W&B' };

export function describeDestination(d: RunDestination): string {
  const where = d.backend === 'wandb' ? `project '${d.entity ? `${d.entity}/` : ''}${d.experiment}'` : `experiment '${d.experiment}'`;
  return `${BACKEND_NAMES[d.backend]} at ${d.uri}, ${where}`;
}

export function renderPendingRuns(pending: readonly PendingRun[]): string[] {
  if (pending.length === 0) return ['No tracked runs waiting: every run has been sent.'];
  const lines = [`${plural(pending.length, 'run')} waiting in .mlp/tracking/outbox/ (oldest first):`];
  for (const { record, active } of pending) {
    const state = active ? 'running now' : record.status === 'RUNNING' ? 'cut off (will be sent as KILLED)' : record.status;
    const tries = record.delivery.attempts > 0 ? `, ${plural(record.delivery.attempts, 'attempt')}` : '';
    lines.push(`  ${new Date(record.startTime).toISOString()}  ${record.stage}  ${state}  → ${describeDestination(record.destination)}${tries}`);
    if (record.delivery.lastError) lines.push(`      last error: ${record.delivery.lastError}`);
  }
  lines.push(`Send ${pending.length === 1 ? 'it' : 'them'} with \`mlp track sync\`.`);
  return lines;
}

export function renderSync(result: SyncResult): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  for (const r of result.delivered) out.push(`sent ${r.stage} (${r.status}) → ${describeDestination(r.destination)}`);
  for (const { record, error } of result.failed) err.push(`error: ${record.stage}: not sent: ${error}`);
  const parts = [`${plural(result.delivered.length, 'run')} sent`];
  if (result.failed.length > 0) parts.push(`${result.failed.length} still waiting`);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} left to the mlp that runs ${result.skipped.length === 1 ? 'it' : 'them'}`);
  out.push(`${parts.join(', ')}.`);
  if (result.failed.length > 0) err.push('hint: the runs stay in .mlp/tracking/outbox/; fix the server or credentials, then run `mlp track sync` again');
  return { out, err };
}

/** The line after a tracked repro; warnings go to stderr. */
export function renderTrackingReport(report: TrackingReport, destination: RunDestination): { out: string[]; err: string[] } {
  const out = report.delivered > 0 ? [`Tracked ${plural(report.delivered, 'run')} on ${describeDestination(destination)}.`] : [];
  return { out, err: report.warnings.map((w) => `warning: ${w}`) };
}
