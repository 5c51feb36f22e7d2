/** Small filesystem helpers shared by the core modules. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isErrnoException, withPath } from '../errors.js';
import { tempOwnerTag } from './temp-files.js';

/**
 * Writes `data` to a temp file next to `file` and renames it into place (atomic on POSIX). With
 * `mode` (e.g. 0o600 for files holding secrets) the file has that mode from its creation on. The
 * temp name carries its owner, so gc can remove it if this process is killed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  const tmp = `${file}.${tempOwnerTag()}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    // The temp name means nothing to a user, and a failed write(2) names no file at all.
    if (isErrnoException(error) && error.path === tmp) error.path = file;
    throw withPath(error, file);
  }
}

/** The target of `abs` when it is a symlink that points nowhere; undefined otherwise. */
export function danglingSymlinkTarget(abs: string): string | undefined {
  const stat = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!stat?.isSymbolicLink() || fs.existsSync(abs)) return undefined;
  return fs.readlinkSync(abs);
}

/** Removes a file or directory tree; read-only entries (cache links) are removed too. */
export function removePath(target: string): void {
  fs.rmSync(target, { recursive: true, force: true });
}

/** True when `child` equals `parent` or lies inside it (both repo-relative POSIX paths). */
export function isSameOrInside(child: string, parent: string): boolean {
  return child === parent || parent === '.' || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/**
 * Builds directory `out` in a sibling temp directory, then swaps it into place; the previous
 * `out`, if any, is removed only once the new one is complete, so a failure never leaves a
 * half-written output behind. Returns the paths of the top-level entries written.
 */
export async function writeDirectoryAtomically(out: string, build: (dir: string) => Promise<void>): Promise<string[]> {
  const parent = path.dirname(path.resolve(out));
  await fs.promises.mkdir(parent, { recursive: true });
  const stamp = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = path.join(parent, `.${path.basename(out)}.tmp-${stamp}`);
  const old = path.join(parent, `.${path.basename(out)}.old-${stamp}`);
  await fs.promises.mkdir(temp);
  try {
    await build(temp);
    const files = (await fs.promises.readdir(temp)).sort();
    const hadOld = fs.existsSync(out);
    if (hadOld) await fs.promises.rename(out, old);
    await fs.promises.rename(temp, out);
    if (hadOld) await fs.promises.rm(old, { recursive: true, force: true });
    return files.map((f) => path.join(out, f));
  } catch (error) {
    await fs.promises.rm(temp, { recursive: true, force: true });
    throw error;
  }
}
