/**
 * Live curves: a stage's command logs metrics while it trains (per epoch, per solver iteration),
 * and mlp makes them the run's step series. mlp hands the stage a file to append to in
 * `MLP_TRACKING_LIVE` — one JSON line per step, `{"step": 3, "metrics": {"loss": 0.41},
 * "timestamp": 1712345678901}` — so any language can write it (DVCLive's idea: the training
 * script knows nothing of servers). `liveTracker()` is the API for Node scripts and mlp's own
 * trainers; it is a no-op when the stage is not tracked.
 */
import fs from 'node:fs';
import type { MetricPoint } from './run-record.js';

export const LIVE_ENV = 'MLP_TRACKING_LIVE';

export interface LiveTracker {
  /** Appends one step: every finite number in `metrics` (others are left out). */
  log(metrics: Record<string, number>, step: number): void;
}

const NONE: LiveTracker = { log() {} };

/**
 * The tracker of the run this process belongs to (from `MLP_TRACKING_LIVE`), or a no-op one.
 * Each `log` is one append of one line (O_APPEND: lines of concurrent writers never interleave).
 */
export function liveTracker(env: NodeJS.ProcessEnv = process.env): LiveTracker {
  const file = env[LIVE_ENV];
  if (!file) return NONE;
  let fd: number | undefined;
  let broken = false;
  return {
    log(metrics, step) {
      if (broken) return;
      const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
      try {
        fd ??= fs.openSync(file, 'a');
        fs.writeSync(fd, `${JSON.stringify({ step, metrics: finite, timestamp: Date.now() })}\n`);
      } catch {
        broken = true; // tracking never breaks training
      }
    },
  };
}

/** The points of a live file; lines that are not well-formed (a line cut by a kill) are skipped. */
export function readLiveFile(file: string): MetricPoint[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseLines(text);
}

/**
 * The points of the complete lines written after byte `from` (while the stage still writes), and
 * where the next read starts.
 */
export function readLiveFrom(file: string, from: number): { points: MetricPoint[]; next: number } {
  let data: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      data = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, data, 0, data.length, from);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return { points: [], next: from };
  }
  const end = data.lastIndexOf(0x0a) + 1; // a line still being written waits for the next read
  return { points: parseLines(data.subarray(0, end).toString('utf8')), next: from + end };
}

function parseLines(text: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry === null || typeof entry !== 'object') continue;
    const { step, metrics, timestamp } = entry as { step?: unknown; metrics?: unknown; timestamp?: unknown };
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || metrics === null || typeof metrics !== 'object') continue;
    const time = typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : Date.now();
    for (const [key, value] of Object.entries(metrics as Record<string, unknown>)) {
      if (typeof value === 'number' && Number.isFinite(value)) points.push({ key, value, step, timestamp: time });
    }
  }
  return points;
}
