/**
 * Cluster jobs a dead mlp left queued or running: the repository lock lists them (see
 * ClusterJobTracker), and the process that takes the lock over cancels them here before it touches
 * anything, so that no job of the dead run later overwrites outputs the new run restores. The
 * lock's takeover is synchronous, and so is this.
 */
import type { ClusterJob } from './executor.js';
import { isTerminal, parseQueue } from './slurm/job-state.js';
import { slurmCommandSync } from './slurm/slurm-cli.js';

const WAIT_MS = 20_000;

/** Whether a value read from a lock file is a job record this mlp can cancel. */
export function isClusterJob(value: unknown): value is ClusterJob {
  if (value === null || typeof value !== 'object') return false;
  const job = value as Record<string, unknown>;
  return job.executor === 'slurm' && typeof job.id === 'string' && /^\d+(_\d+)?$/.test(job.id) && (job.conf === undefined || typeof job.conf === 'string');
}

/**
 * Cancels the jobs and waits (up to 20 s) until Slurm says they ended. Returns the ids of those it
 * cancelled, and those it could not (Slurm's tools missing or the controller unreachable).
 */
export function cancelClusterJobs(jobs: readonly ClusterJob[]): { cancelled: string[]; failed: string[] } {
  const cancelled: string[] = [];
  const failed: string[] = [];
  const byConf = new Map<string, string[]>();
  for (const job of jobs) {
    const key = job.conf ?? '';
    byConf.set(key, [...(byConf.get(key) ?? []), job.id]);
  }
  for (const [conf, ids] of byConf) {
    const env = conf ? { ...process.env, SLURM_CONF: conf } : process.env;
    const live = (): string[] => {
      const result = slurmCommandSync('squeue', ['-h', '--states=all', `--jobs=${ids.join(',')}`, '-o', '%i|%T|%r'], env);
      if (!result) return [];
      return parseQueue(result.stdout)
        .filter((e) => !isTerminal(e.state))
        .map((e) => e.id);
    };
    const running = live();
    if (running.length === 0) continue;
    const result = slurmCommandSync('scancel', running, env);
    if (!result || result.code !== 0) {
      failed.push(...running);
      continue;
    }
    const deadline = Date.now() + WAIT_MS;
    let left = live();
    while (left.length > 0 && Date.now() < deadline) {
      sleep(200);
      left = live();
    }
    cancelled.push(...running.filter((id) => !left.includes(id)));
    failed.push(...left);
  }
  return { cancelled, failed };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
