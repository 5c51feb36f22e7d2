/** Reading a window of `mlp serve`'s inference log: rotated files in order, one model, --since and --last, located errors. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSince, readTelemetryWindow } from '../../src/monitor/telemetry-window.js';
import { MlpError } from '../../src/errors.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-telemetry-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function line(ts: string, model = A, label = 'ham'): string {
  return `${JSON.stringify({ ts, endpoint: '/predict', model_sha256: model, label, confidence: 0.9, inference_time_ms: 1, input_bytes: 2, input_sha256: 'x', input: ts })}\n`;
}

test('rotated files are read oldest first, records of other models are skipped', () => {
  const log = path.join(dir, 'inferences.jsonl');
  fs.writeFileSync(`${log}.2`, line('2026-11-30T10:00:00Z'));
  fs.writeFileSync(`${log}.1`, line('2026-11-30T11:00:00Z') + line('2026-11-30T11:30:00Z', B));
  fs.writeFileSync(log, `${line('2026-11-30T12:00:00Z')}\n`);
  const window = readTelemetryWindow({ file: log, modelSha256: A });
  expect(window.records.map((r) => r.ts)).toEqual(['2026-11-30T10:00:00Z', '2026-11-30T11:00:00Z', '2026-11-30T12:00:00Z']);
  expect(window.files).toEqual([`${log}.2`, `${log}.1`, log]);
  expect(window.otherModels).toBe(1);
  expect(readTelemetryWindow({ file: log, modelSha256: A, since: new Date('2026-11-30T10:30:00Z') }).records).toHaveLength(2);
  expect(readTelemetryWindow({ file: log, modelSha256: A, last: 1 }).records.map((r) => r.ts)).toEqual(['2026-11-30T12:00:00Z']);
});

test('no file, no record of the model, a malformed line: errors that say where and what to do', () => {
  const log = path.join(dir, 'inferences.jsonl');
  expect(() => readTelemetryWindow({ file: log, modelSha256: A })).toThrow(/^no telemetry at /);
  fs.writeFileSync(log, line('2026-11-30T10:00:00Z', B));
  expect(() => readTelemetryWindow({ file: log, modelSha256: A })).toThrow(/its 1 record is of other models/);
  fs.writeFileSync(log, line('2026-11-30T10:00:00Z') + '{"ts": "2026-11-30T10:00:00Z", "model_sha256": "x", "label": "ham", "confidence": "high"}\n');
  let error: unknown;
  try {
    readTelemetryWindow({ file: log, modelSha256: A });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MlpError);
  expect((error as MlpError).message).toBe(`${log}:2: "confidence" is missing or not a number`);
  expect((error as MlpError).exitCode).toBe(3);
});

test('--since takes an age or a time', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  expect(parseSince('24h', now).toISOString()).toBe('2026-11-29T12:00:00.000Z');
  expect(parseSince('30m', now).toISOString()).toBe('2026-11-30T11:30:00.000Z');
  expect(parseSince('7d', now).toISOString()).toBe('2026-11-23T12:00:00.000Z');
  expect(parseSince('2026-11-30T08:00:00Z', now).toISOString()).toBe('2026-11-30T08:00:00.000Z');
  expect(() => parseSince('soon', now)).toThrow(/neither a time nor an age/);
});
