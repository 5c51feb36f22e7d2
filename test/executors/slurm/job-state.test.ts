/** Parsing what squeue and scontrol say (texts captured from slurm-wlm 22.05). */
import { describeEnding, isRetryable, isTerminal, parseQueue, parseScontrolJob } from '../../../src/executors/slurm/job-state.js';

const TIMED_OUT =
  'JobId=3 JobName=wrap UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 Nice=0 Account=(null) QOS=(null) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:15 RunTime=00:01:22 TimeLimit=00:01:00 TimeMin=N/A Partition=debug NodeList=localhost Command=/tmp/x.sh WorkDir=/tmp StdErr=/tmp/slj2.out StdOut=/tmp/slj2.out Power= \n';
const FAILED = 'JobId=4 JobName=wrap JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:00\n';

test('scontrol show job -o', () => {
  expect(parseScontrolJob(TIMED_OUT)).toMatchObject({ id: '3', state: 'TIMEOUT', reason: 'TimeLimit', exitCode: 0, signal: 15 });
  expect(parseScontrolJob(FAILED)).toMatchObject({ id: '4', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: 0 });
  expect(parseScontrolJob('slurm_load_jobs error: Invalid job id specified')).toBeUndefined();
});

test('squeue lines', () => {
  expect(parseQueue('12|RUNNING|None\n13|PENDING|Resources\n\n')).toEqual([
    { id: '12', state: 'RUNNING', reason: 'None' },
    { id: '13', state: 'PENDING', reason: 'Resources' },
  ]);
});

test('terminal and retryable states', () => {
  expect(['PENDING', 'RUNNING', 'COMPLETING', 'SUSPENDED'].some(isTerminal)).toBe(false);
  expect(['COMPLETED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'CANCELLED by 0', 'OUT_OF_MEMORY'].every(isTerminal)).toBe(true);
  expect(['TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'VANISHED'].every(isRetryable)).toBe(true);
  expect(['FAILED', 'CANCELLED', 'OUT_OF_MEMORY', 'COMPLETED'].some(isRetryable)).toBe(false);
});

test('words for an ending', () => {
  expect(describeEnding('TIMEOUT', 'TimeLimit')).toBe('hit its time limit (TIMEOUT, reason TimeLimit)');
  expect(describeEnding('VANISHED', '')).toBe('is no longer known to Slurm (VANISHED)');
});
