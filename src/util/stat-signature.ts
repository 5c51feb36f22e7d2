/**
 * A file's stat signature — inode, mtime and size — is how mlp's caches tell that a file did not
 * change without reading it: the hash state (src/hash/state-cache.ts), the parse cache
 * (src/util/parse-cache.ts) and the lock journal's base (src/lock/lock-journal.ts) all use this
 * one form, so "unchanged" means the same thing everywhere.
 */
import fs from 'node:fs';

export function statSignature(stat: fs.Stats): string {
  return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}

/** The signature of `file` (symlinks followed), or undefined if it cannot be stat'ed. */
export function signatureOf(file: string): string | undefined {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat ? statSignature(stat) : undefined;
  } catch {
    return undefined;
  }
}

/** The signatures of `files` in one string (`-` for a missing file): equal means none changed. */
export function fingerprint(files: readonly string[]): string {
  return files.map((file) => signatureOf(file) ?? '-').join('|');
}
