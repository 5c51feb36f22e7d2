/** `mlp serve`: a real server on 127.0.0.1 driven over HTTP, scraped by a real Prometheus when one is installed. */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { record, writeArchive } from '../stages/cifar10/helpers.js';
import { havePrometheus, startPrometheus } from '../helpers/prometheus.js';
import { MLP_BIN, makeRepo, runMlp, waitFor, writeFiles, type RunResult } from '../helpers/cli.js';
import { corpus, post, serverFixtures, startServe, trainModel, type Server } from '../helpers/serve.js';

jest.setTimeout(120_000);

const { servers, dirs, workdir } = serverFixtures();

const serve = (cwd: string, args: string[]): Promise<Server> => startServe(cwd, args, servers);

async function stop(server: Server): Promise<RunResult> {
  server.child.kill('SIGTERM');
  return server.done;
}

describe('mlp serve', () => {
  test('answers /predict, MLflow /invocations and the v2 protocol with the same predictions', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await serve(dir, ['model', '--workers', '2']);
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    const one = await post(`${server.url}/predict`, { text: 'claim your free cash prize' });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ label: 'spam', probabilities: { ham: expect.any(Number), spam: expect.any(Number) } });
    expect(one.json.confidence).toBeGreaterThan(0.5);
    expect(one.json.probabilities.ham + one.json.probabilities.spam).toBeCloseTo(1, 5);
    expect(one.json.inference_time_ms).toBeGreaterThanOrEqual(0);

    const many = await post(`${server.url}/predict`, { texts: ['see you at lunch mom', 'win free cash now'] });
    const labels = many.json.predictions.map((p: { label: string }) => p.label);
    expect(labels).toEqual(['ham', 'spam']);

    // MLflow's scoring protocol, every input format.
    const bodies: [unknown, string?][] = [
      [{ dataframe_split: { columns: ['text'], data: [['see you at lunch mom'], ['win free cash now']] } }],
      [{ dataframe_records: [{ text: 'see you at lunch mom' }, { text: 'win free cash now' }] }],
      [{ instances: ['see you at lunch mom', 'win free cash now'] }],
      [{ inputs: { text: ['see you at lunch mom', 'win free cash now'] } }],
      ['text\nsee you at lunch mom\n"win free cash now"\n', 'text/csv'],
    ];
    for (const [body, type] of bodies) {
      const res = await post(`${server.url}/invocations`, body, type);
      expect([res.status, res.json.predictions?.map((p: { label: string }) => p.label)]).toEqual([200, labels]);
    }

    // Open Inference Protocol v2.
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    const meta = await (await fetch(`${server.url}/v2/models/text`)).json();
    expect(meta).toMatchObject({ name: 'text', inputs: [{ name: 'text', datatype: 'BYTES' }], parameters: { classes: ['ham', 'spam'] } });
    const infer = await post(`${server.url}/v2/models/text/infer`, { id: 'req-1', inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['see you at lunch mom', 'win free cash now'] }] });
    expect(infer.status).toBe(200);
    expect(infer.json.id).toBe('req-1');
    expect(infer.json.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [2], data: labels });
    expect(infer.json.outputs[2].shape).toEqual([2, 2]);
    expect((await fetch(`${server.url}/v2/models/other`)).status).toBe(404);

    const stopped = await stop(server);
    expect(stopped.code).toBe(0);
  });

  test('bad requests get a 4xx with a reason, and never bring the server down', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await serve(dir, ['model', '--max-body', '1KB']);
    const cases: [string, string, string | undefined, string, number, RegExp][] = [
      ['POST', '/predict', '{"x": 1}', 'application/json', 400, /"text" or "texts"/],
      ['POST', '/predict', '{bad', 'application/json', 400, /not valid JSON/],
      ['POST', '/predict', '{"text": 3}', 'application/json', 400, /expected a string/],
      ['POST', '/predict', '{"texts": "a"}', 'application/json', 400, /must be an array/],
      ['POST', '/predict', 'x', 'application/xml', 415, /unsupported content type/],
      ['POST', '/predict', JSON.stringify({ text: 'x'.repeat(5000) }), 'application/json', 413, /limit of 1000 bytes/],
      ['GET', '/predict', undefined, 'application/json', 405, /takes POST/],
      ['GET', '/nothing', undefined, 'application/json', 404, /no route/],
      ['POST', '/invocations', '{"instances": [], "inputs": []}', 'application/json', 400, /only one of/],
      ['POST', '/invocations', 'text\n"open', 'text/csv', 400, /quoted field opened on line 2 is never closed/],
      ['POST', '/v2/models/text/infer', '{"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": ["a"]}]}', 'application/json', 400, /needs 3/],
    ];
    for (const [method, route, body, type, status, message] of cases) {
      const res = await fetch(`${server.url}${route}`, { method, headers: { 'content-type': type }, ...(body !== undefined ? { body } : {}) });
      const json = (await res.json()) as { error: string };
      expect([route, res.status, message.test(json.error)]).toEqual([route, status, true]);
    }
    // Random bytes of every kind: 4xx, never a 500 or a crash.
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      const pick = ['{"text": ', '{"texts": [', '{"instances": ', ''][i % 4]!;
      const res = await fetch(`${server.url}${['/predict', '/invocations', '/v2/models/text/infer'][i % 3]}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from(pick), bytes]) });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(server.output()).not.toMatch(/error:/);
  });

  test('/version names the lock entry and commit the model came from; /metrics follows Prometheus conventions', async () => {
    const mlp = `"${process.execPath}" "${MLP_BIN}"`;
    const dir = makeRepo({ 'docs.csv': corpus(), 'pipeline.yaml': `stages:\n  train:\n    cmd: '${mlp} -q text prepare --input docs.csv --out data && ${mlp} -q text train --data data --out model'\n    deps: [docs.csv]\n    outs: [data, model]\n` });
    dirs.push(dir);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    spawnSync('git', ['commit', '-qam', 'trained'], { cwd: dir });
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).stdout.trim();
    const lockHash = /path: model\n\s+sha256: ([0-9a-f]{64})/.exec(fs.readFileSync(path.join(dir, 'pipeline.lock'), 'utf8'))![1];
    const server = await serve(dir, ['model', '--workers', '0']);
    const version = (await (await fetch(`${server.url}/version`)).json()) as { model: unknown };
    expect(version.model).toMatchObject({ kind: 'text', sha256: lockHash, stage: 'train', path: 'model', commit: head });

    await post(`${server.url}/predict`, { texts: ['win free cash now', 'see you at lunch mom', 'free prize'] });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('mlp_http_requests_total{method="POST",route="/predict",status="200"} 1');
    expect(text).toMatch(/mlp_predictions_total\{class="spam"\} 2/);
    expect(text).toContain('mlp_prediction_confidence_count 3');
    expect(text).toContain(`mlp_model_info{kind="text",name="text",sha256="${lockHash}"`);
    expect(text).toContain('process_cpu_seconds_total');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error === undefined) expect(promtool.stdout + promtool.stderr).toBe('');
  });

  test('every prediction is logged with hashes, not inputs, and the log rotates by size', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await serve(dir, ['model', '--telemetry', 'logs/inferences.jsonl', '--telemetry-max-bytes', '2KB']);
    for (let i = 0; i < 6; i++) await post(`${server.url}/predict`, { texts: ['win free cash now', 'see you at lunch mom'] });
    await stop(server);
    const files = fs.readdirSync(path.join(dir, 'logs')).sort();
    expect(files).toEqual(['inferences.jsonl', 'inferences.jsonl.1']);
    const lines = files.flatMap((f) => fs.readFileSync(path.join(dir, 'logs', f), 'utf8').trim().split('\n')).filter(Boolean).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatchObject({ endpoint: '/predict', label: expect.any(String), input_bytes: 17, input_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(lines)).not.toContain('win free cash');

    const logged = await serve(dir, ['model', '--telemetry', 'raw.jsonl', '--log-inputs']);
    await post(`${logged.url}/predict`, { text: 'win free cash now' });
    await stop(logged);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'raw.jsonl'), 'utf8')).input).toBe('win free cash now');
  });

  test('a model whose files do not match their checksums is refused before serving', async () => {
    const dir = workdir();
    trainModel(dir);
    const weights = path.join(dir, 'model', 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[0] = bytes[0]! ^ 0xff;
    fs.writeFileSync(weights, bytes);
    const result = runMlp(dir, ['serve', 'model', '--port', '0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/error: .*weights\.bin/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('a port in use is a clear error, not an errno', async () => {
    const dir = workdir();
    trainModel(dir);
    const first = await serve(dir, ['model', '--no-telemetry']);
    const port = new URL(first.url).port;
    const second = runMlp(dir, ['serve', 'model', '--port', port, '--no-telemetry']);
    expect([second.code, second.stderr]).toEqual([1, `error: 127.0.0.1:${port} is already in use\nhint: stop what listens there, or pick another port with --port (0: any free port)\n`]);
  });

  test('SIGHUP and a retrained model reload without failing a request; SIGTERM finishes what is in flight', async () => {
    const dir = workdir();
    trainModel(dir);
    // Requests sent just before SIGTERM may still be in the accept queue: the delay serves them.
    const server = await serve(dir, ['model', '--workers', '1', '--shutdown-delay', '3']);
    const before = ((await (await fetch(`${server.url}/version`)).json()) as { model: { sha256: string } }).model.sha256;
    let failures = 0;
    let answered = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const res = await post(`${server.url}/predict`, { text: 'win free cash now' });
        if (res.status === 200) answered++;
        else failures++;
      }
    })();
    // Retrain with other data: the directory is replaced, and the watcher reloads it.
    writeFiles(dir, { 'more.csv': `${corpus()}free lunch today,ham\nwin lunch,spam\n` });
    expect(runMlp(dir, ['-q', 'text', 'prepare', '--input', 'more.csv', '--out', 'data2']).code).toBe(0);
    expect(runMlp(dir, ['-q', 'text', 'train', '--data', 'data2', '--out', 'model2']).code).toBe(0);
    fs.rmSync(path.join(dir, 'model'), { recursive: true });
    fs.renameSync(path.join(dir, 'model2'), path.join(dir, 'model'));
    server.child.kill('SIGHUP');
    await waitFor(() => /^Reloaded /m.test(server.output()), 30_000);
    const after = ((await (await fetch(`${server.url}/version`)).json()) as { model: { sha256: string } }).model.sha256;
    expect(after).not.toBe(before);
    const inFlight = Array.from({ length: 20 }, () => post(`${server.url}/predict`, { text: 'see you at lunch' }));
    running = false;
    await load;
    server.child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect((await server.done).code).toBe(0);
    expect(failures).toBe(0);
    expect(answered).toBeGreaterThan(0);
    expect(server.output()).toContain('Stopped');
  });

  test('an image model takes PNG uploads, base64 JSON and pixel arrays', async () => {
    const dir = workdir();
    const archive = await writeArchive(path.join(dir, 'downloads'), { perBatch: 40, testCount: 30 });
    writeFiles(dir, {
      'params.yaml': `cifar10:\n  source: downloads/cifar-10-binary.tar.gz\n  sha256: ${archive.sha256}\n  model: {width: 4, blocks: 2, pool_first: true}\n  train: {epochs: 5, batch_size: 20, learning_rate: 0.05, threads: 1, val_limit: 30}\n`,
    });
    expect(runMlp(dir, ['-q', 'cifar10', 'prepare', '--params', 'params.yaml#cifar10', '--out', 'data']).code).toBe(0);
    expect(runMlp(dir, ['-q', 'cifar10', 'train', '--data', 'data', '--out', 'model', '--params', 'params.yaml#cifar10']).code).toBe(0);
    const rec = record(6, 77); // a "frog" in the fixtures' colours
    const pixels = Array.from({ length: 32 }, (_, y) => Array.from({ length: 32 }, (_, x) => [0, 1, 2].map((c) => rec[1 + c * 1024 + y * 32 + x]!)));
    const png = new PNG({ width: 32, height: 32 });
    pixels.flat().forEach((rgb, p) => png.data.set([...rgb, 255], p * 4));
    const pngBytes = PNG.sync.write(png);

    const server = await serve(dir, ['model', '--name', 'cifar']);
    const asJson = await post(`${server.url}/predict`, { image: pngBytes.toString('base64') });
    expect([asJson.status, asJson.json.label]).toEqual([200, 'frog']);
    expect(Object.keys(asJson.json.probabilities)).toHaveLength(10);
    expect((await post(`${server.url}/predict`, { images: [pixels, pngBytes.toString('base64')] })).json.predictions.map((p: { label: string }) => p.label)).toEqual(['frog', 'frog']);
    expect((await post(`${server.url}/predict`, new Uint8Array(pngBytes), 'image/png')).json.label).toBe('frog');
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(pngBytes)], { type: 'image/png' }), 'frog.png');
    const multipart = await fetch(`${server.url}/predict`, { method: 'POST', body: form });
    expect(((await multipart.json()) as { label: string }).label).toBe('frog');
    const infer = await post(`${server.url}/v2/models/cifar/infer`, { inputs: [{ name: 'image', shape: [1, 32, 32, 3], datatype: 'UINT8', data: pixels.flat(2) }] });
    expect(infer.json.outputs[0].data).toEqual(['frog']);
    const bad = await post(`${server.url}/predict`, { image: [[1, 2, 3]] });
    expect([bad.status, bad.json.error]).toEqual([400, 'expected 32×32×3 = 3072 pixel values, got 3']);
    const notImage = await post(`${server.url}/predict`, new Uint8Array(Buffer.from('hello')), 'image/png');
    expect([notImage.status, notImage.json.error]).toEqual([400, 'the request body: not a PNG or JPEG file']);
    expect((await stop(server)).code).toBe(0);
  });

  test('a real Prometheus scrapes /metrics and its API returns the series, drift gauges included', async () => {
    if (!havePrometheus()) return; // not installed on this machine; CI installs it
    const dir = workdir();
    trainModel(dir);
    const server = await serve(dir, ['model', '--drift-report', 'reports/drift.json']);
    await post(`${server.url}/predict`, { texts: ['win free cash now', 'see you at lunch mom'] });
    const metrics = async (): Promise<string> => {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    // No report yet: the gauges are absent (not 0), and the warning comes once, not per scrape.
    for (let i = 0; i < 3; i++) expect(await metrics()).not.toContain('mlp_drift');
    expect(server.output().match(/warning: no drift report at \S+reports\/drift\.json: the mlp_drift_\* gauges are absent\nhint: run `mlp monitor` to write it\n/g)).toHaveLength(1);

    const prometheus = await startPrometheus(path.join(dir, 'prometheus'), [server.url.replace('http://', '')]);
    try {
      const series = await prometheus.poll('mlp_predictions_total', (s) => s.length === 2);
      expect(Object.fromEntries(series.map((s) => [s.metric.class, Number(s.value[1])]))).toEqual({ ham: 1, spam: 1 });

      const report = {
        drift: true,
        model: { sha256: 'a'.repeat(64) },
        tests: [
          { name: 'confidence_ks', method: 'ks', statistic: 0.41, threshold: 0.05, p_value: 0.0001, drift: true },
          { name: 'label_psi', method: 'psi', statistic: 0.02, threshold: 0.1, drift: false },
        ],
        created: '2026-11-30T12:00:00.000Z',
      };
      writeFiles(dir, { 'reports/drift.json': JSON.stringify(report) });
      const text = await metrics();
      expect(text).toContain('\nmlp_drift_detected 1\n');
      expect(text).toContain('mlp_drift_report_timestamp_seconds 1796040000\n');
      expect(text).toContain('mlp_drift_statistic{test="confidence_ks"} 0.41\n');
      expect(text).not.toContain('mlp_drift_p_value{test="label_psi"}');
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(promtool.stdout + promtool.stderr).toBe('');
      expect(server.output()).toContain('Drift report reports/drift.json: drift detected (2 tests)\n');

      await prometheus.poll('mlp_drift_detected', (s) => s.length === 1 && s[0]!.value[1] === '1');
      const statistics = await prometheus.poll('mlp_drift_statistic', (s) => s.length === 2);
      expect(Object.fromEntries(statistics.map((s) => [s.metric.test, Number(s.value[1])]))).toEqual({ confidence_ks: 0.41, label_psi: 0.02 });
      expect((await prometheus.query('mlp_drift_test_detected == 1')).map((s) => s.metric.test)).toEqual(['confidence_ks']);

      // A broken report: the gauges go (Prometheus marks the series stale), the server stays up,
      // and the warning says where the file is wrong.
      writeFiles(dir, { 'reports/drift.json': '{"drift": "yes", "tests": []}' });
      expect(await metrics()).not.toContain('mlp_drift');
      expect(server.output()).toMatch(/warning: \S+reports\/drift\.json:1:\d+: drift: must be true or false, got "yes": the mlp_drift_\* gauges are absent\nhint: run `mlp monitor` again to rewrite it\n/);
      await prometheus.poll('mlp_drift_detected', (s) => s.length === 0);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await prometheus.stop();
    }
  });
});
