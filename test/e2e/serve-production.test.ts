/**
 * `mlp serve` under the conditions of production: model reloads while many clients send
 * requests (none fails, whether the reload succeeds or not), SIGTERM with a request still
 * arriving (it is finished before the process exits), and malformed bytes at every layer — HTTP
 * itself, image bodies, CSV — answered with a 4xx, never a 5xx or a crash.
 */
import { jest } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { runMlp, waitFor, writeFiles } from '../helpers/cli.js';
import { corpus, post, serverFixtures, startServe, trainModel, type Server } from '../helpers/serve.js';

jest.setTimeout(120_000);

const { servers, workdir } = serverFixtures();
async function modelHash(server: Server): Promise<string> {
  return ((await (await fetch(`${server.url}/version`)).json()) as { model: { sha256: string } }).model.sha256;
}

/** `clients` loops sending predictions until `stop()`; counts answers by status. */
function loadOf(server: Server, clients: number): { statuses: Map<number | string, number>; answered(): number; stop(): Promise<void> } {
  const statuses = new Map<number | string, number>();
  let running = true;
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (running) {
      let key: number | string;
      try {
        key = (await post(`${server.url}/predict`, { texts: [`win free cash now ${i}`, 'see you at lunch mom'] })).status;
      } catch (error) {
        key = String((error as Error).cause ?? error);
      }
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
  });
  return {
    statuses,
    answered: () => statuses.get(200) ?? 0,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('mlp serve in production', () => {
  test('a retrained model replacing the directory is reloaded by the watcher under 8 concurrent clients without a failed request', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await startServe(dir, ['model', '--workers', '2'], servers);
    const before = await modelHash(server);
    const load = loadOf(server, 8);
    await waitFor(() => load.answered() >= 50, 30_000);
    // Retrain into a new directory and rename it into place, as `mlp repro` does: no SIGHUP.
    writeFiles(dir, { 'more.csv': `${corpus()}free lunch today,ham\nwin lunch,spam\n` });
    expect(runMlp(dir, ['-q', 'text', 'prepare', '--input', 'more.csv', '--out', 'data2']).code).toBe(0);
    expect(runMlp(dir, ['-q', 'text', 'train', '--data', 'data2', '--out', 'model2']).code).toBe(0);
    fs.renameSync(path.join(dir, 'model'), path.join(dir, 'model-old'));
    fs.renameSync(path.join(dir, 'model2'), path.join(dir, 'model'));
    let after = before;
    const deadline = Date.now() + 30_000;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await modelHash(server);
    }
    expect(after).not.toBe(before);
    const atSwap = load.answered();
    await waitFor(() => load.answered() >= atSwap + 50, 30_000);
    await load.stop();
    expect([...load.statuses.keys()]).toEqual([200]);
  });

  test('a reload that fails (a damaged model file) keeps the old model serving, with a warning, and fails no request', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await startServe(dir, ['model', '--workers', '1'], servers);
    const before = await modelHash(server);
    const load = loadOf(server, 4);
    await waitFor(() => load.answered() >= 20, 30_000);
    const weights = path.join(dir, 'model', 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[0] = bytes[0]! ^ 0xff;
    fs.writeFileSync(weights, bytes);
    server.child.kill('SIGHUP'); // the watcher may also have seen the write: either way one warning or two
    await waitFor(() => /warning: the model was not reloaded, the previous one is still served: .*weights\.bin/.test(server.output()), 30_000);
    const atWarning = load.answered();
    await waitFor(() => load.answered() >= atWarning + 20, 30_000);
    await load.stop();
    expect([...load.statuses.keys()]).toEqual([200]);
    expect(await modelHash(server)).toBe(before);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });

  test('SIGTERM: /ready turns 503 during --shutdown-delay; then new connections are refused, and a request still arriving is answered before exit 0', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await startServe(dir, ['model', '--shutdown-delay', '1.5'], servers);
    const { hostname, port } = new URL(server.url);
    // A request whose body is still arriving: headers and half of the body now, the rest later.
    const body = Buffer.from(JSON.stringify({ text: 'win free cash now' }));
    let slow: http.ClientRequest | undefined;
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: hostname, port, method: 'POST', path: '/predict', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 8));
      slow = req;
    });
    // In flight: the gauge counts it and the /metrics request that reads it.
    await waitFor(() => slow !== undefined);
    const inFlight = async (): Promise<number> => Number(/^mlp_http_requests_in_flight (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
    for (let i = 0; i < 200 && (await inFlight()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await inFlight()).toBe(2);

    server.child.kill('SIGTERM');
    await waitFor(() => /Stopping: finishing \d+ requests? in flight/.test(server.output()), 10_000);
    // During the delay: still answering, but no longer ready (load balancers stop routing here).
    const ready = await fetch(`${server.url}/ready`, { headers: { connection: 'close' } });
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'stopping' }]);
    expect((await post(`${server.url}/predict`, { text: 'see you at lunch' })).status).toBe(200);
    // After the delay: new connections are refused while the slow request is still open.
    const refused = async (): Promise<boolean> =>
      new Promise((resolve) => {
        const socket = net.connect({ host: hostname, port: Number(port) });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
    let closed = false;
    for (let i = 0; i < 200 && !closed; i++) {
      closed = await refused();
      if (!closed) await new Promise((r) => setTimeout(r, 50));
    }
    expect(closed).toBe(true);
    expect(server.child.exitCode).toBeNull(); // it waits for the request in flight
    slow!.end(body.subarray(8));
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ label: 'spam' });
    const exit = await server.done;
    expect(exit.code).toBe(0);
    expect(server.output()).toMatch(/Stopped\n$/);
  });

  test('malformed HTTP, CSV and content types: 4xx or a closed connection, never a 5xx; the server keeps serving', async () => {
    const dir = workdir();
    trainModel(dir);
    const server = await startServe(dir, ['model', '--max-body', '64KB'], servers);
    const { hostname, port } = new URL(server.url);
    let seed = 11;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;

    // Raw bytes on the socket: Node's HTTP parser answers 400 (or the socket closes); never a 5xx.
    const raw = (payload: Buffer): Promise<string> =>
      new Promise((resolve) => {
        const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.end(payload));
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
    const requests = [
      () => Buffer.concat([Buffer.from('POST /predict HTTP/1.1\r\nHost: x\r\n'), bytes(200), Buffer.from('\r\n\r\n')]),
      () => Buffer.from(`POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${pick(['-1', 'abc', '99999999999999999999', '5, 6'])}\r\n\r\n{}`),
      () => Buffer.from(`POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n${pick(['zz', '5\r\n{"te\r\n', 'ffffffffffff\r\n'])}\r\n0\r\n\r\n`),
      () => Buffer.from(`${pick(['GET', 'POST', 'BREW', ''])} ${pick(['/predict', '*', '//..//', '/v2/models/%ZZ/infer', '/v2/models/%2e%2e/ready'])} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`),
      () => bytes(300),
    ];
    // A model name that is not valid percent-encoding (decodeURIComponent throws) is the client's mistake.
    for (const route of ['/v2/models/%ZZ', '/v2/models/%E0%A4%A/ready']) {
      const res = await fetch(`${server.url}${route}`);
      expect([route, res.status, ((await res.json()) as { error: string }).error]).toEqual([route, 400, expect.stringMatching(/^the model name in the path, ".*", is not valid percent-encoding$/)]);
    }
    for (let i = 0; i < 150; i++) {
      const answer = await raw(requests[i % requests.length]!());
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status !== undefined) expect([i, Number(status) < 500]).toEqual([i, true]);
    }

    // Bodies of every declared type, garbage inside.
    const types = ['application/json', 'text/csv', 'multipart/form-data; boundary=xyz', 'multipart/form-data', 'image/png', 'image/jpeg', 'application/octet-stream', 'text/plain', ''];
    const routes = ['/predict', '/invocations', '/v2/models/text/infer'];
    const shapes = [
      () => bytes(Math.floor(random() * 500)),
      () => Buffer.from(`text\n${bytes(100).toString('latin1')}\n"${bytes(20).toString('latin1')}`),
      () => Buffer.from(`--xyz\r\nContent-Disposition: form-data; name="${pick(['text', 'image', ''])}"\r\n\r\n${bytes(50).toString('latin1')}\r\n--xyz${pick(['--', ''])}\r\n`),
      () => Buffer.from(JSON.stringify({ [pick(['text', 'texts', 'instances', 'inputs', 'dataframe_split', 'dataframe_records'])]: pick([null, 1, [], {}, [[]], [{}], 'x'.repeat(Math.floor(random() * 1000)), { columns: [1], data: [[null]] }]) })),
    ];
    for (let i = 0; i < 200; i++) {
      const type = pick(types);
      const res = await fetch(`${server.url}${pick(routes)}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: shapes[i % shapes.length]!() });
      await res.arrayBuffer();
      expect([i, type, res.status < 500]).toEqual([i, type, true]);
    }
    expect((await post(`${server.url}/predict`, { text: 'win free cash now' })).json.label).toBe('spam');
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).not.toMatch(/error:/);
    // A client that hangs up mid-body is counted as 499 (client closed request), so that the 5xx
    // error-rate alert (monitoring/prometheus/alerts.yml) only sees the server's own failures.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics.match(/^mlp_http_requests_total\{.*status="5\d\d"\}.*$/gm)).toBeNull();
    expect(metrics).toMatch(/^mlp_http_requests_total\{method="POST",route="\/predict",status="499"\} \d+$/m);
  });
});
