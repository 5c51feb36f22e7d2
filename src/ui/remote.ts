/**
 * How remote commands look: the remote list, `status -c`, the push/pull/fetch summary with its
 * errors and hint, `remote verify`, and the progress line of a transfer (fed to the one progress
 * display, ./progress.ts). Pure: every function returns lines; the command prints them.
 */
import type { TransferProgress } from '../objects/transfer.js';
import type { RemoteObjectProblem, VerifySummary } from '../remote/verify.js';
import type { ObjectFailure, RemoteStatusItem, TransferSummary } from '../remote/transfer.js';
import { isSameOrInside } from '../util/fs.js';
import { startProgress, type ProgressUpdate } from './progress.js';
import { formatBytes, formatRate } from './render.js';
import { plural } from './plural.js';

/** Lines for stdout and for stderr. */
export interface Rendered {
  out: string[];
  err: string[];
}

export interface RemoteRow {
  name: string;
  url: string;
  default: boolean;
}

export function renderRemoteList(rows: readonly RemoteRow[]): string[] {
  if (rows.length === 0) return ['No remotes. Add one with `mlp remote add -d <name> <url>`.'];
  const width = Math.max(...rows.map((r) => r.name.length));
  return rows.map((r) => `${r.name.padEnd(width)}  ${r.url}${r.default ? '  (default)' : ''}`);
}

const objects = (n: number): string => plural(n, 'object');

function describeStatus(i: RemoteStatusItem): string {
  switch (i.state) {
    case 'in-sync':
      return 'in sync';
    case 'not-pushed':
      return `new here, not pushed (${objects(i.localOnly)})`;
    case 'not-fetched':
      return `on the remote only (${objects(i.remoteOnly)}): run \`mlp pull\``;
    case 'missing-everywhere':
      return `missing here and on the remote (${objects(i.missing)})`;
    case 'partly':
      return `partly: ${i.localOnly} to push, ${i.remoteOnly} to pull, ${i.missing} missing everywhere`;
  }
}

/** `mlp status -c`: one line per recorded path, then the counts. */
export function renderRemoteStatus(name: string, url: string, items: readonly RemoteStatusItem[]): string[] {
  const lines = [`Remote '${name}' (${url}):`];
  if (items.length === 0) lines.push('  nothing recorded yet');
  const width = Math.max(0, ...items.map((i) => i.path.length));
  for (const i of items) lines.push(`  ${i.path.padEnd(width)}  ${describeStatus(i)}`);
  const count = (s: RemoteStatusItem['state']): number => items.filter((i) => i.state === s).length;
  const partly = (f: (i: RemoteStatusItem) => boolean): number => items.filter((i) => i.state === 'partly' && f(i)).length;
  lines.push(
    `${count('in-sync')} in sync, ${count('not-pushed') + partly((i) => i.localOnly > 0)} to push, ${count('not-fetched') + partly((i) => i.remoteOnly > 0)} to pull, ${count('missing-everywhere')} missing everywhere.`,
  );
  return lines;
}

export interface CheckoutCounts {
  restored: number;
  unchanged: number;
  unavailable: number;
  kept: number;
  problems: { path: string; message: string }[];
}

/** Errors listed before "… and N more". */
const SHOWN = 20;

/** The summary of push/pull/fetch; with failures, the errors (each path once) and one hint. */
export function renderTransfer(command: 'push' | 'pull' | 'fetch', remoteName: string, summary: TransferSummary, checkout: CheckoutCounts | undefined): Rendered {
  const out: string[] = [];
  const verb = command === 'push' ? 'Pushed' : 'Fetched';
  const where = command === 'push' ? `to '${remoteName}'` : `from '${remoteName}'`;
  const already = command === 'push' ? 'already on the remote' : 'already in the cache';
  const rate = summary.seconds > 0 && summary.bytes > 0 ? `, ${formatRate(summary.bytes / summary.seconds)}` : '';
  out.push(`${verb} ${objects(summary.transferred)} (${formatBytes(summary.bytes)}) ${where} in ${summary.seconds.toFixed(1)} s${rate}; ${summary.upToDate} ${already}.`);
  if (summary.runCacheEntries > 0) out.push(`${command === 'push' ? 'Sent' : 'Received'} ${plural(summary.runCacheEntries, 'run-cache entry', 'run-cache entries')}.`);
  if (checkout) {
    out.push(`Checkout: ${checkout.restored} restored, ${checkout.unchanged} unchanged, ${checkout.unavailable} not available${checkout.kept ? `, ${checkout.kept} kept (unsaved changes)` : ''}.`);
  }
  return { out, err: renderTransferErrors(summary.failures, checkout) };
}

function renderTransferErrors(failures: readonly ObjectFailure[], checkout: CheckoutCounts | undefined): string[] {
  if (failures.length === 0 && (checkout?.unavailable ?? 0) === 0) return [];
  // A path that could not be fetched cannot be checked out either: say it once.
  const unfetched = failures.map((f) => f.path);
  const checkoutOnly = (checkout?.problems ?? []).filter((p) => !unfetched.some((f) => isSameOrInside(f, p.path) || isSameOrInside(p.path, f)));
  const messages = [...failures.map((f) => f.message), ...checkoutOnly.map((p) => p.message)];
  const err = messages.slice(0, SHOWN).map((m) => `error: ${m}`);
  if (messages.length > SHOWN) err.push(`error: … and ${messages.length - SHOWN} more`);
  const reasons = new Set(failures.map((f) => f.reason));
  if (reasons.has('corrupted-local')) {
    err.push(
      'hint: nothing damaged was sent; if the workspace still holds the right data, `mlp commit` (stage outputs and tracked data) or `mlp add <path>` stores it again; otherwise `mlp repro -f` the stage or pull a good copy from another remote; then push again',
    );
  } else if (reasons.has('corrupted-remote')) {
    err.push('hint: nothing corrupted entered the local cache; `mlp remote verify --repair` on a machine whose cache has good copies fixes the remote');
  } else if (reasons.has('missing-remote')) {
    err.push('hint: push the data from the machine that produced it (`mlp push`), or rebuild it with `mlp repro`');
  } else if (reasons.has('missing-local')) {
    err.push('hint: the cache lacks that data: `mlp pull` it from another remote or rebuild it with `mlp repro`, then push again');
  } else if ((checkout?.unavailable ?? 0) > 0) {
    err.push('hint: rerun `mlp pull` (a damaged cache object was removed and is fetched again), or rebuild the data with `mlp repro`');
  }
  return err;
}

const REPAIRS: Record<NonNullable<RemoteObjectProblem['repair']>, string> = {
  uploaded: 'repaired: uploaded the good local copy',
  deleted: 'deleted it from the remote: no good copy here',
  'not-repaired': 'not repaired: no good copy here',
};

/** `mlp remote verify`: one line per problem, the counts, and what to do next. */
export function renderVerify(remoteName: string, summary: VerifySummary, repair: boolean): Rendered {
  const out: string[] = [];
  const width = Math.max(0, ...summary.problems.map((p) => p.path.length));
  for (const p of summary.problems) {
    const what = `${p.state === 'corrupted' ? 'corrupted' : 'missing'} on the remote (${p.hash.slice(0, 12)})`;
    out.push(`${p.path.padEnd(width)}  ${what}${p.repair ? `; ${REPAIRS[p.repair]}` : ''}`);
  }
  if (summary.problems.length === 0) out.push(`Verified ${summary.checked} objects on '${remoteName}': all good.`);
  else {
    const repaired = repair ? `; ${summary.repaired} repaired, ${summary.deleted} deleted` : '';
    out.push(`Verified ${summary.checked} objects on '${remoteName}': ${summary.corrupted} corrupted, ${summary.missing} missing${repaired}.`);
  }
  const err: string[] = [];
  if (summary.problems.some((p) => p.repair !== 'uploaded')) {
    err.push(
      repair
        ? 'hint: push the data from a machine that has it (`mlp push`; `mlp commit` or `mlp add` first if its workspace holds it), or rebuild it with `mlp repro`'
        : 'hint: run `mlp remote verify --repair` to upload good local copies over them (damaged objects with no good copy here are deleted)',
    );
  }
  return { out, err };
}

/** Where a transfer is, for the progress display: bytes with a bar, and the object count. */
export function transferProgressUpdate(command: string, progress: TransferProgress): ProgressUpdate {
  if (progress.phase === 'collecting' || progress.phase === 'checking') return { label: `${command}: checking what the other side has`, done: 0, unit: 'objects' };
  if (progress.phase === 'checkout') return { label: `${command}: checking out`, done: progress.files, unit: 'objects' };
  return {
    label: command,
    done: progress.bytes,
    total: progress.totalBytes > 0 ? progress.totalBytes : undefined,
    unit: 'bytes',
    items: { done: progress.files, total: progress.totalFiles, unit: 'objects' },
  };
}

/**
 * Shows a running transfer through the one progress display: a bar on a terminal, a plain line
 * every few seconds otherwise, nothing when `quiet` (--json). The core updates `counter`; this
 * samples it. Returns the function that removes the display.
 */
export async function showTransferProgress(command: string, counter: TransferProgress, quiet: boolean): Promise<() => void> {
  const display = await startProgress({ mode: quiet ? 'off' : 'auto', intervalMs: 5000 });
  if (quiet) return () => {};
  const timer = setInterval(() => display.update(transferProgressUpdate(command, counter)), 100);
  // Not what keeps the process alive: a transfer that is never answered must still be noticed.
  timer.unref();
  return () => {
    clearInterval(timer);
    display.done();
  };
}
