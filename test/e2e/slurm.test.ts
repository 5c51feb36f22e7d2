/**
 * Stages run as Slurm jobs on the real single-node cluster of test/helpers/slurm.sh, through the
 * built CLI: concurrency, resources read back from Slurm, failures, a node lost mid-job and
 * `retries:`, Ctrl-C, and kill -9 of mlp with jobs in flight. Skipped (with the reason) where the
 * cluster cannot start; in CI it must.
 */
import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, read, runMlp, startMlp, waitFor } from '../helpers/cli.js';
import { showJob, slurm, startSlurm, stopSlurm } from '../helpers/slurm.js';

const cluster = startSlurm();
if (!cluster.ok) console.warn(`skipping the Slurm tests: the test cluster did not start: ${cluster.reason}`);
const describeSlurm = cluster.ok ? describe : describe.skip;
// Each test takes a few seconds; a machine running many test files at once may take much longer.
jest.setTimeout(150_000);
const conf = cluster.ok ? cluster.conf : '';

const previousConf = process.env.SLURM_CONF;
beforeAll(() => {
  process.env.SLURM_CONF = conf; // runMlp and startMlp pass the environment on
});
afterAll(() => {
  if (previousConf === undefined) delete process.env.SLURM_CONF;
  else process.env.SLURM_CONF = previousConf;
  stopSlurm(cluster);
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(pipeline: string, files: Record<string, string> = {}): string {
  const dir = makeRepo({ 'pipeline.yaml': pipeline, ...files });
  dirs.push(dir);
  return dir;
}

/** `mlp repro` of one Slurm stage that sleeps a minute, once its job runs: the repository, the mlp process and the job id. */
async function startSlowJob(): Promise<{ dir: string; id: string } & ReturnType<typeof startMlp>> {
  const dir = repo(`
stages:
  slow:
    cmd: echo $SLURM_JOB_ID > slow.job; sleep 60; echo late > out.txt
    outs: [out.txt]
    executor: slurm
`);
  const started = startMlp(dir, ['repro']);
  await waitFor(() => fs.existsSync(path.join(dir, 'slow.job')) && read(dir, 'slow.job').trim() !== '', 60000);
  return { dir, id: read(dir, 'slow.job').trim(), ...started };
}

const state = (id: string): string => showJob(conf, id).JobState ?? '';
const lockJobs = (dir: string): unknown[] => {
  const file = path.join(dir, '.mlp/tmp/lock');
  return fs.existsSync(file) ? ((JSON.parse(fs.readFileSync(file, 'utf8')) as { jobs?: unknown[] }).jobs ?? []) : [];
};

describeSlurm('the Slurm executor', () => {
  test('independent stages run at the same time as jobs, with their resources, and outputs are committed here', () => {
    // Each waits (up to 40 s) for the other to have started: this only passes when both jobs run at once.
    const stage = (me: string, other: string): string =>
      `echo $SLURM_JOB_ID > ${me}.job; touch started-${me}; i=0; while [ ! -e started-${other} ] && [ $i -lt 400 ]; do sleep 0.1; i=$((i+1)); done; ` +
      `[ -e started-${other} ] && echo ${me}-saw-${other} && echo ${me} > ${me}.txt`;
    const dir = repo(`
stages:
  left:
    cmd: ${JSON.stringify(stage('left', 'right'))}
    outs: [left.txt]
    resources: {cpu: 1, memory: 300MB, time: 10m}
    slurm: {comment: mlp-e2e, nice: 5}
  right:
    cmd:
      - ${JSON.stringify(stage('right', 'left'))}
      - echo "$MLP_STAGE $GREETING from $(pwd)" >&2
    outs: [right.txt]
    env: {GREETING: "it's me"}
  join:
    cmd: cat left.txt right.txt > both.txt
    deps: [left.txt, right.txt]
    outs: [both.txt]
`);
    const result = runMlp(dir, ['repro', '-j', '4', '--executor', 'slurm']);
    expect(result.stderr).toContain(`[right] right it's me from ${dir}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[left] left-saw-right');
    expect(result.stdout).toContain('[right] right-saw-left');
    expect(read(dir, 'both.txt')).toBe('left\nright\n');
    // Hashed and recorded on this host, as for a local run.
    expect(read(dir, 'pipeline.lock')).toMatch(/path: both.txt\n\s+sha256: [0-9a-f]{64}/);

    const left = showJob(conf, read(dir, 'left.job').trim());
    expect(left.JobState).toBe('COMPLETED');
    expect(left.Comment).toBe('mlp-e2e');
    expect(left.Nice).toBe('5');
    expect(left.TimeLimit).toBe('00:10:00');
    expect(left['CPUs/Task']).toBe('1');
    expect(left.MinMemoryNode).toBe('287M'); // 300 MB = 286.1 MiB, rounded up
    expect(left.JobName).toBe('mlp:left');
    // Stage files cleaned, no job left recorded.
    expect(fs.readdirSync(path.join(dir, '.mlp/tmp/slurm'))).toEqual([]);
  });

  test('a failing command fails its job and the stage; later commands do not run and the lock keeps the previous entry', () => {
    const dir = repo(`
stages:
  fail:
    cmd:
      - echo one > out.txt
      - echo oops >&2; exit 3
      - echo never > never.txt
    outs: [out.txt]
    executor: slurm
`);
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('[fail] oops');
    expect(result.stderr).toContain("error: stage 'fail' failed: command exited with code 3: echo oops >&2; exit 3");
    expect(fs.existsSync(path.join(dir, 'never.txt'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'pipeline.lock'))).toBe(false);
  });

  test('a job lost with its node is reported with Slurm reason and resubmitted with retries:', async () => {
    const dir = repo(`
stages:
  flaky:
    cmd: if [ ! -e tried ]; then touch tried; echo $SLURM_JOB_ID > first.job; sleep 60; fi; echo ok > out.txt
    outs: [out.txt]
    executor: slurm
    retries: 1
`);
    const { child, done } = startMlp(dir, ['repro']);
    try {
      await waitFor(() => fs.existsSync(path.join(dir, 'first.job')) && read(dir, 'first.job').trim() !== '', 60000);
      slurm(conf, 'scontrol', 'update', 'NodeName=localhost', 'State=DOWN', 'Reason=mlp-test');
      const first = read(dir, 'first.job').trim();
      await waitFor(() => state(first) === 'NODE_FAIL', 60000);
    } finally {
      // The resubmitted job waits for the node to come back.
      resumeNode();
    }
    const result = await done;
    expect(child.exitCode).toBe(0);
    expect(result.stderr).toMatch(/warning: stage 'flaky': Slurm job \d+ was lost with its node \(NODE_FAIL, reason NodeDown\); resubmitting \(retry 1 of 1\)/);
    expect(read(dir, 'out.txt')).toBe('ok\n');
  });

  test('Ctrl-C cancels the jobs in flight and keeps the lock entry', async () => {
    const { dir, child, done, id } = await startSlowJob();
    expect(state(id)).toBe('RUNNING');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("interrupted 'slow'");
    expect(state(id)).toBe('CANCELLED');
    expect(fs.existsSync(path.join(dir, 'out.txt'))).toBe(false);
  });

  test('after kill -9 of mlp, the next mlp cancels the jobs the dead one left before it runs', async () => {
    const { dir, child, done, id } = await startSlowJob();
    expect(lockJobs(dir)).toEqual([{ executor: 'slurm', id, conf }]);
    child.kill('SIGKILL');
    await done;
    expect(state(id)).toBe('RUNNING'); // nothing stopped it

    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), 'stages:\n  slow:\n    cmd: echo new > out.txt\n    outs: [out.txt]\n    executor: slurm\n');
    const result = runMlp(dir, ['repro']);
    expect(result.stderr).toContain(`cancelled its Slurm jobs still queued or running (job ${id})`);
    expect(result.code).toBe(0);
    expect(state(id)).toBe('CANCELLED');
    expect(read(dir, 'out.txt')).toBe('new\n');
  });

  test('a stage the cluster cannot place is refused with sbatch reason', () => {
    const dir = repo(`
stages:
  big:
    cmd: echo hi > out.txt
    outs: [out.txt]
    executor: slurm
    slurm: {partition: nosuchpartition}
`);
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 'big' failed: Slurm refused the job of stage 'big': sbatch: error: invalid partition specified: nosuchpartition");
  });

  // Slurm enforces time limits in whole minutes, checked every 30 s: about 85 s per test.
  (process.env.MLP_SLURM_SLOW ? test : test.skip)(
    'a job over its time limit fails with Slurm reason (MLP_SLURM_SLOW=1)',
    () => {
      const dir = repo(`
stages:
  long:
    cmd: sleep 300
    outs: [out.txt]
    executor: slurm
    resources: {time: 1m}
`);
      const result = runMlp(dir, ['repro']);
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(/error: stage 'long' failed: Slurm job \d+ hit its time limit \(TIMEOUT, reason TimeLimit\)/);
    },
    180_000,
  );
});

function resumeNode(): void {
  try {
    slurm(conf, 'scontrol', 'update', 'NodeName=localhost', 'State=RESUME');
  } catch {
    // ReturnToService may have brought it back already.
  }
}
