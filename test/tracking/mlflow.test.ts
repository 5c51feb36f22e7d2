/**
 * The MLflow client against the contract server (strict: unknown fields, types, batch limits,
 * key names, changed params, auth), or against a real MLflow when MLP_TEST_MLFLOW_URI is set
 * (then the tests that inject failures are skipped).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { deliver } from '../../src/tracking/deliver.js';
import { MlflowTracker, mlflowKey } from '../../src/tracking/mlflow.js';
import { Outbox } from '../../src/tracking/outbox.js';
import { TrackingError } from '../../src/tracking/tracker.js';
import { REAL_MLFLOW, TrackingServers, asMap, mlflowGet, mlflowRuns } from '../helpers/tracking-servers.js';
import { freePort } from '../helpers/sshd.js';
import { runRecord } from './run-fixture.js';

let servers: TrackingServers;
let secured: TrackingServers;
let dir: string;
const http = { timeoutMs: 5000, retries: 2, backoffMs: 10 };
const contractOnly = REAL_MLFLOW ? test.skip : test;
const experiment = (): string => `mlp-test-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  servers = await TrackingServers.start();
  secured = await TrackingServers.start(['--mlflow-token', 's3cret']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-mlflow-'));
});

afterAll(async () => {
  await servers.stop();
  await secured.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('MLflow client', () => {
  test('a delivered run has its params, final metrics, step series, lineage tags, output references and status', async () => {
    const uri = servers.mlflowUri();
    const record = runRecord({ backend: 'mlflow', uri, experiment: experiment() });
    const outbox = new Outbox(path.join(dir, 'a'));
    outbox.write(record);
    await deliver(record, new MlflowTracker(uri, {}, http), outbox);
    expect(outbox.list()).toEqual([]); // delivered: gone from the outbox

    const runs = await mlflowRuns(uri, record.destination.experiment);
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run.info.status).toBe('FINISHED');
    expect(Number(run.info.end_time)).toBe(record.endTime);
    expect(asMap(run.data.params)).toEqual({ 'train.lr': '0.1', 'train.epochs': '3', 'train.layers': '[64,32]' });
    const tags = asMap(run.data.tags);
    expect(tags).toMatchObject({ 'mlp.stage': 'train', 'mlp.git.commit': 'a'.repeat(40), 'mlp.dep.data/text': 'b'.repeat(64), 'mlp.run_uid': record.uid });
    expect(tags['mlp.artifact.models/text']).toBe(`sha256:${'c'.repeat(64)} size:1234`);
    expect(asMap(run.data.metrics)).toMatchObject({ accuracy: 0.91, 'loss.final': 0.2 });
    const history = await mlflowGet(uri, 'metrics/get-history', { run_id: run.info.run_id, metric_key: 'loss' });
    expect(history.body.metrics.map((m: { step: number; value: number }) => [Number(m.step), m.value])).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
  });

  test('outputs marked for upload go through the artifact proxy under the run; the rest stay references', async () => {
    const uri = servers.mlflowUri();
    const bytes = new Map([
      ['d'.repeat(64), Buffer.from('weights')],
      ['e'.repeat(64), Buffer.from('{"vocab": 3}')],
    ]);
    const content = async (sha: string) => bytes.get(sha);
    const record = runRecord({ backend: 'mlflow', uri, experiment: experiment() }, {
      artifacts: [
        { path: 'models/text', sha256: 'c'.repeat(64), size: 19, upload: true, files: [{ path: 'weights.bin', sha256: 'd'.repeat(64), size: 7 }, { path: 'meta/vocab.json', sha256: 'e'.repeat(64), size: 12 }] },
        { path: 'data/big.bin', sha256: 'f'.repeat(64), size: 10 ** 9 },
      ],
    });
    const outbox = new Outbox(path.join(dir, 'art'));
    const tracker = new MlflowTracker(uri, {}, http);
    await deliver(record, tracker, outbox, content);
    const [run] = await mlflowRuns(uri, record.destination.experiment);
    const root = `${uri}/api/2.0/mlflow-artifacts/artifacts/${String(run.info.artifact_uri).replace(/^mlflow-artifacts:\//, '')}`;
    expect(await fetch(`${root}/models/text/weights.bin`).then((r) => r.text())).toBe('weights');
    expect(await fetch(`${root}/models/text/meta/vocab.json`).then((r) => r.text())).toBe('{"vocab": 3}');
    expect((await fetch(`${root}/data/big.bin`)).status).toBe(404);
    expect(asMap(run.data.tags)['mlp.artifact.data/big.bin']).toBe(`sha256:${'f'.repeat(64)} size:1000000000`);
    // Sent again (a delivery cut off after the uploads): the same files, overwritten, nothing added.
    record.delivery.done = record.delivery.done.filter((s) => s !== 'artifacts' && s !== 'end');
    await deliver(record, tracker, outbox, content);
    const listing = await fetch(`${uri}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(String(run.info.artifact_uri).replace(/^mlflow-artifacts:\//, '') + '/models/text')}`).then((r) => r.json() as Promise<{ files: unknown[] }>);
    expect(listing.files).toEqual([{ path: 'meta', is_dir: true }, { path: 'weights.bin', is_dir: false, file_size: 7 }]);
  });

  contractOnly('the artifact proxy refuses unsafe paths and needs the credentials', async () => {
    const put = (p: string, headers: Record<string, string> = {}) => fetch(`${secured.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, { method: 'PUT', body: 'x', headers }).then((r) => r.status);
    expect(await put('1/run/artifacts/a.bin')).toBe(401);
    expect(await put('1/run/artifacts/a.bin', { authorization: 'Bearer s3cret' })).toBe(200);
    expect(await put('1/run/%2E%2E%2Fescape', { authorization: 'Bearer s3cret' })).toBe(400);
  });

  test('large runs are split within the server limits (100 params, 1,000 metrics per log-batch)', async () => {
    const uri = servers.mlflowUri();
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p.${i}`, String(i)]));
    const series = Array.from({ length: 2500 }, (_, step) => ({ key: 'loss', value: step, step, timestamp: Date.now() }));
    const record = runRecord({ backend: 'mlflow', uri, experiment: experiment() }, { params, series });
    await deliver(record, new MlflowTracker(uri, {}, http), new Outbox(path.join(dir, 'b')));
    const [run] = await mlflowRuns(uri, record.destination.experiment);
    expect(run.data.params).toHaveLength(250);
    const history = await mlflowGet(uri, 'metrics/get-history', { run_id: run.info.run_id, metric_key: 'loss', max_results: '5000' });
    expect(history.body.metrics).toHaveLength(2500);
  });

  test('keys MLflow refuses are made acceptable', () => {
    expect(mlflowKey('mlp.dep.data/raw@v1:x')).toBe('mlp.dep.data/raw_v1_x');
    expect(mlflowKey('a//b/./c/')).toBe('a/b/c');
    expect(mlflowKey('x'.repeat(300))).toHaveLength(250);
  });

  contractOnly('a 503 is retried; a delivery cut off after the run was created resumes without a second run', async () => {
    const uri = servers.mlflowUri();
    const record = runRecord({ backend: 'mlflow', uri, experiment: experiment() });
    const outbox = new Outbox(path.join(dir, 'c'));
    const tracker = new MlflowTracker(uri, {}, http);
    await servers.command('fail 2 503');
    // The run is created, then mlp is "killed" before it records the run id: simulated by a
    // record that says one attempt was made and nothing was acknowledged.
    await tracker.startRun(record, false);
    record.delivery.attempts = 1;
    await deliver(record, tracker, outbox);
    const runs = await mlflowRuns(uri, record.destination.experiment);
    expect(runs).toHaveLength(1);
    expect(runs[0].info.status).toBe('FINISHED');
    const statuses = (await servers.requests()).map((r) => r.status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
  });

  contractOnly('an unreachable server is a retryable error; the run stays in the outbox with the error', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const record = runRecord({ backend: 'mlflow', uri: closed, experiment: 'x' });
    const outbox = new Outbox(path.join(dir, 'd'));
    outbox.write(record);
    const error = await deliver(record, new MlflowTracker(closed, {}, { ...http, retries: 0 }), outbox).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackingError);
    expect((error as TrackingError).retryable).toBe(true);
    const [kept] = outbox.list();
    expect(kept?.delivery.lastError).toMatch(/ECONNREFUSED/);
    expect(kept?.delivery.attempts).toBe(1);
  });

  contractOnly('the token is sent as a bearer token; without it the server refuses (not retried)', async () => {
    const uri = secured.url;
    const record = runRecord({ backend: 'mlflow', uri, experiment: experiment() });
    const refused = await deliver(record, new MlflowTracker(uri, {}, http), new Outbox(path.join(dir, 'e'))).catch((e: unknown) => e);
    expect((refused as TrackingError).kind).toBe('auth');
    const fresh = runRecord({ backend: 'mlflow', uri, experiment: record.destination.experiment });
    await deliver(fresh, new MlflowTracker(uri, { token: 's3cret' }, http), new Outbox(path.join(dir, 'f')));
    const runs = await mlflowRuns(uri, record.destination.experiment).catch(() => []);
    expect(runs).toEqual([]); // reading needs the token too
    const found = await mlflowGet(uri, 'experiments/get-by-name', { experiment_name: record.destination.experiment }, { authorization: 'Bearer s3cret' });
    expect(found.status).toBe(200);
  });

  contractOnly('the contract server refuses what MLflow refuses', async () => {
    const post = (endpoint: string, body: unknown) =>
      fetch(`${servers.url}/api/2.0/mlflow/${endpoint}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error_code: string } }));
    expect((await post('runs/create', { experiment_id: '0', bogus: 1 })).status).toBe(400);
    expect((await post('runs/log-batch', { run_id: 'nope' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const created = await post('experiments/create', { name: experiment() });
    const run = await post('runs/create', { experiment_id: (created.body as unknown as { experiment_id: string }).experiment_id, start_time: 'soon' });
    expect(run.status).toBe(400);
  });
});
