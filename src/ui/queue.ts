/** Renders `mlp queue status`: one line per entry, and the last log lines of each failed one. */
import type { CleanResult } from '../exp/clean.js';
import type { QueueItem, WorkerRecord } from '../exp/queue.js';
import { plural } from './plural.js';
import { formatCreated } from './exp.js';
import { renderTable } from './table.js';

/** How many log lines `queue status` shows of a failed or killed job. */
export const FAILED_TAIL_LINES = 5;

function describeStatus(item: QueueItem): string {
  const code = item.state?.exitCode;
  switch (item.status) {
    case 'failed':
      return code === undefined || code === null ? 'failed' : `failed (exit ${code})`;
    case 'killed':
      // A "running" record whose process is gone: say so, it is not a status anyone wrote.
      return item.state?.status === 'running' ? 'killed (its process died)' : 'killed';
    default:
      return item.status;
  }
}

export function queueStatusJson(items: readonly QueueItem[], worker: WorkerRecord | undefined, tail: (item: QueueItem) => string[]): unknown {
  return {
    worker: worker ? { pid: worker.pid, jobs: worker.jobs, started: worker.started } : null,
    experiments: items.map((i) => ({
      name: i.name,
      status: i.status,
      params: i.params,
      targets: i.targets,
      baseline: i.baseline,
      queued: i.queued,
      started: i.state?.started ?? null,
      finished: i.state?.finished ?? null,
      exitCode: i.state?.exitCode ?? null,
      experiment: i.state?.experiment ?? null,
      message: i.state?.message ?? null,
      log: i.logFile,
      ...(i.status === 'failed' || i.status === 'killed' ? { logTail: tail(i) } : {}),
    })),
  };
}

export function renderQueueStatus(items: readonly QueueItem[], worker: WorkerRecord | undefined, tail: (item: QueueItem) => string[], now = new Date()): string {
  const workerLine = worker ? `Worker: running (pid ${worker.pid}, ${worker.jobs} at a time).\n` : 'Worker: not running (start one with `mlp queue start`).\n';
  if (items.length === 0) return `No queued experiments.\n${workerLine}`;
  const table = renderTable(
    {
      headers: ['Experiment', 'Status', 'Queued', 'Params', 'Result'],
      rows: items.map((i) => [
        i.name,
        describeStatus(i),
        formatCreated(new Date(i.queued), now),
        i.params.join(' ') || '-',
        i.state?.experiment ? i.state.experiment.commit.slice(0, 7) : '',
      ]),
    },
    'text',
  );
  let out = table;
  for (const i of items) {
    if (i.status !== 'failed' && i.status !== 'killed') continue;
    const lines = tail(i);
    out += `\n${i.name} ${describeStatus(i)}${i.state?.message ? `: ${i.state.message}` : ''}; last lines of its log (\`mlp queue logs ${i.name}\`):\n`;
    out += lines.length ? lines.map((l) => `  ${l}\n`).join('') : '  (the log is empty)\n';
  }
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
  out += `\n${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}. ${workerLine}`;
  return out;
}

/** `mlp exp clean`: one line per kind of leftover removed (or that would be, with --dry-run). */
export function renderClean(r: CleanResult, dryRun: boolean): string {
  const verb = dryRun ? 'Would remove' : 'Removed';
  const names = (list: readonly string[]): string => {
    const known = list.filter((n) => n !== '?');
    return known.length > 0 ? ` (${known.join(', ')})` : '';
  };
  const lines: string[] = [];
  if (r.worktrees.length > 0) lines.push(`${verb} ${plural(r.worktrees.length, 'leftover job worktree')}${names(r.worktrees)}.`);
  if (r.entries.length > 0) lines.push(`${verb} ${plural(r.entries.length, 'unfinished queue entry', 'unfinished queue entries')}${names(r.entries)}.`);
  if (r.refs.length > 0) lines.push(`${verb} ${plural(r.refs.length, 'queue ref')} of no entry${names(r.refs.map((n) => `refs/mlp/queue/${n}`))}.`);
  if (r.worker) lines.push(`${verb} the record of a queue worker that is gone.`);
  if (r.tempFiles > 0) lines.push(`${verb} ${plural(r.tempFiles, 'temp file')} of killed runs.`);
  if (lines.length === 0) lines.push('Nothing to clean: no leftovers of killed jobs, workers or runs.');
  return `${lines.join('\n')}\n`;
}
