/**
 * A file's stat signature — inode, mtime and size — is how mlp's caches tell that a file did not
 * change without reading it: the hash state (src/hash/state-cache.ts), the parse cache
 * (src/util/parse-cache.ts), the lock journal's base (src/lock/lock-journal.ts) and the object
 * store's check that a file did not change while it was stored (`sameFile`) all use this one
 * definition, so "unchanged" means the same thing everywhere. The hash state keeps it as
 * numbers (it compares tens of thousands per command, and turning a fractional mtime into text
 * costs microseconds each); a fingerprint of a few files is text.
 */
import fs from 'node:fs';

export type StatSignature = readonly [ino: number, mtimeMs: number, size: number];

/**
 * The fields of a stat that make its signature: an `fs.Stats`, or just these three numbers
 * (a walk of 20,000 files keeps these rather than 20,000 `Stats`, each with four `Date`s, whose
 * garbage collection cost more than the stats themselves).
 */
export interface Signed {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly size: number;
}

export function statSignature(stat: Signed): StatSignature {
  return [stat.ino, stat.mtimeMs, stat.size];
}

/** Whether `stat` has the signature held in the first three elements of `recorded`. */
export function sameSignature(recorded: readonly unknown[], stat: Signed): boolean {
  return recorded[0] === stat.ino && recorded[1] === stat.mtimeMs && recorded[2] === stat.size;
}

/** A signature with its device: which file, and which version of it (what `sameFile` compares). */
export interface FileIdentity extends Signed {
  readonly dev: number;
}

/**
 * Whether two stats (e.g. before and after reading a file) describe the same, unchanged file: the
 * signature, and the device too, since the two may come from different paths (a hardlink).
 */
export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && sameSignature(statSignature(a), b);
}

/** The signature of `file` (symlinks followed) as text, or undefined if it cannot be stat'ed. */
export function signatureOf(file: string): string | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  return stat ? statSignature(stat).join(':') : undefined;
}

/** The signatures of `files` in one string (`-` for a missing file): equal means none changed. */
export function fingerprint(files: readonly string[]): string {
  return files.map((file) => signatureOf(file) ?? '-').join('|');
}
