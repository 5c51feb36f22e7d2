/** The batch script of a stage, run here with bash exactly as a Slurm node would run it. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STALE_RUN_EXIT, jobScript, shellQuote } from '../../../src/executors/slurm/job-script.js';
import type { Stage } from '../../../src/pipeline/types.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-job-script-'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: 1, host: 'h', id: 'run123' }));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function stage(cmd: string[], extra: Partial<Stage> = {}): Stage {
  return { name: 'train@a', cmd, wdir: 'sub', deps: [], outs: [], params: [], frozen: false, alwaysChanged: false, desc: undefined, env: {}, location: { file: 'pipeline.yaml', line: 1, column: 1 }, ...extra };
}

function run(s: Stage, runId = 'run123'): { code: number | null; stdout: string; stderr: string; status: string } {
  const script = path.join(dir, 'job.sh');
  const statusFile = path.join(dir, 'status');
  fs.writeFileSync(script, jobScript({ root: dir, stage: s, shimDir: path.join(dir, 'bin'), lockFile: path.join(dir, 'lock'), runId, statusFile, baseEnv: { SHELL: '/bin/bash' } }));
  const result = spawnSync('bash', [script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, status: fs.existsSync(statusFile) ? fs.readFileSync(statusFile, 'utf8').trim() : '' };
}

test('runs the commands in the wdir with the stage env and MLP_* variables', () => {
  const r = run(stage(['echo "$MLP_STAGE|$DVC_STAGE|$MLP_RUN_ID|$GREETING|$(pwd)"', 'echo "$MLP_ROOT" >&2'], { env: { GREETING: `it's "quoted" $HOME \`x\`` } }));
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`train@a|train@a|run123|it's "quoted" $HOME \`x\`|${path.join(dir, 'sub')}\n`);
  expect(r.stderr).toBe(`${dir}\n`);
  expect(r.status).toBe('ok');
});

test('the first failing command ends the job with its exit code; the status names it', () => {
  const r = run(stage(['echo one', 'echo two; exit 7', 'echo three']));
  expect(r.code).toBe(7);
  expect(r.stdout).toBe('one\ntwo\n');
  expect(r.status).toBe('1 7');
});

test('a multi-line command stops at its first failing line, as locally', () => {
  const r = run(stage(['echo a\nfalse\necho b']));
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('a\n');
  expect(r.status).toBe('0 1');
});

test('a job whose run no longer holds the repository lock does not run', () => {
  const r = run(stage(['touch ran']), 'other-run');
  expect(r.code).toBe(STALE_RUN_EXIT);
  expect(r.stderr).toContain("no longer holds the repository lock; not running stage 'train@a'");
  expect(fs.existsSync(path.join(dir, 'sub', 'ran'))).toBe(false);
  expect(r.status).toBe('stale');
});

test('shellQuote survives any text', () => {
  for (const text of ["a'b", '$(rm -rf /)', '"\\\n\t', '']) {
    expect(spawnSync('bash', ['-c', `printf %s ${shellQuote(text)}`], { encoding: 'utf8' }).stdout).toBe(text);
  }
});
