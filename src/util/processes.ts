/**
 * What mlp needs to know about other processes on this host: whether a pid runs, whether it is
 * still the process that was recorded (its start time: pids are reused), and which processes
 * are in a process group and carry a marker in their environment. Linux answers through /proc;
 * elsewhere only liveness is known, and the callers stay on the safe side.
 */
import fs from 'node:fs';
import { errorCode } from '../errors.js';

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The start time of `pid` (clock ticks since boot, /proc/<pid>/stat field 22); undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Whether `pid` runs and, when its start time was recorded, is still that same process. */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/** Pids of the processes in process group `pgid` (Linux); undefined where /proc is not there. */
export function processGroupMembers(pgid: number): number[] | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    if (statFields(Number(entry))?.[2] === String(pgid)) members.push(Number(entry));
  }
  return members;
}

/** Whether the environment of `pid` holds `entry` (`NAME=value`); false when it cannot be read. */
export function processEnvironmentHas(pid: number, entry: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry);
  } catch {
    return false;
  }
}
