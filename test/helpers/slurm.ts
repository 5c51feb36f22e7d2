/**
 * The single-node Slurm cluster of test/helpers/slurm.sh, for tests: started (or reused) once per
 * test file and stopped afterwards only if this file started it. Where it cannot start (not root,
 * Slurm not installed) the tests skip with the reason, except in CI, where that is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './cli.js';

const SCRIPT = path.join(PROJECT_ROOT, 'test', 'helpers', 'slurm.sh');

export type SlurmCluster = { ok: true; conf: string; startedHere: boolean } | { ok: false; reason: string };

export function startSlurm(): SlurmCluster {
  const result = spawnSync('bash', [SCRIPT, 'start'], { encoding: 'utf8', env: { ...process.env, SLURM_CONF: undefined } });
  const conf = /^SLURM_CONF=(.+)$/m.exec(result.stdout ?? '')?.[1];
  if (result.status !== 0 || !conf) {
    const reason = `${(result.stderr ?? '').trim() || `slurm.sh exited with ${result.status}`}`;
    if (process.env.CI) throw new Error(`the test Slurm cluster must start in CI: ${reason}`);
    return { ok: false, reason };
  }
  return { ok: true, conf, startedHere: !/reused/.test(result.stderr ?? '') };
}

export function stopSlurm(cluster: SlurmCluster): void {
  if (cluster.ok && cluster.startedHere) spawnSync('bash', [SCRIPT, 'stop'], { encoding: 'utf8' });
}

/** A Slurm client command against the test cluster. */
export function slurm(conf: string, command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', env: { ...process.env, SLURM_CONF: conf }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `scontrol show job -o` of a job, as Key=Value fields. */
export function showJob(conf: string, id: string): Record<string, string> {
  const line = slurm(conf, 'scontrol', 'show', 'job', '-o', id);
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(/(?:^|\s)([A-Za-z][A-Za-z0-9/:_]*)=(\S*)/g)) fields[m[1] as string] = m[2] as string;
  return fields;
}
