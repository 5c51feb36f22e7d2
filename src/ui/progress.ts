/**
 * The one progress display of mlp, for every long-running command: training, downloads, and byte
 * transfers (push/pull/fetch/add). Callers describe where they are (`ProgressUpdate`); this module
 * alone decides what that looks like.
 *
 * - On a terminal: one status line redrawn in place — a bar and percentage when the total is
 *   known, the counts, the rate and the ETA. ora draws it (cursor, line clearing, wrapping, and
 *   lines printed meanwhile by anyone land above it).
 * - Otherwise (CI logs, pipes, files): the same line as plain text, at most every `intervalMs`,
 *   so a log shows the run is alive without a line per batch.
 *
 * Redraws happen inside `update()` (throttled), not on a timer: the trainers compute on the main
 * thread, and a timer-driven display would freeze exactly while they work.
 */
import { useColour } from './colour.js';
import { singularUnit } from './plural.js';
import { formatBytes, formatDuration, formatRate } from './render.js';

export interface ProgressUpdate {
  /** What is being done: `epoch 2/4`, `vectorizing`, `push`. A new label restarts the rate. */
  label: string;
  /** Work done so far, in `unit`s. */
  done: number;
  /** Total work in `unit`s; undefined when unknown (no bar, percentage or ETA). */
  total?: number | undefined;
  /** `bytes` (shown as KiB/MiB/…, rate in B/s) or the noun of a count (`img`, `documents`). */
  unit: string;
  /** A second count shown next to the first, e.g. the files of a byte transfer. */
  items?: { done: number; total: number; unit: string } | undefined;
  /** Figures that follow the counts, e.g. `loss 1.234 acc 0.512`. */
  detail?: string | undefined;
  /** False: no rate or ETA (units of very unequal work, such as pipeline stages). */
  rate?: boolean | undefined;
}

export interface Progress {
  /** Shows where the work is now (throttled: call it as often as convenient). */
  update(update: ProgressUpdate): void;
  /** Prints a line that stays (an epoch's result), above the status line on a terminal. */
  log(line: string): void;
  /**
   * Takes the status line away until the next `update()`: while a child process writes to the
   * terminal itself (a stage command with inherited stdio), a line redrawn in place would mix
   * with its output. Nothing to do for plain lines.
   */
  pause(): void;
  /** Removes the status line; call it before printing the result, also after a failure. */
  done(): void;
}

/** Where progress goes: process.stderr, or anything with the same few members (tests). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** `auto`: a status line on an interactive terminal, plain lines otherwise; `off`: nothing. */
  mode?: 'auto' | 'terminal' | 'lines' | 'off';
  /**
   * With `auto`: false shows nothing when not on a terminal, for commands whose own lines
   * already show a log that they are alive (`mlp repro`). Default true.
   */
  lines?: boolean;
  /** Least time between two plain lines (default 10 s). */
  intervalMs?: number;
  /** Least time between two redraws of the status line (default 100 ms). */
  redrawMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Starts a progress display (the terminal one loads ora, hence async). */
export async function startProgress(options: ProgressOptions = {}): Promise<Progress> {
  const stream = options.stream ?? process.stderr;
  const plain = options.lines === false ? 'off' : 'lines';
  const mode = options.mode === undefined || options.mode === 'auto' ? (isInteractive(stream) ? 'terminal' : plain) : options.mode;
  const now = options.now ?? Date.now;
  if (mode === 'off') return { update() {}, log() {}, pause() {}, done() {} };
  const rate = new RateMeter(now);
  if (mode === 'lines') {
    const interval = options.intervalMs ?? 10_000;
    let last = now();
    return {
      update(update) {
        rate.observe(update);
        if (now() - last < interval) return;
        last = now();
        stream.write(`${formatProgress(update, { rate: rate.perSecond() })}\n`);
      },
      log(line) {
        stream.write(`${line}\n`);
      },
      pause() {},
      done() {},
    };
  }
  const { default: ora } = await import('ora');
  // discardStdin false: the display must not take over stdin (that can keep the process alive).
  const spinner = ora({ stream: stream as NodeJS.WritableStream, discardStdin: false, isEnabled: true, ...(useColour(stream) ? {} : { color: false }) }).start();
  const redraw = options.redrawMs ?? 100;
  let last = -Infinity;
  let paused = false;
  // The newest update that came within `redraw` of the last drawing: drawn a little later, so a
  // burst of updates (two stages starting at once) does not leave the line showing an old state.
  let pending: ProgressUpdate | undefined;
  let trailing: NodeJS.Timeout | undefined;
  const draw = (update: ProgressUpdate): void => {
    pending = undefined;
    last = now();
    if (paused) {
      paused = false;
      spinner.start();
    }
    // Room for ora's spinner symbol; a wrapped status line could not be redrawn in place.
    const width = Math.max(20, (stream.columns ?? 80) - 3);
    spinner.text = formatProgress(update, { rate: rate.perSecond(), bar: 20 }).slice(0, width);
    spinner.render();
  };
  const cancelTrailing = (): void => {
    if (trailing !== undefined) clearTimeout(trailing);
    trailing = undefined;
    pending = undefined;
  };
  return {
    update(update) {
      rate.observe(update);
      if (paused || now() - last >= redraw) {
        cancelTrailing();
        draw(update);
        return;
      }
      pending = update;
      trailing ??= setTimeout(() => {
        trailing = undefined;
        if (pending) draw(pending);
      }, redraw);
      // A display never keeps the process alive.
      trailing.unref();
    },
    log(line) {
      // ora takes the status line away, prints the line, and draws the status line again below.
      stream.write(`${line}\n`);
    },
    pause() {
      cancelTrailing();
      if (paused) return;
      paused = true;
      spinner.stop();
    },
    done() {
      cancelTrailing();
      spinner.stop();
    },
  };
}

/**
 * A status line: `epoch 2/4  [████░░░░] 45%  23040/51200 img  224 img/s  ETA 1m52s  loss 1.566`
 * (the bar only when `bar` gives its width). `rate` is per second, in `unit`s.
 */
export function formatProgress(update: ProgressUpdate, options: { rate?: number | undefined; bar?: number } = {}): string {
  const parts = [update.label];
  const { total } = update;
  const bytes = update.unit === 'bytes';
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, Math.max(0, update.done / total));
    const percent = `${Math.floor(100 * fraction)}%`;
    if (options.bar !== undefined) {
      const filled = Math.round(fraction * options.bar);
      parts.push(`${'█'.repeat(filled)}${'░'.repeat(options.bar - filled)} ${percent}`);
    } else {
      parts.push(percent);
    }
    parts.push(bytes ? `${formatBytes(update.done)}/${formatBytes(total)}` : `${update.done}/${total} ${update.unit}`);
  } else {
    parts.push(bytes ? formatBytes(update.done) : `${update.done} ${update.done === 1 ? singularUnit(update.unit) : update.unit}`);
  }
  if (update.items) parts.push(`${update.items.done}/${update.items.total} ${update.items.unit}`);
  const { rate } = options;
  if (update.rate !== false && rate !== undefined && rate > 0) {
    parts.push(bytes ? formatRate(rate) : `${Math.round(rate)} ${update.unit}/s`);
    if (total !== undefined && total > update.done) parts.push(`ETA ${formatDuration((total - update.done) / rate)}`);
  }
  if (update.detail) parts.push(update.detail);
  return parts.join('  ');
}

/**
 * Progress of hashing and storing files (`mlp add`), fed file by file: the counts grow as paths
 * are walked. `stop()` removes the display.
 */
export async function startStoreProgress(
  label: string,
  options: ProgressOptions = {},
): Promise<{ found(files: number, bytes: number): void; stored(bytes: number): void; reading(bytes: number): void; stop(): void }> {
  const display = await startProgress(options);
  // `reading`: the bytes read of the file in hand, so that one large file advances the bar too.
  const counts = { files: 0, totalFiles: 0, bytes: 0, totalBytes: 0, reading: 0 };
  const show = (): void =>
    display.update({
      label,
      done: counts.bytes + counts.reading,
      total: counts.totalBytes,
      unit: 'bytes',
      items: { done: counts.files, total: counts.totalFiles, unit: 'files' },
    });
  return {
    found(files, bytes) {
      counts.totalFiles += files;
      counts.totalBytes += bytes;
      show();
    },
    stored(bytes) {
      counts.files++;
      counts.bytes += bytes;
      counts.reading = 0;
      show();
    },
    reading(bytes) {
      counts.reading = bytes;
      show();
    },
    stop: () => display.done(),
  };
}

/** Where `mlp checkout` is: bytes of the recorded paths done, and the paths. */
export function checkoutProgressUpdate(progress: { paths: number; totalPaths: number; bytes: number; totalBytes: number }): ProgressUpdate {
  return {
    label: 'checkout',
    done: progress.bytes,
    total: progress.totalBytes,
    unit: 'bytes',
    items: { done: progress.paths, total: progress.totalPaths, unit: progress.totalPaths === 1 ? 'path' : 'paths' },
  };
}

/**
 * Where `mlp repro` is: stages settled of those selected, and the ones running now. No rate or
 * ETA: one stage may take a second and the next an hour.
 */
export function reproProgressUpdate(settled: number, total: number, running: readonly string[]): ProgressUpdate {
  return {
    label: 'repro',
    done: settled,
    total,
    unit: 'stages',
    rate: false,
    ...(running.length > 0 ? { detail: `running ${running.join(', ')}` } : {}),
  };
}

/** Units per second since the current label started (an epoch, a phase of a transfer). */
class RateMeter {
  private label: string | undefined;
  private startTime = 0;
  private startDone = 0;
  private time = 0;
  private done = 0;

  constructor(private readonly now: () => number) {}

  observe(update: ProgressUpdate): void {
    const time = this.now();
    if (update.label !== this.label || update.done < this.startDone) {
      this.label = update.label;
      this.startTime = time;
      this.startDone = update.done;
    }
    this.time = time;
    this.done = update.done;
  }

  perSecond(): number | undefined {
    const seconds = (this.time - this.startTime) / 1000;
    return seconds > 0 ? (this.done - this.startDone) / seconds : undefined;
  }
}

/** A terminal that can redraw a line: a TTY that reports its width, not `dumb`, not CI. */
function isInteractive(stream: ProgressStream): boolean {
  // Some pseudo-terminals report no width; ora's line accounting needs it.
  if (stream.isTTY !== true || (stream.columns ?? 0) <= 0) return false;
  return process.env.TERM !== 'dumb' && !('CI' in process.env);
}
