/** `mlp monitor <model-dir>`: parse options → compare (src/monitor) → write drift.json (and the HTML report) → exit 0, or 7 on drift. */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, MlpError } from '../errors.js';
import { isQuiet, parsePositiveInt } from './options.js';
import { DEFAULT_THRESHOLDS, type DriftReport, type Thresholds } from '../monitor/report.js';
import { renderTable } from '../ui/table.js';

interface MonitorFlags {
  telemetry: string;
  since?: string;
  last?: number;
  inputs?: string;
  reference?: string;
  textColumn: string;
  out: string;
  html?: string;
  json?: boolean;
  pValue: number;
  psi: number;
  rocPercentile: number;
  driftShare: number;
  permutations: number;
  sample: number;
  seed: number;
}

export function registerMonitorCommand(program: Command): void {
  const d = DEFAULT_THRESHOLDS;
  program
    .command('monitor')
    .description('compare what a served model sees (its telemetry, or a file of inputs) with its training data; exit 7 on drift')
    .argument('<model-dir>', 'the model directory `mlp serve` serves')
    .option('--telemetry <file>', 'the inference log `mlp serve` writes (rotated files beside it are read too)', 'telemetry/inferences.jsonl')
    .option('--since <time|age>', 'only inferences since this time or age (2026-11-30T12:00Z, 24h, 7d)')
    .option('--last <n>', 'only the last N inferences', parsePositiveInt)
    .option('--inputs <path>', 'compare these inputs instead of telemetry: a CSV (text column), .txt, .npz or PNG/JPEG files, or a directory of them')
    .option('--reference <path>', 'the training data (default: the dependency of the stage that trained the model, from pipeline.lock)')
    .option('--text-column <name>', 'the text column of CSV files', 'text')
    .option('-o, --out <file>', 'where to write the report', 'drift.json')
    .option('--html <file>', 'also write a readable HTML report with plots (offline: no network needed)')
    .option('--json', 'print the report as JSON')
    .option('--p-value <p>', 'p-value below which a KS, chi-square or MMD test drifts', parseProbability, d.pValue)
    .option('--psi <x>', 'PSI of the predicted labels at or above which they drift', parsePositive, d.psi)
    .option('--roc-percentile <q>', "percentile of random classifiers' ROC-AUC the domain classifier must pass to drift", parsePercentile, d.rocPercentile)
    .option('--drift-share <s>', 'share of drifted tests that makes the verdict drift', parseProbability, d.driftShare)
    .option('--permutations <n>', 'permutations of the MMD test', parsePositiveInt, d.permutations)
    .option('--sample <n>', 'compare at most N rows a side (a seeded sample)', parsePositiveInt, d.sample)
    .option('--seed <n>', 'seed of every sample, split and permutation', parseSeed, d.seed)
    .action(async (modelDir: string, flags: MonitorFlags, command: Command) => {
      process.exitCode = await monitor(modelDir, await withConfig(flags, command), isQuiet(command));
    });
}

async function monitor(modelDir: string, flags: MonitorFlags, quiet: boolean): Promise<number> {
  const { runMonitor } = await import('../monitor/monitor.js');
  const { parseSince } = await import('../monitor/telemetry-window.js');
  const { writeFileAtomic } = await import('../util/fs.js');
  if (flags.inputs !== undefined && (flags.since !== undefined || flags.last !== undefined)) {
    throw new MlpError('--since and --last select telemetry; they do not apply to --inputs', { hint: 'drop them, or drop --inputs to read the telemetry', exitCode: ExitCode.usage });
  }
  const thresholds: Thresholds = {
    ...DEFAULT_THRESHOLDS,
    pValue: flags.pValue,
    psi: flags.psi,
    rocPercentile: flags.rocPercentile,
    driftShare: flags.driftShare,
    permutations: flags.permutations,
    sample: flags.sample,
    seed: flags.seed,
  };
  const current =
    flags.inputs !== undefined
      ? { inputs: flags.inputs }
      : {
          telemetry: flags.telemetry,
          ...(flags.since !== undefined ? { since: parseSince(flags.since) } : {}),
          ...(flags.last !== undefined ? { last: flags.last } : {}),
        };
  const { report, distributions } = await runMonitor({
    modelDir,
    current,
    ...(flags.reference !== undefined ? { reference: flags.reference } : {}),
    textColumn: flags.textColumn,
    thresholds,
  });
  writeFileAtomic(path.resolve(flags.out), `${JSON.stringify(report, null, 2)}\n`);
  if (flags.html !== undefined) {
    const { renderDriftHtml } = await import('../monitor/html-report.js');
    writeFileAtomic(path.resolve(flags.html), renderDriftHtml(report, distributions));
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (!quiet) process.stdout.write(render(report, thresholds.driftShare, [flags.out, ...(flags.html !== undefined ? [flags.html] : [])]));
  return report.drift ? ExitCode.drift : ExitCode.ok;
}

/** Thresholds not given as flags come from `monitor:` in .mlp/config.yaml (and config.local.yaml), when there is one. */
async function withConfig(flags: MonitorFlags, command: Command): Promise<MonitorFlags> {
  const { repositoryOf } = await import('../serve/source.js');
  const root = repositoryOf(process.cwd());
  if (!root) return flags;
  const { loadConfig } = await import('../repo/config.js');
  const config = loadConfig(path.join(root, '.mlp')).monitor ?? {};
  const keys = { pValue: 'p_value', psi: 'psi', rocPercentile: 'roc_percentile', driftShare: 'drift_share', permutations: 'permutations', sample: 'sample', seed: 'seed' } as const;
  const merged = { ...flags };
  for (const [flag, key] of Object.entries(keys) as [keyof typeof keys, (typeof keys)[keyof typeof keys]][]) {
    const value = config[key];
    if (value !== undefined && command.getOptionValueSource(flag) === 'default') merged[flag] = value;
  }
  return merged;
}

function render(report: DriftReport, driftShare: number, written: string[]): string {
  const drifted = report.tests.filter((t) => t.drift).length;
  const { current, reference } = report;
  const window = current.from ? `, ${current.from} to ${current.to}` : '';
  const lines = [
    `Model ${report.model.path} (${report.model.sha256.slice(0, 12)})`,
    `Reference ${reference.path}: ${reference.rows} rows${reference.stage ? ` (stage '${reference.stage}')` : ''}${reference.held_out ? `; held out ${reference.held_out.path}: ${reference.held_out.rows} rows` : ''}`,
    `Current ${current.path}: ${current.rows} ${current.source === 'telemetry' ? 'inferences' : 'rows'}${current.sampled ? ` (${current.sampled} sampled)` : ''}${window}${current.inputs ? '' : ' — no inputs logged (serve with --log-inputs): predictions only'}`,
    '',
    renderTable(
      {
        headers: ['test', 'method', 'statistic', 'threshold', 'p-value', 'drift'],
        rows: report.tests.map((t) => [t.name, t.method, String(t.statistic), String(t.threshold), t.p_value === undefined ? '' : String(t.p_value), t.drift ? 'DRIFT' : 'ok']),
        alignRight: new Set([2, 3, 4]),
      },
      'text',
    ).trimEnd(),
    '',
    `${report.drift ? 'Drift' : 'No drift'}: ${drifted} of ${report.tests.length} tests drifted (the verdict is drift from ${Math.round(driftShare * 100)}% of them). Wrote ${written.join(' and ')}.`,
  ];
  return `${lines.join('\n')}\n`;
}

function parseProbability(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a number between 0 and 1 (exclusive)');
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function parsePercentile(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 100)) throw new InvalidArgumentError('expected a percentile between 0 and 100 (exclusive)');
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('expected an integer from 0 to 4294967295');
  return n;
}
