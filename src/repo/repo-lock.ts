/**
 * One repository-level lock (`.mlp/tmp/lock`) recording pid, host, command, a unique id and the
 * process groups of the stages running. A lock left by a process that no longer runs on this
 * host is taken over with a warning instead of failing with a bare "locked" error.
 *
 * - **Never empty.** The lock's content is written to a temp file first and `link()`ed into
 *   place: the lock appears complete or not at all (a full disk fails the write, not the lock).
 *   An empty or unreadable lock (a crash of an older mlp mid-write) with no live writer is stale.
 * - **Atomic takeover.** Only one process may replace a given stale lock: the right to do so is a
 *   claim file named after the stale lock's id, created with `link()` (exclusive). The claim's
 *   holder checks that the lock still has that id, stops the dead run's stages, then removes the
 *   stale lock and links its own (which, like any acquire, fails if someone else got there
 *   first). A claim whose holder died is itself claimed by a file named after both ids, so a
 *   crash mid-takeover cannot block the repository, and at most one live process is ever inside
 *   the takeover of one stale lock.
 * - **Orphaned stages.** A killed mlp's stage commands run on in their own process groups. The
 *   lock lists those groups and marks the stages' environment with MLP_RUN_ID=<lock id>; the
 *   process that takes over the lock stops (SIGTERM, then SIGKILL) every listed group that still
 *   has a member carrying that marker, before it touches anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../errors.js';
import { isProcessAlive, isSameProcess, processEnvironmentHas, processGroupMembers, processStartTime } from '../util/processes.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { cancelClusterJobs, isClusterJob } from '../executors/cluster-jobs.js';
import type { ClusterJob, ClusterJobTracker } from '../executors/executor.js';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started: string;
  /** Unique per acquisition (older mlp versions wrote none). */
  id?: string;
  /** The holder's start time (/proc), to tell a reused pid from the holder. */
  pidStart?: string;
  /** Process groups of the stages running now. */
  stages?: number[];
  /** Cluster jobs (Slurm) of the stages queued or running now. */
  jobs?: ClusterJob[];
}

/** An empty or unreadable lock younger than this may be an older mlp writing it right now. */
const UNREADABLE_GRACE_MS = 2000;
/** How long to wait for another process that is taking over the same stale lock. */
const CLAIM_WAIT_MS = 10000;
const STOP_GRACE_MS = 3000;

type Holder =
  | { kind: 'gone' }
  | { kind: 'busy' }
  | { kind: 'live'; info: LockInfo }
  | { kind: 'stale'; identity: string; info: LockInfo | undefined };

/**
 * Also the stage runner's ProcessGroupTracker (src/repro/stage-runner.ts): `env`, `started`,
 * `stopped`; and the cluster executors' ClusterJobTracker: `jobSubmitted`, `jobEnded`.
 */
export class RepoLock implements ClusterJobTracker {
  private released = false;
  readonly env: Readonly<Record<string, string>>;

  private constructor(
    private readonly file: string,
    private readonly info: LockInfo & { id: string; stages: number[] },
  ) {
    this.env = { MLP_RUN_ID: info.id };
  }

  get id(): string {
    return this.info.id;
  }

  /** Takes the lock; `onStale` is told when a dead process's lock is taken over. */
  static acquire(tmpDir: string, command: string, onStale: (message: string) => void): RepoLock {
    const file = path.join(tmpDir, 'lock');
    fs.mkdirSync(tmpDir, { recursive: true });
    const info = {
      pid: process.pid,
      host: os.hostname(),
      command,
      started: new Date().toISOString(),
      id: randomBytes(8).toString('hex'),
      pidStart: processStartTime(process.pid),
      stages: [] as number[],
    };
    const mine = `${file}.${tempOwnerTag()}.tmp`;
    fs.writeFileSync(mine, `${JSON.stringify(info)}\n`);
    try {
      const deadline = Date.now() + CLAIM_WAIT_MS;
      for (;;) {
        try {
          fs.linkSync(mine, file);
          const lock = new RepoLock(file, info);
          removeLeftoverClaims(tmpDir, 'lock.claim-');
          return lock;
        } catch (error) {
          if (errorCode(error) !== 'EEXIST') throw error;
        }
        const holder = inspect(file);
        if (holder.kind === 'live') throw lockedError(file, holder.info);
        if (holder.kind === 'stale' && takeOver(file, holder, mine, onStale) === 'done') continue;
        // Being written, being taken over by another process, or just released: look again.
        if (Date.now() > deadline) throw lockedError(file, holder.kind === 'stale' ? holder.info : undefined);
        if (holder.kind !== 'gone') sleep(20);
      }
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  started(pgid: number): void {
    this.info.stages.push(pgid);
    this.rewrite();
  }

  stopped(pgid: number): void {
    this.info.stages = this.info.stages.filter((g) => g !== pgid);
    this.rewrite();
  }

  /** The lock file: a cluster job checks that it still names this run before it starts. */
  get path(): string {
    return this.file;
  }

  jobSubmitted(job: ClusterJob): void {
    (this.info.jobs ??= []).push(job);
    this.rewrite();
  }

  jobEnded(job: ClusterJob): void {
    this.info.jobs = (this.info.jobs ?? []).filter((j) => j.id !== job.id || j.conf !== job.conf);
    this.rewrite();
  }

  /** Rewrites the lock with the current stage list: temp file renamed over it, so readers see one version or the other. */
  private rewrite(): void {
    if (this.released) return;
    const tmp = `${this.file}.${tempOwnerTag()}.tmp`;
    try {
      fs.writeFileSync(tmp, `${JSON.stringify(this.info)}\n`);
      fs.renameSync(tmp, this.file);
    } catch {
      // Best effort (a full disk): the groups are then not stopped after a crash, nothing worse.
      fs.rmSync(tmp, { force: true });
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    fs.rmSync(this.file, { force: true });
  }
}

function lockedError(file: string, holder: LockInfo | undefined): MlpError {
  const rel = path.relative(process.cwd(), file) || file;
  if (!holder) {
    return new MlpError(`another mlp process is taking the repository lock ${rel} right now`, { hint: 'run the command again in a moment', exitCode: ExitCode.locked });
  }
  return new MlpError(
    `another mlp process is working in this repository: \`${holder.command}\` (pid ${holder.pid} on ${holder.host}, started ${holder.started})`,
    { hint: `wait for it to finish; if it is gone (e.g. on another host), delete ${rel}`, exitCode: ExitCode.locked },
  );
}

function readInfo(file: string): LockInfo | undefined | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'gone';
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as LockInfo;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A name for one particular lock (or claim) file's content: its id, else what an older mlp wrote, else its inode. */
function identityOf(file: string, info: LockInfo | undefined): string | undefined {
  if (info) return info.id ?? `pid-${info.pid}-${info.started}`;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `raw-${stat.ino}-${stat.mtimeMs}` : undefined;
}

function inspect(file: string): Holder {
  const info = readInfo(file);
  if (info === 'gone') return { kind: 'gone' };
  if (!info) {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return { kind: 'gone' };
    if (Date.now() - stat.mtimeMs < UNREADABLE_GRACE_MS) return { kind: 'busy' };
    return { kind: 'stale', identity: `raw-${stat.ino}-${stat.mtimeMs}`, info: undefined };
  }
  if (info.host !== os.hostname() || isSameProcess(info.pid, info.pidStart)) return { kind: 'live', info };
  return { kind: 'stale', identity: identityOf(file, info) as string, info };
}

const claimName = (file: string, chain: string[]): string =>
  `${file}.claim-${chain.map((id) => createHash('sha256').update(id).digest('hex').slice(0, 12)).join('-')}`;

/**
 * Replaces the stale lock `holder` if this process wins the claim for it. Returns 'busy' when a
 * live process holds that claim (it is doing the same right now).
 */
function takeOver(file: string, holder: Extract<Holder, { kind: 'stale' }>, mine: string, onStale: (message: string) => void): 'done' | 'busy' {
  const chain = [holder.identity];
  let claim = claimName(file, chain);
  for (;;) {
    try {
      fs.linkSync(mine, claim);
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const claimer = readInfo(claim);
    if (claimer === 'gone') continue; // released meanwhile: try again
    if (claimer && (claimer.host !== os.hostname() || isSameProcess(claimer.pid, claimer.pidStart))) return 'busy';
    const stat = fs.statSync(claim, { throwIfNoEntry: false });
    if (!claimer && stat && Date.now() - stat.mtimeMs < UNREADABLE_GRACE_MS) return 'busy';
    // Its holder died mid-takeover: claim the claim.
    const next = identityOf(claim, claimer);
    if (next === undefined) continue;
    chain.push(next);
    if (chain.length > 8) return 'busy'; // eight takers died in a row: leave it to the next command
    claim = claimName(file, chain);
  }
  try {
    // Inside: no other live process can be here for this stale lock.
    const now = readInfo(file);
    if (now === 'gone' || identityOf(file, now) !== holder.identity) return 'done';
    const stopped = stopStaleStages(holder.info);
    const jobs = cancelStaleJobs(holder.info);
    const who = holder.info
      ? `\`${holder.info.command}\` (pid ${holder.info.pid}, started ${holder.info.started})`
      : 'a process that crashed while writing it (the lock was empty)';
    const done = [
      ...(stopped.length ? [`stopped its stage processes still running (process group ${stopped.join(', ')})`] : []),
      ...(jobs.cancelled.length ? [`cancelled its Slurm jobs still queued or running (job ${jobs.cancelled.join(', ')})`] : []),
      ...(jobs.failed.length ? [`could not cancel its Slurm jobs ${jobs.failed.join(', ')}: cancel them with scancel before they overwrite outputs`] : []),
    ];
    onStale(`taking over the repository lock left by ${who}, which is no longer running${done.map((d) => `; ${d}`).join('')}`);
    fs.rmSync(file, { force: true });
    return 'done';
  } finally {
    fs.rmSync(claim, { force: true });
  }
}

/**
 * Stops the stage process groups of a dead run that still run, so they cannot overwrite outputs
 * the next command restores. A group is stopped only if one of its processes carries the run's
 * MLP_RUN_ID (a group id reused by something else is left alone). Returns the groups stopped.
 */
function stopStaleStages(info: LockInfo | undefined): number[] {
  if (!info?.id || !info.stages?.length) return [];
  const marker = `MLP_RUN_ID=${info.id}`;
  const ours = (pgid: number): boolean => (processGroupMembers(pgid) ?? []).some((pid) => processEnvironmentHas(pid, marker));
  const groups = info.stages.filter(ours);
  const signal = (sig: NodeJS.Signals): void => {
    for (const g of groups) {
      try {
        process.kill(-g, sig);
      } catch {
        // gone already
      }
    }
  };
  const anyLeft = (): boolean => groups.some((g) => (processGroupMembers(g) ?? []).some(isProcessAlive));
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (anyLeft() && Date.now() < deadline) sleep(50);
  if (anyLeft()) {
    signal('SIGKILL');
    const killDeadline = Date.now() + STOP_GRACE_MS;
    while (anyLeft() && Date.now() < killDeadline) sleep(20);
  }
  return groups;
}

/** Cancels the cluster jobs a dead run left queued or running (src/executors/cluster-jobs.ts). */
function cancelStaleJobs(info: LockInfo | undefined): { cancelled: string[]; failed: string[] } {
  const jobs = Array.isArray(info?.jobs) ? info.jobs.filter(isClusterJob) : [];
  return jobs.length > 0 ? cancelClusterJobs(jobs) : { cancelled: [], failed: [] };
}

/** Claims of earlier takeovers whose holders died; safe to remove once this process holds the lock (none can apply to it). */
function removeLeftoverClaims(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const info = readInfo(path.join(dir, name));
    if (info && info !== 'gone' && info.host === os.hostname() && isSameProcess(info.pid, info.pidStart)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** A lock on one item taken with `tryLockFile`. */
export interface FileLock {
  /** Removes the lock, if it is still this one. */
  release(): void;
}

/**
 * An exclusive lock on `file` for this process, with the repository lock's guarantees — it
 * appears complete (pid, host, start time, id) or not at all, and a lock whose process is gone
 * is taken over by one process only, through the same claim — but without waiting: undefined
 * when a live process holds it or is writing or taking it over right now. For locks on single
 * items, such as a run in the tracking outbox.
 */
export function tryLockFile(file: string, command: string): FileLock | undefined {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const info = {
    pid: process.pid,
    host: os.hostname(),
    command,
    started: new Date().toISOString(),
    id: randomBytes(8).toString('hex'),
    pidStart: processStartTime(process.pid),
    stages: [] as number[],
  };
  const mine = `${file}.${tempOwnerTag()}.tmp`;
  fs.writeFileSync(mine, `${JSON.stringify(info)}\n`);
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        fs.linkSync(mine, file);
        removeLeftoverClaims(dir, `${path.basename(file)}.claim-`);
        return {
          release() {
            const now = readInfo(file);
            if (now !== 'gone' && now?.id === info.id) fs.rmSync(file, { force: true });
          },
        };
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const holder = inspect(file);
      if (holder.kind === 'live' || holder.kind === 'busy') return undefined;
      if (holder.kind === 'stale' && takeOver(file, holder, mine, () => {}) === 'busy') return undefined;
      // Gone, or taken over by this process: try again.
    }
    return undefined;
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
