/** Shared plumbing for command actions: finding the repository, the repo lock, output helpers. */
import { InvalidArgumentError } from 'commander';
import { ExitCode } from '../errors.js';
import type { Repo } from '../repo/repo.js';

export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs `action` on the repository around the current directory. With `lockFor` (the command
 * line, for the lock's record) the repository lock is held for the duration.
 */
export async function withRepo<T>(lockFor: string | undefined, action: (repo: Repo) => Promise<T> | T): Promise<T> {
  const { Repo } = await import('../repo/repo.js');
  const repo = Repo.find();
  repo.validateConfig();
  if (lockFor) repo.acquireLock(lockFor, warn);
  // Last line of defence: if the action's promise can never settle (an I/O callback that never
  // comes), Node would drain its event loop and exit 0 with nothing said, leaving the lock.
  const stalled = (): void => {
    process.stderr.write('error: mlp stopped before the command finished: an operation was never answered (a lost connection?)\n');
    process.stderr.write('hint: rerun the same command; what was finished is kept\n');
    repo.close();
    process.exit(ExitCode.failure);
  };
  process.once('beforeExit', stalled);
  try {
    return await action(repo);
  } finally {
    process.off('beforeExit', stalled);
    repo.close();
  }
}

export function commandLine(): string {
  return ['mlp', ...process.argv.slice(2)].join(' ');
}
