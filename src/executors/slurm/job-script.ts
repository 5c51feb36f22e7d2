/**
 * The batch script of one stage: the same commands, environment and working directory as the
 * local executor (src/repro/stage-runner.ts), written out as a bash script for sbatch. The
 * cluster is assumed to see the repository at the same path (a shared filesystem, as Snakemake
 * and Nextflow assume); everything the script names is quoted for the shell here, once.
 *
 * - Each command runs through the shell the local executor would use (`shellCommand`), with `-e`
 *   for multi-line commands, and the first one that fails ends the job with its exit code.
 * - Which command ended the job goes to a status file, so that mlp names it (Slurm only keeps the
 *   job's exit code).
 * - Before anything runs, the script checks that the repository lock still belongs to the run that
 *   submitted it: a job that was queued by an mlp that is gone (killed, then taken over by the next
 *   mlp) exits without touching the workspace even if cancelling it failed.
 */
import path from 'node:path';
import type { Stage } from '../../pipeline/types.js';
import { shellCommand, stageEnv } from '../../repro/stage-runner.js';

export interface JobScriptInput {
  root: string;
  stage: Stage;
  /** The `mlp` shim directory (put first on PATH as locally). */
  shimDir: string;
  /** The repository lock file and the id this run wrote into it. */
  lockFile: string;
  runId: string;
  /** Where the script records how it ended: `ok`, or `<command index> <exit code>`. */
  statusFile: string;
  /** The submitting environment: SHELL chooses the shell, as locally. */
  baseEnv: NodeJS.ProcessEnv;
  /** Extra environment (tracking's live-metrics file), on top of the stage's own. */
  env?: Readonly<Record<string, string>>;
}

/** Exit code of a job that refused to run because its run no longer holds the lock (EX_TEMPFAIL). */
export const STALE_RUN_EXIT = 75;

/** Single-quoted for sh/bash: the only character to escape is the quote itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variables the script sets: the stage's env, MLP_*, DVC_*, PATH, on top of what sbatch exports. */
export function jobEnvironment(input: JobScriptInput): Record<string, string> {
  const full = stageEnv(input.root, input.stage, input.shimDir);
  const vars: Record<string, string> = {};
  // Only what mlp adds; the rest of the submitting environment reaches the job through sbatch's
  // default --export=ALL, as with any sbatch.
  for (const name of [...Object.keys(input.stage.env), 'MLP_STAGE', 'MLP_ROOT', 'DVC_STAGE', 'DVC_ROOT', 'PATH']) {
    const value = full[name];
    if (value !== undefined) vars[name] = value;
  }
  for (const [name, value] of Object.entries(input.env ?? {})) vars[name] = value;
  vars.MLP_RUN_ID = input.runId;
  return vars;
}

export function jobScript(input: JobScriptInput): string {
  const { stage } = input;
  const lines = [
    '#!/bin/bash',
    `# mlp stage ${JSON.stringify(stage.name)}, run ${input.runId}: written by \`mlp repro\` for sbatch.`,
    '# Commands run as on the submitting host; the first that fails ends the job with its exit code.',
  ];
  for (const [name, value] of Object.entries(jobEnvironment(input))) {
    if (!ENV_NAME.test(name)) continue; // names the shell cannot export (validated stage env has none)
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  const status = shellQuote(input.statusFile);
  const runMarker = `"id":${JSON.stringify(input.runId)}`;
  lines.push(
    `if ! grep -qF ${shellQuote(runMarker)} ${shellQuote(input.lockFile)} 2>/dev/null; then`,
    `  echo ${shellQuote(`mlp: run ${input.runId} no longer holds the repository lock; not running stage '${stage.name}'`)} >&2`,
    `  echo stale >${status}`,
    `  exit ${STALE_RUN_EXIT}`,
    'fi',
    `cd ${shellQuote(path.join(input.root, stage.wdir))} || { echo 'wdir -1' >${status}; exit 1; }`,
  );
  const shellEnv = { ...input.baseEnv, ...jobEnvironment(input) };
  stage.cmd.forEach((cmd, index) => {
    const shell = shellCommand(cmd, shellEnv);
    lines.push(`${[shell.file, ...shell.args].map(shellQuote).join(' ')} </dev/null`);
    lines.push(`code=$?; if [ "$code" -ne 0 ]; then echo "${index} $code" >${status}; exit "$code"; fi`);
  });
  lines.push(`echo ok >${status}`, 'exit 0', '');
  return lines.join('\n');
}
