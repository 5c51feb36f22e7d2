import { formatBytes, formatDuration, formatRate } from '../../src/ui/render.js';

describe('byte and time formatting', () => {
  test('bytes below a KiB are whole numbers (a rate is rarely whole)', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(104.06111509289397)).toBe('104 B');
    expect(formatRate(104.06111509289397)).toBe('104 B/s');
  });

  test('larger sizes in binary units with one decimal', () => {
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(170_052_171)).toBe('162.2 MiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatRate(5.2 * 1024 * 1024)).toBe('5.2 MiB/s');
  });

  test('durations', () => {
    expect(formatDuration(4.6)).toBe('5s');
    expect(formatDuration(187)).toBe('3m07s');
    expect(formatDuration(7500)).toBe('2h05m');
    expect(formatDuration(Infinity)).toBe('?');
  });
});
