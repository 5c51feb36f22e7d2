/** Small filesystem helpers shared by the core modules. */
import fs from 'node:fs';
import path from 'node:path';
import { isErrnoException, withPath } from '../errors.js';
import { isProcessAlive } from './processes.js';
import { isAbandoned, tempOwnerTag } from './temp-files.js';

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

/**
 * Reads `fd` from its start: `size` bytes expected, one byte more asked for, so that a file that
 * grew shows as longer than its stat (the caller compares): one read(2) for a small file, where
 * `readFileSync` takes an fstat and two reads.
 */
export function readUpTo(fd: number, size: number): Buffer {
  return readInto(fd, Buffer.allocUnsafe(size + 1));
}

/** Files up to this size are read into one buffer kept for the thread (`readUpToScratch`). */
const SCRATCH_MAX = 1024 * 1024;
let scratch: Buffer | undefined;

/**
 * `readUpTo` into a buffer this thread reuses: the bytes are valid only until the next call.
 * For bulk work that writes what it read before it reads the next file: a fresh buffer per
 * 4 KiB file (just above Node's pooled size) was 4% of a pull of 20,000 files, and its garbage more.
 */
export function readUpToScratch(fd: number, size: number): Buffer {
  if (size + 1 > SCRATCH_MAX) return readUpTo(fd, size);
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_MAX);
  return readInto(fd, scratch.subarray(0, size + 1));
}

function readInto(fd: number, buffer: Buffer): Buffer {
  let got = 0;
  for (;;) {
    const want = buffer.length - got;
    const n = fs.readSync(fd, buffer, got, want, got);
    got += n;
    // A short read of a regular file is its end (as in src/hash/hash-file.ts).
    if (n < want || got === buffer.length) break;
  }
  return buffer.subarray(0, got);
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
 *
 * The temp names carry their owner (`.<name>.tmp.<owner>`): Ctrl-C or SIGTERM while building
 * removes this process's temp directory before the signal takes its course, and what a killed
 * process left (SIGKILL, a crash) is swept by the next build of the same `out`.
 */
export async function writeDirectoryAtomically(out: string, build: (dir: string) => Promise<void>): Promise<string[]> {
  const temp = startDirectoryBuild(out);
  const parent = path.dirname(temp);
  const old = path.join(parent, `.${path.basename(out)}.old.${tempOwnerTag()}`);
  const release = removeOnSignal(temp);
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
  } finally {
    release();
  }
}

/**
 * A new, empty directory beside `out` to build it in, `.<name>.tmp.<owner>` (see
 * `writeDirectoryAtomically`), once what killed builds of `out` left there is swept. The caller
 * renames it to `out` when it is complete, or removes it.
 */
export function startDirectoryBuild(out: string): string {
  const parent = path.dirname(path.resolve(out));
  fs.mkdirSync(parent, { recursive: true });
  sweepAbandonedBuilds(parent, path.basename(out));
  const temp = path.join(parent, `.${path.basename(out)}.tmp.${tempOwnerTag()}`);
  fs.mkdirSync(temp);
  return temp;
}

/** Temp and old directories of earlier builds of `base` in `parent` whose owner is gone. */
function sweepAbandonedBuilds(parent: string, base: string): void {
  const prefixes = [`.${base}.tmp`, `.${base}.old`];
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const rest = prefixes.map((p) => (name.startsWith(p) ? name.slice(p.length) : undefined)).find((r) => r !== undefined);
    if (rest === undefined) continue;
    // `.<owner>` since owners were recorded; `-<pid>-<hex>` before (pid only, this host).
    const legacy = /^-(\d+)-[0-9a-f]{8}$/.exec(rest);
    const stat = fs.lstatSync(path.join(parent, name), { throwIfNoEntry: false });
    if (!stat?.isDirectory()) continue;
    const abandoned = legacy ? !isProcessAlive(Number(legacy[1])) : rest.startsWith('.') && isAbandoned(rest.slice(1), stat.mtimeMs, now);
    if (!abandoned) continue;
    // Killed between moving the old output aside and moving the new one in: the old one is all
    // there is, so it goes back (the build that follows replaces it only once it has finished).
    const out = path.join(parent, base);
    if (name.startsWith(`.${base}.old`) && !fs.existsSync(out)) fs.renameSync(path.join(parent, name), out);
    else fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

const building = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function onBuildSignal(signal: NodeJS.Signals): void {
  for (const dir of building) fs.rmSync(dir, { recursive: true, force: true });
  building.clear();
  for (const s of SIGNALS) process.removeListener(s, onBuildSignal);
  // Nobody else handles the signal: let it end the process as it would have (exit 130/143).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Until the returned function is called, SIGINT/SIGTERM remove `dir` first. */
function removeOnSignal(dir: string): () => void {
  if (building.size === 0) for (const s of SIGNALS) process.on(s, onBuildSignal);
  building.add(dir);
  return () => {
    building.delete(dir);
    if (building.size === 0) for (const s of SIGNALS) process.removeListener(s, onBuildSignal);
  };
}
