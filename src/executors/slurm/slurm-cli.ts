/**
 * Slurm's client commands, run without a shell (arguments are argv, never a command line). The
 * cluster is the one the environment names (SLURM_CONF, or the system's slurm.conf).
 */
import { execFile, execFileSync } from 'node:child_process';
import { MlpError, errorCode } from '../../errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 60_000;

function notInstalled(command: string): MlpError {
  return new MlpError(`Slurm's \`${command}\` is not on PATH: stages with executor slurm need Slurm's client commands`, {
    hint: 'run mlp on a host of the cluster (a login node), install slurm-client, or use --executor local',
  });
}

/** Runs a Slurm command; a non-zero exit is a result, a missing command an MlpError. */
export function slurmCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: TIMEOUT_MS, maxBuffer: 64 * 2 ** 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && errorCode(error) === 'ENOENT') {
        reject(notInstalled(command));
        return;
      }
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The same, synchronously (the repository lock's takeover is synchronous); undefined when the command is missing. */
export function slurmCommandSync(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): CommandResult | undefined {
  try {
    const stdout = execFileSync(command, args, { env, timeout: TIMEOUT_MS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    const e = error as { status?: number | null; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The first line of a command's complaint, for messages. */
export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}
