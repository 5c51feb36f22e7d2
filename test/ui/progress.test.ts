import { jest } from '@jest/globals';
import {
  checkoutProgressUpdate,
  formatProgress,
  reproProgressUpdate,
  startProgress,
  startStoreProgress,
  type ProgressStream,
} from '../../src/ui/progress.js';

/** A stream that records what is written; `tty` makes it look like a terminal to ora. */
class Recorder implements ProgressStream {
  text = '';
  readonly columns = 120;
  constructor(readonly isTTY = false) {}
  write(chunk: string | Uint8Array): boolean {
    this.text += String(chunk);
    return true;
  }
  // What ora calls on a terminal stream to clear its line.
  cursorTo(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearLine(): boolean {
    this.text += '<clear>';
    return true;
  }
  on(): this {
    return this;
  }
  once(): this {
    return this;
  }
  removeListener(): this {
    return this;
  }
}

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('formatProgress', () => {
  test('counts, percentage, rate and ETA of a counted task', () => {
    const line = formatProgress({ label: 'epoch 2/4', done: 25_600, total: 51_200, unit: 'img', detail: 'loss 1.566' }, { rate: 256 });
    expect(line).toBe('epoch 2/4  50%  25600/51200 img  256 img/s  ETA 1m40s  loss 1.566');
  });

  test('a byte transfer: sizes in binary units, files, a rate in B/s', () => {
    const MiB = 1024 * 1024;
    const update = { label: 'push', done: 12 * MiB, total: 40 * MiB, unit: 'bytes', items: { done: 3, total: 10, unit: 'files' } };
    expect(formatProgress(update, { rate: 2 * MiB })).toBe('push  30%  12.0 MiB/40.0 MiB  3/10 files  2.0 MiB/s  ETA 14s');
    expect(formatProgress(update, { bar: 10 })).toBe('push  ███░░░░░░░ 30%  12.0 MiB/40.0 MiB  3/10 files');
    expect(formatProgress({ label: 'push', done: 500, total: 1000, unit: 'bytes' }, { rate: 104.06111509289397 })).toBe('push  50%  500 B/1000 B  104 B/s  ETA 5s');
  });

  test('pipeline stages: counts and the running stages, no rate or ETA (stages take very unequal time)', () => {
    expect(formatProgress(reproProgressUpdate(1, 3, ['b', 'c']), { rate: 0.5 })).toBe('repro  33%  1/3 stages  running b, c');
    expect(formatProgress(reproProgressUpdate(3, 3, []), { rate: 0.5, bar: 4 })).toBe('repro  ████ 100%  3/3 stages');
  });

  test('checkout: bytes of the recorded paths, and the paths', () => {
    const MiB = 1024 * 1024;
    expect(formatProgress(checkoutProgressUpdate({ paths: 1, totalPaths: 3, bytes: 10 * MiB, totalBytes: 40 * MiB }), { rate: 10 * MiB })).toBe(
      'checkout  25%  10.0 MiB/40.0 MiB  1/3 paths  10.0 MiB/s  ETA 3s',
    );
    expect(formatProgress(checkoutProgressUpdate({ paths: 0, totalPaths: 1, bytes: 0, totalBytes: 2048 }))).toBe('checkout  0%  0 B/2.0 KiB  0/1 path');
  });

  test('an unknown total: no percentage, no ETA', () => {
    expect(formatProgress({ label: 'downloading', done: 1536, unit: 'bytes' }, { rate: 1024 })).toBe('downloading  1.5 KiB  1.0 KiB/s');
    expect(formatProgress({ label: 'fitting', done: 12, unit: 'iterations' })).toBe('fitting  12 iterations');
  });
});

describe('startProgress', () => {
  test('off prints nothing', async () => {
    const stream = new Recorder();
    const progress = await startProgress({ stream, mode: 'off' });
    progress.update({ label: 'x', done: 1, unit: 'img' });
    progress.log('kept');
    progress.done();
    expect(stream.text).toBe('');
  });

  test('not a terminal: a plain line at most every interval, logged lines at once', async () => {
    const stream = new Recorder(false);
    const time = clock();
    const progress = await startProgress({ stream, intervalMs: 10_000, now: time.now });
    progress.update({ label: 'epoch 1/2', done: 0, total: 1000, unit: 'img' });
    time.advance(4_000);
    progress.update({ label: 'epoch 1/2', done: 400, total: 1000, unit: 'img' });
    expect(stream.text).toBe(''); // nothing before the interval: short runs stay quiet
    time.advance(6_000);
    progress.update({ label: 'epoch 1/2', done: 500, total: 1000, unit: 'img' });
    expect(stream.text).toBe('epoch 1/2  50%  500/1000 img  50 img/s  ETA 10s\n');
    time.advance(1_000);
    progress.update({ label: 'epoch 1/2', done: 600, total: 1000, unit: 'img' });
    progress.log('epoch 1/2  loss 1.000');
    progress.done();
    expect(stream.text).toBe('epoch 1/2  50%  500/1000 img  50 img/s  ETA 10s\nepoch 1/2  loss 1.000\n');
  });

  test('a new label restarts the rate (each epoch its own speed)', async () => {
    const stream = new Recorder(false);
    const time = clock();
    const progress = await startProgress({ stream, intervalMs: 0, now: time.now });
    progress.update({ label: 'epoch 1/2', done: 0, total: 2000, unit: 'img' });
    time.advance(10_000);
    progress.update({ label: 'epoch 1/2', done: 1000, total: 2000, unit: 'img' });
    progress.update({ label: 'epoch 2/2', done: 1000, total: 2000, unit: 'img' });
    time.advance(1_000);
    progress.update({ label: 'epoch 2/2', done: 1500, total: 2000, unit: 'img' });
    expect(stream.text.split('\n')).toEqual([
      'epoch 1/2  0%  0/2000 img',
      'epoch 1/2  50%  1000/2000 img  100 img/s  ETA 10s',
      'epoch 2/2  50%  1000/2000 img',
      'epoch 2/2  75%  1500/2000 img  500 img/s  ETA 1s',
      '',
    ]);
  });

  test('a terminal gets one status line with a bar, redrawn in place and cleared at the end', async () => {
    const stream = new Recorder(true);
    const time = clock();
    const progress = await startProgress({ stream, mode: 'terminal', now: time.now });
    progress.update({ label: 'vectorizing', done: 50, total: 100, unit: 'documents' });
    time.advance(10); // within the redraw interval: not drawn
    progress.update({ label: 'vectorizing', done: 60, total: 100, unit: 'documents' });
    expect(stream.text).toContain('vectorizing  ██████████░░░░░░░░░░ 50%  50/100 documents');
    expect(stream.text).not.toContain('60/100');
    time.advance(200);
    progress.update({ label: 'vectorizing', done: 70, total: 100, unit: 'documents' });
    expect(stream.text).toContain('70/100 documents');
    const before = stream.text.length;
    progress.log('a line that stays');
    progress.done();
    const after = stream.text.slice(before);
    expect(after).toContain('a line that stays\n');
    expect(after.endsWith('<clear>') || after.includes('<clear>')).toBe(true);
  });

  test('lines: false shows nothing when not on a terminal (mlp repro logs its stages already)', async () => {
    const stream = new Recorder(false);
    const progress = await startProgress({ stream, lines: false, intervalMs: 0 });
    progress.update(reproProgressUpdate(1, 2, ['a']));
    progress.pause();
    progress.done();
    expect(stream.text).toBe('');
  });

  test('lines: false still draws the status line on a terminal', async () => {
    const stream = new Recorder(true);
    const progress = await startProgress({ stream, mode: 'terminal', lines: false });
    progress.update(reproProgressUpdate(1, 2, ['b']));
    progress.done();
    expect(stream.text).toContain('repro  ██████████░░░░░░░░░░ 50%  1/2 stages  running b');
  });

  test('pause takes the status line away, and the next update draws it at once', async () => {
    const stream = new Recorder(true);
    const time = clock();
    const progress = await startProgress({ stream, mode: 'terminal', now: time.now });
    progress.update(reproProgressUpdate(0, 2, ['a']));
    const before = stream.text.length;
    progress.pause();
    expect(stream.text.slice(before)).toContain('<clear>');
    const paused = stream.text.length;
    progress.update(reproProgressUpdate(1, 2, [])); // same instant: drawn anyway
    expect(stream.text.slice(paused)).toContain('50%  1/2 stages');
    progress.done();
  });

  test('an update within the redraw interval is drawn a little later, not lost', async () => {
    jest.useFakeTimers();
    try {
      const stream = new Recorder(true);
      const time = clock();
      const progress = await startProgress({ stream, mode: 'terminal', now: time.now, redrawMs: 100 });
      progress.update(reproProgressUpdate(0, 2, ['a']));
      progress.update(reproProgressUpdate(0, 2, ['a', 'b']));
      expect(stream.text).not.toContain('running a, b');
      time.advance(100);
      jest.advanceTimersByTime(100);
      expect(stream.text).toContain('running a, b');
      progress.done();
    } finally {
      jest.useRealTimers();
    }
  });

  test('add of one large file advances by the bytes read, not only when the file is done', async () => {
    const stream = new Recorder(false);
    const progress = await startStoreProgress('add', { stream, intervalMs: 0, now: () => 0 });
    const MiB = 1024 * 1024;
    progress.found(1, 4 * MiB);
    progress.reading(MiB);
    progress.reading(3 * MiB);
    progress.stored(4 * MiB);
    progress.stop();
    expect(stream.text.split('\n')).toEqual([
      'add  0%  0 B/4.0 MiB  0/1 files',
      'add  25%  1.0 MiB/4.0 MiB  0/1 files',
      'add  75%  3.0 MiB/4.0 MiB  0/1 files',
      'add  100%  4.0 MiB/4.0 MiB  1/1 files',
      '',
    ]);
  });
});
