/**
 * The one transfer between object databases, either way: push is `transfer(cache, remote)`,
 * fetch is `transfer(remote, cache)`. It asks the destination what it lacks (in bulk), moves the
 * rest with `jobs` in flight — each object read verified from the source and written verified
 * into the destination — and returns a typed result. What to transfer and in which order
 * (directory manifests after or before their files) is the caller's policy (src/remote/sync.ts).
 * Core only: no printing.
 */
import fs from 'node:fs';
import { MlpError } from '../errors.js';
import type { Sha256 } from '../schema/sha256.js';
import { forEachLimit } from '../util/pool.js';
import { BULK_MIN, isItemError } from '../util/bulk.js';
import { copyObjects, type CopyItem } from './bulk-copy.js';
import { sameFile, type FileIdentity } from '../util/stat-signature.js';
import { isReadProblem, type LocalObjectFiles, type ObjectDb } from './object-db.js';

/** A mutable counter the CLI renders while a transfer runs. */
export interface TransferProgress {
  phase: 'collecting' | 'checking' | 'transferring' | 'checkout' | 'done';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export function newProgress(): TransferProgress {
  return { phase: 'collecting', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 };
}

/** One object to move; `path` is the workspace path that needs it, for messages. */
export interface TransferItem {
  hash: Sha256;
  size: number | undefined;
  path: string;
}

/** An object that could not be moved because the source lacks it or holds it damaged. */
export interface SourceFailure {
  item: TransferItem;
  problem: 'missing' | 'corrupt';
  /** What the damaged bytes hash to, when known. */
  actual?: string | undefined;
}

export interface TransferResult {
  /** Objects written to the destination. */
  transferred: Sha256[];
  /** Objects the destination already had. */
  skipped: number;
  failed: SourceFailure[];
  /** Bytes that crossed the wire. */
  bytes: number;
}

export interface TransferOpts {
  jobs: number;
  signal?: AbortSignal | undefined;
  progress?: TransferProgress | undefined;
  /** The caller already knows the destination lacks all of `items`: skip asking. */
  destinationLacks?: boolean;
  /** Files beyond the destination that each object's verified bytes go to as well. */
  also?: AlsoWrite | undefined;
}

/**
 * New files beyond the destination database that an object's verified bytes are written to as
 * well (a pull's new workspace paths: src/cache/checkout.ts, `prepareNewPaths`), in
 * directories private to the caller. Only a source on this machine (`localFiles`) writes them:
 * the bulk copy from the bytes it verified, one by one a kernel copy beside the verifying read
 * (`copyAlongside`). The caller places whatever `written` did not hear of.
 */
export interface AlsoWrite {
  destinations: ReadonlyMap<Sha256, readonly string[]>;
  written(dest: string, stat: FileIdentity): void;
}

export async function transfer(src: ObjectDb, dst: ObjectDb, items: readonly TransferItem[], opts: TransferOpts): Promise<TransferResult> {
  const progress = opts.progress;
  const unique = new Map<Sha256, TransferItem>();
  for (const item of items) if (!unique.has(item.hash)) unique.set(item.hash, item);
  const there = opts.destinationLacks ? new Set<Sha256>() : await dst.hasMany([...unique.keys()], opts.jobs, opts.signal);
  const send = [...unique.values()].filter((o) => !there.has(o.hash));
  if (progress) {
    progress.totalFiles += send.length;
    progress.totalBytes += send.reduce((n, o) => n + (o.size ?? 0), 0);
  }
  await dst.prepareWrites?.(
    send.map((o) => o.hash),
    opts.jobs,
    opts.signal,
  );
  const result: TransferResult = { transferred: [], skipped: there.size, failed: [], bytes: 0 };
  const counted = (n: number): void => {
    result.bytes += n;
    if (progress) progress.bytes += n;
  };
  const done = src.localFiles && dst.localFiles ? copyLocally(src.localFiles, dst.localFiles, send, result, progress, opts.also) : undefined;
  const rest = done ? send.filter((o) => !done.has(o.hash)) : send;
  result.failed.push(
    ...(await pool<TransferItem, SourceFailure>(rest, opts.jobs, opts.signal, async (o) => {
      const into = dst.stagingPath?.(o.hash);
      let handedOver = false;
      // The extra places, copied by the kernel from the source's file while it is read and hashed.
      const alongside = copyAlongside(src.localFiles, o.hash, opts.also);
      try {
        let content;
        try {
          content = await src.read(o.hash, { size: o.size, into, signal: opts.signal, progress: counted });
        } catch (error) {
          throw (into !== undefined ? dst.writeError?.(error) : undefined) ?? error;
        }
        if (isReadProblem(content)) {
          throw new ItemFailure<SourceFailure>({ item: o, problem: content.problem, actual: content.problem === 'corrupt' ? content.actual : undefined });
        }
        try {
          await dst.write(o.hash, content, counted);
        } catch (error) {
          throw dst.writeError?.(error) ?? error;
        }
        handedOver = true;
        result.transferred.push(o.hash);
        if (progress) progress.files++;
        await alongside?.settle(o.size);
      } finally {
        if (into !== undefined && !handedOver) fs.rmSync(into, { force: true });
        await alongside?.discard();
      }
    })),
  );
  return result;
}

/** Objects up to this size are copied in bulk between two databases on this machine (read whole). */
const LOCAL_COPY_MAX = 256 * 1024;

/**
 * Copies the small objects of `send` from `src` to `dst`, both plain files on this machine, on all
 * cores (src/util/bulk.ts): each read whole, hashed, written to a temp name beside its place and
 * renamed, as `read` and `write` would one by one. Returns the hashes it dealt with (copied, or a
 * source failure recorded in `result`); anything else (e.g. a full disk) is left to the one-by-one
 * path, whose error is the real one. Below BULK_MIN objects it does nothing.
 */
function copyLocally(
  src: LocalObjectFiles,
  dst: LocalObjectFiles,
  send: readonly TransferItem[],
  result: TransferResult,
  progress: TransferProgress | undefined,
  also: AlsoWrite | undefined,
): Set<Sha256> | undefined {
  const small = send.filter((o): o is TransferItem & { size: number } => o.size !== undefined && o.size <= LOCAL_COPY_MAX);
  if (small.length < BULK_MIN) return undefined;
  const items: CopyItem[] = small.map((o) => ({
    hash: o.hash,
    size: o.size,
    from: src.path(o.hash),
    tmp: dst.tempPath(o.hash),
    dest: dst.path(o.hash),
    also: also?.destinations.get(o.hash),
  }));
  const dealt = new Set<Sha256>();
  const onItems = (from: number, to: number): void => {
    if (!progress) return;
    progress.files += to - from;
    for (let i = from; i < to; i++) progress.bytes += (items[i] as { size: number }).size;
  };
  copyObjects(items, { mode: 0o444, signatures: false }, onItems).forEach((r, i) => {
    const o = small[i] as TransferItem & { size: number };
    if (isItemError(r)) return;
    dealt.add(o.hash);
    if ('problem' in r) {
      if (r.problem === 'corrupt') src.damaged(o.hash);
      result.failed.push({ item: o, problem: r.problem });
    } else {
      result.transferred.push(o.hash);
      result.bytes += o.size;
      r.also?.forEach((stat, k) => also?.written((items[i] as CopyItem).also?.[k] as string, stat));
    }
  });
  return dealt;
}

/**
 * The `also` places of object `hash` read one by one from a source on this machine: the kernel
 * copies the source's file to each while the read hashes it (a clone where it can). `settle`,
 * once the read verified the object, reports the copies if the source stayed the same file with
 * the same signature from before the read to after it and the copies — then they hold the bytes
 * the read verified, with the trust mlp puts in a stat signature everywhere; `discard` removes
 * what was not reported.
 */
function copyAlongside(
  src: LocalObjectFiles | undefined,
  hash: Sha256,
  also: AlsoWrite | undefined,
): { settle(size: number | undefined): Promise<void>; discard(): Promise<void> } | undefined {
  const dests = src && also?.destinations.get(hash);
  if (!src || !also || !dests) return undefined;
  const file = src.path(hash);
  // Taken before the read starts, so that an unchanged signature at the end spans the whole read.
  const before = fs.statSync(file, { throwIfNoEntry: false });
  if (!before) return undefined; // the read reports it
  // Never rejects: a failed copy only means the places are not reported.
  const copied = Promise.allSettled(dests.map((dest) => fs.promises.copyFile(file, dest, fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL))).then((copies) =>
    copies.every((c) => c.status === 'fulfilled'),
  );
  let reported = false;
  return {
    async settle(size) {
      try {
        const ok = await copied;
        const after = await fs.promises.stat(file);
        if (!ok || !sameFile(before, after) || (size !== undefined && after.size !== size)) return;
        const stats = await Promise.all(dests.map((dest) => fs.promises.stat(dest)));
        if (stats.some((s) => s.size !== after.size)) return;
        dests.forEach((dest, i) => also.written(dest, stats[i] as fs.Stats));
        reported = true;
      } catch {
        // Not reported: the caller places these files itself.
      }
    },
    async discard() {
      await copied;
      if (!reported) await Promise.all(dests.map((dest) => fs.promises.rm(dest, { force: true })));
    },
  };
}

/** A per-item outcome that does not stop a `pool`: collected, and the other items go on. */
export class ItemFailure<F> extends Error {
  constructor(readonly failure: F) {
    super('item failed');
  }
}

const interruptedError = (): MlpError =>
  new MlpError('transfer interrupted', { hint: 'rerun the same command: what was transferred is kept', exitCode: 130 });

/**
 * Runs `work` over `items`, `jobs` at a time, through the one worker pool (src/util/pool.ts). An
 * `ItemFailure` is collected and the rest go on; any other error stops new work, waits for what
 * is in flight, and is rethrown. An abort of `signal` stops new work with an "interrupted" error
 * (exit 130).
 */
export async function pool<T, F = never>(items: readonly T[], jobs: number, signal: AbortSignal | undefined, work: (item: T) => Promise<void>): Promise<F[]> {
  const failures: F[] = [];
  await forEachLimit(
    items,
    jobs,
    async (item) => {
      try {
        await work(item);
      } catch (error) {
        if (!(error instanceof ItemFailure)) throw error;
        failures.push(error.failure as F);
      }
    },
    { ...(signal ? { signal } : {}), aborted: interruptedError },
  );
  return failures;
}
