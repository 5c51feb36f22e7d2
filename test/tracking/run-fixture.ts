/** A complete run record for the client tests, as a stage that ran would leave it. */
import { randomUUID } from 'node:crypto';
import type { RunDestination, RunRecord } from '../../src/tracking/run-record.js';

export function runRecord(destination: RunDestination, overrides: Partial<RunRecord> = {}): RunRecord {
  const start = Date.now() - 5000;
  return {
    version: 1,
    uid: randomUUID(),
    pid: process.pid,
    host: 'test-host',
    stage: 'train',
    runName: 'train',
    destination,
    status: 'FINISHED',
    startTime: start,
    endTime: start + 4000,
    params: { 'train.lr': '0.1', 'train.epochs': '3', 'train.layers': '[64,32]' },
    summary: { accuracy: 0.91, 'loss.final': 0.2 },
    series: [0, 1, 2].map((step) => ({ key: 'loss', value: 1 / (step + 1), step, timestamp: start + 1000 * (step + 1) })),
    tags: { 'mlp.stage': 'train', 'mlp.git.commit': 'a'.repeat(40), 'mlp.git.dirty': 'false', 'mlp.dep.data/text': 'b'.repeat(64) },
    artifacts: [{ path: 'models/text', sha256: 'c'.repeat(64), size: 1234 }],
    delivery: { done: [], attempts: 0 },
    ...overrides,
  };
}
