/**
 * The outbox: `.mlp/tracking/outbox/`, one JSON file per run that a tracking server does not have
 * in full yet. A run is written here when its stage starts (status RUNNING: if mlp is killed, the
 * next mlp ends it as KILLED) and again when it ends; it is removed once the server has all of it.
 * Files are named by start time and uid, so delivery goes in the order the runs started.
 *
 * One process delivers a run at a time: it holds `<file>.lock`, taken like the repository lock
 * (src/repo/repo-lock.ts: the lock appears complete or not at all, and a lock whose process is
 * dead is taken over through an exclusive claim, by one process only), so `mlp track sync` and a
 * repro never send the same run twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isErrnoException } from '../errors.js';
import { parseRunRecord } from '../schema/tracking-record.js';
import { writeFileAtomic } from '../util/fs.js';
import { tryLockFile, type FileLock } from '../repo/repo-lock.js';
import { isProcessAlive } from '../util/processes.js';
import { readLiveFile } from './live.js';
import type { RunRecord } from './run-record.js';

export const OUTBOX_DIR = path.join('tracking', 'outbox');

/** Where a stage's live-metrics file is (MLP_TRACKING_LIVE), under the repository's scratch dir. */
export function liveFile(tmpDir: string, uid: string): string {
  return path.join(tmpDir, 'tracking', `${uid}.jsonl`);
}

/**
 * Ends a run whose mlp was killed while its stage ran: KILLED, with the live points the stage
 * logged before (its live file is then removed).
 */
export function endCutOffRun(record: RunRecord, tmpDir: string, outbox: Outbox): void {
  const live = liveFile(tmpDir, record.uid);
  record.status = 'KILLED';
  record.endTime ??= Date.now();
  const known = new Set(record.series.map((p) => `${p.key} ${p.step}`));
  record.series.push(...readLiveFile(live).filter((p) => !known.has(`${p.key} ${p.step}`)));
  outbox.write(record); // before the live file goes
  fs.rmSync(live, { force: true });
}

/** Whether a RUNNING run's stage is still running: its mlp is this process or alive on this host. */
export function isStageRunning(record: RunRecord): boolean {
  return record.status === 'RUNNING' && (record.pid === process.pid || (record.host === os.hostname() && isProcessAlive(record.pid)));
}

export class Outbox {
  private readonly locks = new Map<string, FileLock>();

  constructor(readonly dir: string) {}

  static of(mlpDir: string): Outbox {
    return new Outbox(path.join(mlpDir, OUTBOX_DIR));
  }

  fileFor(record: RunRecord): string {
    return path.join(this.dir, `${String(record.startTime).padStart(15, '0')}-${record.uid}.json`);
  }

  write(record: RunRecord): string {
    const file = this.fileFor(record);
    writeFileAtomic(file, `${JSON.stringify(record)}\n`);
    return file;
  }

  remove(record: RunRecord): void {
    fs.rmSync(this.fileFor(record), { force: true });
  }

  /** The runs waiting, oldest first; a file that cannot be read is a located error. */
  list(): RunRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (error) {
      if (isErrnoException(error) && error.code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .sort()
      .flatMap((name) => {
        const file = path.join(this.dir, name);
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (error) {
          if (isErrnoException(error) && error.code === 'ENOENT') return []; // delivered meanwhile
          throw error;
        }
        return [parseRunRecord(text, path.join('.mlp', OUTBOX_DIR, name))];
      });
  }

  /** Takes the delivery lock of `record`; false if another live process holds it. */
  claim(record: RunRecord): boolean {
    const file = `${this.fileFor(record)}.lock`;
    if (this.locks.has(file)) return true;
    const lock = tryLockFile(file, `deliver tracked run ${record.uid}`);
    if (lock) this.locks.set(file, lock);
    return lock !== undefined;
  }

  release(record: RunRecord): void {
    const file = `${this.fileFor(record)}.lock`;
    this.locks.get(file)?.release();
    this.locks.delete(file);
  }
}
