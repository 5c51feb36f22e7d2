import { startStoreProgress, type ProgressStream } from '../../src/ui/progress.js';
import { renderRemoteStatus, renderTransfer, renderVerify, transferProgressUpdate } from '../../src/ui/remote.js';
import type { TransferSummary } from '../../src/remote/transfer.js';
import type { Sha256 } from '../../src/schema/sha256.js';

const summary = (over: Partial<TransferSummary> = {}): TransferSummary => ({
  remote: '/srv/cache',
  transferred: 1,
  bytes: 2048,
  upToDate: 3,
  runCacheEntries: 1,
  failures: [],
  seconds: 2,
  ...over,
});

describe('remote rendering', () => {
  test('transfer summary: singular and plural, run-cache entries, checkout', () => {
    const r = renderTransfer('pull', 'origin', summary(), { restored: 1, unchanged: 0, unavailable: 0, kept: 0, problems: [] });
    expect(r.out).toEqual([
      "Fetched 1 object (2.0 KiB) from 'origin' in 2.0 s, 1.0 KiB/s; 3 already in the cache.",
      'Received 1 run-cache entry.',
      'Checkout: 1 restored, 0 unchanged, 0 not available.',
    ]);
    expect(r.err).toEqual([]);
    expect(renderTransfer('push', 'origin', summary({ transferred: 2, runCacheEntries: 2 }), undefined).out).toEqual([
      "Pushed 2 objects (2.0 KiB) to 'origin' in 2.0 s, 1.0 KiB/s; 3 already on the remote.",
      'Sent 2 run-cache entries.',
    ]);
  });

  test('transfer failures: each path once, at most 20, and the hint for the worst reason', () => {
    const hash = 'a'.repeat(64) as Sha256;
    const failures = Array.from({ length: 22 }, (_, i) => ({ hash, path: `d/f${i}`, reason: 'missing-remote' as const, message: `d/f${i}: not there` }));
    failures.push({ hash, path: 'x', reason: 'corrupted-remote' as never, message: 'x: corrupted' });
    const r = renderTransfer('pull', 'origin', summary({ failures }), {
      restored: 0,
      unchanged: 0,
      unavailable: 2,
      kept: 0,
      problems: [
        { path: 'd', message: 'd: could not be checked out' },
        { path: 'other', message: 'other: could not be checked out' },
      ],
    });
    expect(r.err.slice(0, 2)).toEqual(['error: d/f0: not there', 'error: d/f1: not there']);
    expect(r.err).toContain('error: … and 4 more'); // 23 failures + 'other' (d is inside a failed path)
    expect(r.err.at(-1)).toMatch(/^hint: nothing corrupted entered the local cache/);
  });

  test('remote status counts partly-synced paths on both sides', () => {
    const lines = renderRemoteStatus('origin', '/srv', [
      { path: 'a', source: 'a.mlp', state: 'in-sync', localOnly: 0, remoteOnly: 0, missing: 0 },
      { path: 'bb', source: 'bb.mlp', state: 'partly', localOnly: 1, remoteOnly: 2, missing: 0 },
      { path: 'c', source: 's', state: 'not-fetched', localOnly: 0, remoteOnly: 1, missing: 0 },
    ]);
    expect(lines).toEqual([
      "Remote 'origin' (/srv):",
      '  a   in sync',
      '  bb  partly: 1 to push, 2 to pull, 0 missing everywhere',
      '  c   on the remote only (1 object): run `mlp pull`',
      '1 in sync, 1 to push, 2 to pull, 0 missing everywhere.',
    ]);
  });

  test('verify: the hint depends on --repair', () => {
    const hash = 'b'.repeat(64) as Sha256;
    const base = { remote: '/srv', checked: 3, good: 2, corrupted: 1, missing: 0, repaired: 0, deleted: 0, seconds: 1 };
    const found = renderVerify('origin', { ...base, problems: [{ hash, path: 'p', state: 'corrupted' }] }, false);
    expect(found.out).toEqual(['p  corrupted on the remote (bbbbbbbbbbbb)', "Verified 3 objects on 'origin': 1 corrupted, 0 missing."]);
    expect(found.err[0]).toMatch(/^hint: run `mlp remote verify --repair`/);
    const fixed = renderVerify('origin', { ...base, repaired: 1, problems: [{ hash, path: 'p', state: 'corrupted', repair: 'uploaded' }] }, true);
    expect(fixed.err).toEqual([]);
  });

  test('transfer progress: bytes with a total, objects as the second count', () => {
    expect(transferProgressUpdate('push', { phase: 'checking', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 }).label).toBe('push: checking what the other side has');
    expect(transferProgressUpdate('push', { phase: 'transferring', files: 2, totalFiles: 5, bytes: 10, totalBytes: 40 })).toEqual({
      label: 'push',
      done: 10,
      total: 40,
      unit: 'bytes',
      items: { done: 2, total: 5, unit: 'objects' },
    });
  });

  test('add progress prints plain lines with files and bytes when not on a terminal', async () => {
    let text = '';
    const stream: ProgressStream = { write: (t: string) => (text += t), isTTY: false };
    let time = 0;
    const progress = await startStoreProgress('add', { stream, intervalMs: 1000, now: () => time });
    progress.found(4, 4096);
    time = 1500;
    progress.stored(1024);
    progress.stop();
    expect(text).toBe('add  25%  1.0 KiB/4.0 KiB  1/4 files  683 B/s  ETA 5s\n');
  });
});
