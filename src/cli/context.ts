/** Shared plumbing for command actions: finding the repository, the repo lock, output helpers. */
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
  if (lockFor) repo.acquireLock(lockFor, warn);
  try {
    return await action(repo);
  } finally {
    repo.close();
  }
}

export function commandLine(): string {
  return ['mlp', ...process.argv.slice(2)].join(' ');
}
