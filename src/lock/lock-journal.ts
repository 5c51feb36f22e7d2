/**
 * The lock journal, `.mlp/tmp/pipeline.lock.journal`: what `mlp repro` finished since it last
 * wrote pipeline.lock, one JSON line per stage. Rewriting the whole lock after every stage made a
 * first repro of 5,000 stages quadratic (the 1.4 MB file written 5,000 times, 310 s); appending
 * one line keeps "every finished stage is durable" at O(1) per stage. The lock is written once,
 * when the command ends (Repo.close), and the journal removed.
 *
 * Format: a header line `{"journal":1,"base":"<stat signature of pipeline.lock>","pid":…}`, then
 * `{"stage":"<name>","entry":{<the stage's block as pipeline.lock writes it>}}` lines.
 *
 * Crash semantics. Each line goes to the kernel in one write(2), without fsync: a killed process
 * (SIGKILL, OOM, a crash of mlp itself) loses nothing it recorded, since the data is already in
 * the page cache — the same guarantee the rewrite-and-rename of pipeline.lock gave, which was not
 * fsync'ed either. A power loss may lose the tail of the journal or leave a torn last line; it is
 * ignored, as is everything after the first line that does not parse. Losing records only makes
 * those stages stale again, and the run-cache normally still holds their results, so the next
 * `mlp repro` restores them without running anything.
 *
 * Who reads it. Every command that loads the lock applies a journal whose base is the current
 * pipeline.lock (status of a running or killed repro sees its finished stages). A journal whose
 * base is not the current lock file (the lock was rewritten, e.g. by `git checkout`, after the
 * run that wrote it) describes another lock and is ignored. Only the holder of the repository
 * lock writes: it folds a journal left by a dead run into pipeline.lock before starting its own,
 * and when it ends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { signatureOf } from '../util/stat-signature.js';

/** The journal's file name in `.mlp/tmp/`. */
export const LOCK_JOURNAL = 'pipeline.lock.journal';

const FORMAT = 1;

export interface JournalRecord {
  stage: string;
  /** The stage's block in pipeline.lock's own shape (parsed by the lockfile's parser). */
  entry: unknown;
}

export type JournalContents =
  | { state: 'absent' }
  /** Written on top of another pipeline.lock, or its header is unreadable: nothing applies. */
  | { state: 'stale' }
  /** `torn`: it ended in an incomplete or unparsable line, which was ignored with all after it. */
  | { state: 'current'; records: JournalRecord[]; torn: boolean };

/**
 * The identity of the lock files a journal applies to (one per pipeline file: the journal holds
 * stages of every pipeline, and applies only while none of their lock files was rewritten).
 */
function baseOf(lockFile: string | readonly string[]): string {
  return (typeof lockFile === 'string' ? [lockFile] : lockFile).map((f) => signatureOf(f) ?? '-').join('|');
}

/** Reads the journal `file` kept for the lock file `lockFile`. */
export function readJournal(file: string, lockFile: string | readonly string[]): JournalContents {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? { state: 'absent' } : { state: 'stale' };
  }
  const lines = text.split('\n');
  // Only newline-terminated lines count: the last element is '' when the file ends cleanly.
  const unterminated = lines.pop() !== '';
  const header = parseLine(lines[0]) as { journal?: unknown; base?: unknown } | undefined;
  if (!header || header.journal !== FORMAT || header.base !== baseOf(lockFile)) return { state: 'stale' };
  const records: JournalRecord[] = [];
  for (const line of lines.slice(1)) {
    const record = parseLine(line) as Partial<JournalRecord> | undefined;
    if (!record || typeof record.stage !== 'string' || typeof record.entry !== 'object' || record.entry === null) {
      return { state: 'current', records, torn: true };
    }
    records.push({ stage: record.stage, entry: record.entry });
  }
  return { state: 'current', records, torn: unterminated };
}

function parseLine(line: string | undefined): unknown {
  if (line === undefined || line === '') return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** Appends records to a journal this process started; see the top of this file. */
export class JournalWriter {
  private constructor(
    readonly file: string,
    private fd: number | undefined,
  ) {}

  /**
   * Starts a new journal on top of `lockFile` as it is on disk now, replacing any old journal
   * (the caller has folded whatever applied of it into the lock).
   */
  static start(file: string, lockFile: string | readonly string[]): JournalWriter {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    const writer = new JournalWriter(file, fd);
    writer.writeLine({ journal: FORMAT, base: baseOf(lockFile), pid: process.pid });
    return writer;
  }

  append(record: JournalRecord): void {
    this.writeLine(record);
  }

  /** Closes and deletes the journal (its records are in the lock file now). */
  remove(): void {
    this.close();
    fs.rmSync(this.file, { force: true });
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private writeLine(value: unknown): void {
    if (this.fd === undefined) throw new Error(`lock journal ${this.file} is closed`);
    const bytes = Buffer.from(`${JSON.stringify(value)}\n`);
    // One write(2) in practice; the loop only matters for a short write (e.g. a full disk).
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done);
  }
}
