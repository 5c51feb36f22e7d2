/**
 * The sbatch options of a stage: its `resources:` mapped onto Slurm's (cpu → --cpus-per-task,
 * memory → --mem, gpu → --gres=gpu:N, time → --time) and its free-form `slurm:` map (partition,
 * account, qos, constraint, …). The map is checked here, at load: only options from a known set
 * (none that would move the job's output, working directory or environment away from what mlp
 * watches), values that are plain strings, numbers or booleans without control characters. They
 * become single `--name=value` arguments of an `execFile` call: no shell ever sees them.
 */
import type { Stage } from '../../pipeline/types.js';

/**
 * Options a stage may set. Excluded on purpose: --output/--error/--input/--chdir/--parsable/
 * --wrap/--wait/--array/--dependency/--export* /--uid/--gid/--open-mode (mlp owns where the job
 * runs, where its output goes and how it is watched), --requeue (mlp retries itself).
 */
export const SLURM_OPTIONS: ReadonlySet<string> = new Set([
  'account',
  'acctg-freq',
  'begin',
  'clusters',
  'comment',
  'constraint',
  'contiguous',
  'core-spec',
  'cores-per-socket',
  'cpus-per-gpu',
  'cpus-per-task',
  'deadline',
  'distribution',
  'exclude',
  'exclusive',
  'extra-node-info',
  'gpu-bind',
  'gpus',
  'gpus-per-node',
  'gpus-per-socket',
  'gpus-per-task',
  'gres',
  'gres-flags',
  'hint',
  'job-name',
  'licenses',
  'mail-type',
  'mail-user',
  'mem',
  'mem-bind',
  'mem-per-cpu',
  'mem-per-gpu',
  'mincpus',
  'network',
  'nice',
  'nodelist',
  'nodes',
  'ntasks',
  'ntasks-per-core',
  'ntasks-per-gpu',
  'ntasks-per-node',
  'ntasks-per-socket',
  'overcommit',
  'oversubscribe',
  'partition',
  'power',
  'prefer',
  'priority',
  'qos',
  'reservation',
  'signal',
  'sockets-per-node',
  'spread-job',
  'switches',
  'thread-spec',
  'threads-per-core',
  'time',
  'time-min',
  'tmp',
  'tres-per-task',
  'use-min-nodes',
  'wckey',
]);

export type SlurmOptionValue = string | number | boolean;

export type ParsedSlurmOptions = { ok: true; options: Record<string, SlurmOptionValue> } | { ok: false; message: string; hint: string };

const NAME = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `mem_per_cpu` and `mem-per-cpu` are the same option (YAML keys are often written with `_`). */
export function slurmOptionName(key: string): string {
  return key.replace(/_/g, '-');
}

/** Checks a `slurm:` mapping (a stage's, or the config's defaults). */
export function parseSlurmOptions(value: unknown): ParsedSlurmOptions {
  const hint = 'see "Running on a cluster" in the README for the options a stage may set';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: '`slurm` must map sbatch option names to values, e.g. {partition: gpu, account: ml-team}', hint };
  }
  const options: Record<string, SlurmOptionValue> = {};
  for (const [key, raw] of Object.entries(value)) {
    const name = slurmOptionName(key);
    if (!NAME.test(key) || !SLURM_OPTIONS.has(name)) {
      return { ok: false, message: `slurm: '${key}' is not an sbatch option a stage may set`, hint: `write the long option name without dashes (partition, account, qos, constraint, …); ${hint}` };
    }
    if (typeof raw === 'boolean' || (typeof raw === 'number' && Number.isFinite(raw))) {
      options[name] = raw;
      continue;
    }
    if (typeof raw !== 'string' || raw.trim() === '' || CONTROL.test(raw)) {
      return { ok: false, message: `slurm: '${key}' must be a string, a number or true/false on one line, got ${JSON.stringify(raw)}`, hint };
    }
    options[name] = raw;
  }
  return { ok: true, options };
}

/** Slurm's `[D-]HH:MM:SS`, rounded up to whole seconds (Slurm itself rounds up to minutes). */
export function slurmTime(seconds: number): string {
  const total = Math.ceil(seconds);
  const days = Math.floor(total / 86400);
  const rest = total % 86400;
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
  const ss = String(rest % 60).padStart(2, '0');
  return `${days > 0 ? `${days}-` : ''}${hh}:${mm}:${ss}`;
}

/**
 * The resource and extra options of a stage, as sbatch arguments: config defaults, then what the
 * stage's resources say, then the stage's own `slurm:` map (the most specific wins). Resources
 * other than cpu, memory, gpu and time have no Slurm meaning and are left to the `slurm:` map.
 */
export function sbatchResourceArgs(stage: Pick<Stage, 'resources' | 'time' | 'slurm'>, defaults: Readonly<Record<string, SlurmOptionValue>> = {}): string[] {
  const options = new Map<string, SlurmOptionValue>(Object.entries(defaults));
  const r = stage.resources ?? {};
  if (r.cpu !== undefined && r.cpu > 0) options.set('cpus-per-task', Math.ceil(r.cpu));
  // In MiB, rounded up: a stage never gets less memory than it asked for.
  if (r.memory !== undefined && r.memory > 0) options.set('mem', `${Math.ceil(r.memory / 2 ** 20)}M`);
  if (r.gpu !== undefined && r.gpu > 0) options.set('gres', `gpu:${Math.ceil(r.gpu)}`);
  if (stage.time !== undefined) options.set('time', slurmTime(stage.time));
  for (const [name, value] of Object.entries(stage.slurm ?? {})) options.set(name, value);
  const args: string[] = [];
  for (const [name, value] of [...options].sort(([a], [b]) => a.localeCompare(b))) {
    if (value === false) continue;
    args.push(value === true ? `--${name}` : `--${name}=${value}`);
  }
  return args;
}
