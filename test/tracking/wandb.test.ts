/**
 * The W&B client against the contract server (GraphQL upsertBucket/viewer validated against the
 * declared variables and UpsertBucketInput's fields; the file stream's shape; auth), or against
 * a real W&B when MLP_TEST_WANDB_BASE_URL and WANDB_API_KEY are set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { deliver } from '../../src/tracking/deliver.js';
import { Outbox } from '../../src/tracking/outbox.js';
import { TrackingError } from '../../src/tracking/tracker.js';
import { WandbTracker, wandbRunId } from '../../src/tracking/wandb.js';
import { REAL_WANDB, TrackingServers, wandbRun } from '../helpers/tracking-servers.js';
import { runRecord } from './run-fixture.js';

let servers: TrackingServers;
let dir: string;
const http = { timeoutMs: 5000, retries: 2, backoffMs: 10 };
const contractOnly = REAL_WANDB ? test.skip : test;
const project = (): string => `mlp-test-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  servers = await TrackingServers.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-wandb-'));
});

afterAll(async () => {
  await servers.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('W&B client', () => {
  test('a delivered run has its config (params and lineage), history, summary and state', async () => {
    const base = servers.wandbBaseUrl();
    const record = runRecord({ backend: 'wandb', uri: base, experiment: project(), entity: process.env.WANDB_ENTITY });
    const outbox = new Outbox(path.join(dir, 'a'));
    await deliver(record, new WandbTracker(base, servers.wandbKey(), http), outbox);
    const entity = record.delivery.remote?.entity as string;
    const run = await wandbRun(base, servers.wandbKey(), entity, record.destination.experiment, wandbRunId(record.uid));
    expect(run.state).toBe('finished');
    expect(run.displayName).toBe('train');
    const config = JSON.parse(run.config);
    expect(config['train.lr'].value).toBe(0.1);
    expect(config['train.layers'].value).toEqual([64, 32]);
    expect(config.mlp.value['mlp.git.commit']).toBe('a'.repeat(40));
    const summary = JSON.parse(run.summaryMetrics);
    expect(summary).toMatchObject({ accuracy: 0.91, loss: 1 / 3 });
    const history = (run.history as string[]).map((l) => JSON.parse(l) as { _step: number; loss: number });
    expect(history.map((h) => [h._step, h.loss])).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
  });

  test('a failed stage ends its run as failed; delivering it again changes nothing', async () => {
    const base = servers.wandbBaseUrl();
    const record = runRecord({ backend: 'wandb', uri: base, experiment: project() }, { status: 'FAILED' });
    const tracker = new WandbTracker(base, servers.wandbKey(), http);
    await deliver(record, tracker, new Outbox(path.join(dir, 'b')));
    record.delivery = { done: [], attempts: 1 };
    await deliver(record, tracker, new Outbox(path.join(dir, 'b')));
    const run = await wandbRun(base, servers.wandbKey(), record.delivery.remote?.entity as string, record.destination.experiment, wandbRunId(record.uid));
    expect(run.state).toBe('failed');
    expect(run.history).toHaveLength(3);
  });

  test("an interrupted stage (KILLED) ends in W&B's own killed state, not as failed", async () => {
    const base = servers.wandbBaseUrl();
    const record = runRecord({ backend: 'wandb', uri: base, experiment: project() }, { status: 'KILLED' });
    await deliver(record, new WandbTracker(base, servers.wandbKey(), http), new Outbox(path.join(dir, 'k')));
    const run = await wandbRun(base, servers.wandbKey(), record.delivery.remote?.entity as string, record.destination.experiment, wandbRunId(record.uid));
    expect(run.state).toBe('killed');
    expect(run.history).toHaveLength(3); // what it logged before it was stopped is kept
  });

  contractOnly('outputs marked for upload become run files through signed upload URLs (no API key sent there), marked uploaded', async () => {
    const record = runRecord({ backend: 'wandb', uri: servers.url, experiment: project() }, {
      artifacts: [
        { path: 'models/text', sha256: 'c'.repeat(64), size: 7, upload: true, files: [{ path: 'weights.bin', sha256: 'd'.repeat(64), size: 7 }] },
        { path: 'data/big.bin', sha256: 'f'.repeat(64), size: 10 ** 9 },
      ],
    });
    await deliver(record, new WandbTracker(servers.url, servers.wandbKey(), http), new Outbox(path.join(dir, 'art')), async (sha) => (sha === 'd'.repeat(64) ? Buffer.from('weights') : undefined));
    const run = await wandbRun(servers.url, servers.wandbKey(), record.delivery.remote?.entity as string, record.destination.experiment, wandbRunId(record.uid));
    expect(run.files).toEqual([{ name: 'models/text/weights.bin', sizeBytes: 7, uploaded: true, content: Buffer.from('weights').toString('base64') }]);
    expect(run.state).toBe('finished');
    const uploads = (await servers.requests()).filter((r) => r.path.startsWith('/wandb-storage/'));
    expect(uploads.map((r) => [r.auth, r.status])).toEqual([['no', 200]]);
  });

  contractOnly('a wrong API key is refused and not retried', async () => {
    const record = runRecord({ backend: 'wandb', uri: servers.url, experiment: project() });
    const error = await deliver(record, new WandbTracker(servers.url, 'wrong', http), new Outbox(path.join(dir, 'c'))).catch((e: unknown) => e);
    expect((error as TrackingError).kind).toBe('auth');
    expect((await servers.requests()).filter((r) => r.status === 401)).toHaveLength(1);
  });

  contractOnly('the contract server refuses an unknown UpsertBucketInput field and undeclared variables', async () => {
    const post = (query: string, variables: unknown) =>
      fetch(`${servers.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('api:test-key').toString('base64')}` },
        body: JSON.stringify({ query, variables }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: Array<{ message: string }> } }));
    const unknownField = await post('mutation UpsertBucket($name: String, $project: String) { upsertBucket(input: {name: $name, modelName: $project, bogus: $name}) { bucket { id } } }', { name: 'x', project: 'p' });
    expect(unknownField.body.errors?.[0]?.message).toMatch(/bogus/);
    const undeclared = await post('mutation UpsertBucket($name: String) { upsertBucket(input: {name: $name}) { bucket { id } } }', { name: 'x', other: 1 });
    expect(undeclared.body.errors?.[0]?.message).toMatch(/other/);
  });
});
