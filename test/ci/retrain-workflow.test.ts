/**
 * .github/workflows/retrain.yml: its "Monitor for drift" step, run as the runner would (bash -e,
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) with an `mlp` on PATH that writes a drift report and exits
 * with a chosen code: drift and no drift are verdicts, any other code fails the job.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT, tempDir, writeFiles } from '../helpers/cli.js';

interface Workflow {
  env: Record<string, string | number>;
  jobs: { retrain: { steps: { name?: string; run?: string; if?: string }[] } };
}

const workflow = parse(fs.readFileSync(path.join(PROJECT_ROOT, '.github/workflows/retrain.yml'), 'utf8')) as Workflow;
const step = (name: string): { run?: string; if?: string } => workflow.jobs.retrain.steps.find((s) => s.name === name)!;

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function monitorStep(exitCode: number): { code: number; output: string; summary: string; stderr: string } {
  for (const f of ['output', 'summary', 'calls']) fs.rmSync(path.join(dir, f), { force: true });
  const report = { drift: exitCode !== 0, model: {}, tests: [{ name: 'text.domain_classifier', method: 'domain_classifier', statistic: 0.93, threshold: 0.61, drift: true }, { name: 'prediction.confidence', method: 'ks', statistic: 0.2, threshold: 0.05, p_value: 0.01, drift: true }], created: '2026-11-30T00:00:00Z' };
  writeFiles(dir, {
    'bin/mlp': `#!/bin/sh\necho "mlp $*" >> "${dir}/calls"\ncat > drift.json <<'JSON'\n${JSON.stringify(report)}\nJSON\nexit ${exitCode}\n`,
  });
  fs.chmodSync(path.join(dir, 'bin/mlp'), 0o755);
  const env = { ...process.env, ...Object.fromEntries(Object.entries(workflow.env).map(([k, v]) => [k, String(v)])), PATH: `${dir}/bin:${process.env.PATH}`, GITHUB_OUTPUT: `${dir}/output`, GITHUB_STEP_SUMMARY: `${dir}/summary` };
  // GitHub runs `run:` with `bash --noprofile --norc -eo pipefail {0}`.
  fs.writeFileSync(path.join(dir, 'step.sh'), step('Monitor for drift').run!);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', path.join(dir, 'step.sh')], { cwd: dir, env, encoding: 'utf8' });
  const read = (f: string): string => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  return { code: result.status ?? -1, output: read('output'), summary: read('summary'), stderr: result.stdout + result.stderr };
}

describe('retrain.yml', () => {
  test('the drift exit code is a verdict that starts the retraining; its tests go to the summary', () => {
    const drift = monitorStep(Number(workflow.env.MONITOR_DRIFT_EXIT));
    expect([drift.code, drift.output]).toEqual([0, 'drift=true\n']);
    expect(fs.readFileSync(path.join(dir, 'calls'), 'utf8')).toBe('mlp monitor models/text --telemetry telemetry/inferences.jsonl --out drift.json --html drift.html\n');
    expect(drift.summary).toContain('### mlp monitor: drift\n');
    expect(drift.summary).toContain('| text.domain_classifier | domain_classifier | 0.93 | 0.61 |  | true |\n');
    expect(drift.summary).toContain('| prediction.confidence | ks | 0.2 | 0.05 | 0.01 | true |\n');
    expect(step('Retrain').if).toBe("steps.monitor.outputs.drift == 'true' || inputs.force");
  });

  test('exit 0 is "no drift"; any other exit fails the step', () => {
    expect(monitorStep(0)).toMatchObject({ code: 0, output: 'drift=false\n', summary: expect.stringContaining('### mlp monitor: no drift\n') });
    const failed = monitorStep(3);
    expect([failed.code, failed.output]).toEqual([3, '']);
    expect(failed.stderr).toContain('::error::mlp monitor failed (exit 3)');
  });
});
