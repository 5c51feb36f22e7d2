/**
 * `mlp serve`: a model behind HTTP, with nothing but Node. Routes:
 *
 *   GET  /health, /ready, /version, /metrics
 *   POST /predict                          mlp's own protocol (src/serve/requests.ts)
 *   POST /invocations                      MLflow's scoring server
 *   GET  /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}[/ready]
 *   POST /v2/models/{name}/infer           the Open Inference Protocol (KServe v2)
 *
 * The server never prints: it reports what happens through `onEvent` (the CLI renders it).
 * Lifecycle: `/ready` and `/v2/health/ready` answer 503 until the model is loaded and verified;
 * `reload()` loads the new model beside the old one and swaps only once it is ready — requests
 * in flight finish on the model they started with, so a reload fails no request; `shutdown()`
 * stops accepting, finishes the requests in flight, then releases the model.
 */
import http from 'node:http';
import { MlpError } from '../errors.js';
import type { AddressInfo } from 'node:net';
import type { DriftGauges, DriftReportStatus } from './drift-gauges.js';
import { ServeMetrics } from './metrics.js';
import { InputRejected, type ModelKind, type RawInput, type ServableModel } from './model.js';
import type { Predictor } from './predictor.js';
import { RequestError, inferInputs, invocationInputs, predictInputs, type Body } from './requests.js';
import type { TelemetryLog, InferenceRecord } from './telemetry.js';

/** Where the served model came from, as far as it is known. */
export interface ModelSource {
  sha256: string;
  /** The lock entry whose output is this model, and the commit it was read at. */
  stage?: string;
  path?: string;
  commit?: string;
}

/** A model ready to serve: its interface (parsing inputs, classes) and where inference runs. */
export interface LoadedModel {
  model: ServableModel;
  predictor: Predictor;
  source: ModelSource;
}

export interface ServeOptions {
  host: string;
  port: number;
  /** Model name in the v2 protocol and metrics (default: the model kind). */
  name?: string;
  maxBodyBytes: number;
  mlpVersion: string;
  telemetry?: TelemetryLog;
  /** The drift report (`mlp monitor`'s drift.json) exposed as gauges on /metrics. */
  drift?: DriftGauges;
  /** Told of every request's predictions (the tracking series of `mlp serve --track`). */
  onPredictions?(predictions: readonly { label: string; confidence: number; inference_time_ms: number }[]): void;
  /** Loads (and verifies) the model; called at start and on every reload. */
  load(): Promise<LoadedModel>;
  onEvent?(event: ServeEvent): void;
}

export type ServeEvent =
  | { type: 'listening'; url: string }
  | { type: 'ready'; kind: ModelKind; sha256: string; reload: boolean }
  | { type: 'reload-failed'; error: Error }
  | { type: 'request'; method: string; path: string; status: number; ms: number; inputs?: number }
  | { type: 'internal-error'; error: Error }
  // From the `DriftGauges` given as `drift` (the caller builds them with this event in mind): a
  // change of the report's readability, heard at a scrape.
  | { type: 'drift-report'; file: string; status: DriftReportStatus }
  | { type: 'draining'; inFlight: number }
  | { type: 'stopped' };

interface Route {
  /** The label in metrics: the template, never the raw path. */
  name: string;
  methods: string[];
  handle(req: http.IncomingMessage, body: Body | undefined, params: string[]): Promise<Reply>;
}

interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  inputs?: number;
}

export class ModelServer {
  private current: LoadedModel | undefined;
  private readonly server: http.Server;
  private metrics: ServeMetrics | undefined;
  private inFlight = 0;
  private stopping = false;
  private reloading: Promise<void> | undefined;
  private readonly routes: { pattern: RegExp; route: Route }[];

  constructor(private readonly options: ServeOptions) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    const route = (pattern: RegExp, name: string, methods: string[], handle: Route['handle']): { pattern: RegExp; route: Route } => ({
      pattern,
      route: { name, methods, handle },
    });
    this.routes = [
      route(/^\/health$/, '/health', ['GET'], async () => ({ status: 200, json: { status: 'ok' } })),
      route(/^\/ready$/, '/ready', ['GET'], async () => this.readiness()),
      route(/^\/version$/, '/version', ['GET'], async () => ({ status: 200, json: this.version() })),
      route(/^\/metrics$/, '/metrics', ['GET'], async () => this.metricsReply()),
      route(/^\/predict$/, '/predict', ['POST'], async (_req, body) => this.predict(body!)),
      route(/^\/invocations$/, '/invocations', ['POST'], async (_req, body) => this.invocations(body!)),
      route(/^\/v2\/?$/, '/v2', ['GET'], async () => ({ status: 200, json: { name: 'mlp', version: this.options.mlpVersion, extensions: [] } })),
      route(/^\/v2\/health\/live$/, '/v2/health/live', ['GET'], async () => ({ status: 200, json: { live: true } })),
      route(/^\/v2\/health\/ready$/, '/v2/health/ready', ['GET'], async () => ({ status: this.current ? 200 : 503, json: { ready: !!this.current } })),
      route(/^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/?$/, '/v2/models/{name}', ['GET'], async (_r, _b, [name]) => this.modelMetadata(name!)),
      route(/^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/ready$/, '/v2/models/{name}/ready', ['GET'], async (_r, _b, [name]) => {
        this.checkName(name!);
        return { status: this.current ? 200 : 503, json: { name: this.name, ready: !!this.current } };
      }),
      route(/^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/infer$/, '/v2/models/{name}/infer', ['POST'], async (_r, body, [name]) => this.infer(name!, body!)),
    ];
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Listens first (liveness answers at once, readiness 503), then loads the model. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => {
        const where = `${this.options.host}:${this.options.port}`;
        if (error.code === 'EADDRINUSE') reject(new MlpError(`${where} is already in use`, { hint: 'stop what listens there, or pick another port with --port (0: any free port)' }));
        else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new MlpError(`cannot listen on ${where}: no such address on this machine`, { hint: 'use --host 127.0.0.1, or 0.0.0.0 for every interface' }));
        else if (error.code === 'EACCES') reject(new MlpError(`not allowed to listen on ${where}`, { hint: 'ports below 1024 need privileges: pick a port from 1024 up' }));
        else reject(error);
      });
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.removeAllListeners('error');
        resolve();
      });
    });
    this.emit({ type: 'listening', url: this.url });
    try {
      await this.swapIn(await this.options.load(), false);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Loads the model again (SIGHUP, or its directory changed); on failure the old one stays. */
  reload(): Promise<void> {
    // Reloads triggered while one is under way wait for it and then load once more.
    const run = async (): Promise<void> => {
      try {
        await this.swapIn(await this.options.load(), true);
      } catch (error) {
        this.emit({ type: 'reload-failed', error: error as Error });
      }
    };
    this.reloading = (this.reloading ?? Promise.resolve()).then(run);
    return this.reloading;
  }

  /**
   * Stops: readiness answers 503 at once and every response closes its connection; for `delayMs`
   * the server still accepts and answers requests (so that requests already on their way, and a
   * load balancer that has not yet seen the 503, are served), then it stops accepting, finishes
   * the requests in flight and releases the model.
   */
  async shutdown(delayMs = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.emit({ type: 'draining', inFlight: this.inFlight });
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    await this.reloading;
    await this.close();
    await this.current?.predictor.close();
    this.options.telemetry?.close();
    this.emit({ type: 'stopped' });
  }

  private async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await closed;
  }

  private async swapIn(loaded: LoadedModel, reload: boolean): Promise<void> {
    const old = this.current;
    this.current = loaded;
    const identity = { kind: loaded.model.kind, name: this.options.name ?? loaded.model.kind, sha256: loaded.source.sha256 };
    if (this.metrics) this.metrics.setModel(identity);
    else this.metrics = new ServeMetrics(identity, this.options.mlpVersion);
    this.emit({ type: 'ready', kind: loaded.model.kind, sha256: loaded.source.sha256, reload });
    // Requests that started on the old model hold their own reference; close waits for them.
    await old?.predictor.close();
  }

  private get name(): string {
    return this.options.name ?? this.current?.model.kind ?? 'model';
  }

  private emit(event: ServeEvent): void {
    this.options.onEvent?.(event);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    const match = this.routes.map((r) => ({ route: r.route, m: r.pattern.exec(path) })).find((r) => r.m);
    const routeName = match?.route.name ?? 'other';
    this.inFlight++;
    this.metrics?.inFlight.inc();
    if (this.stopping) res.setHeader('Connection', 'close');
    let reply: Reply;
    try {
      if (!match) reply = { status: 404, json: { error: `no route ${req.method} ${path}: see GET /v2 and the README's "Serving" section for the endpoints` } };
      else if (!match.route.methods.includes(req.method ?? '')) {
        res.setHeader('Allow', match.route.methods.join(', '));
        reply = { status: 405, json: { error: `${path} takes ${match.route.methods.join(' or ')}, not ${req.method}` } };
      } else {
        const body = req.method === 'POST' ? await this.readBody(req) : undefined;
        reply = await match.route.handle(req, body, match.m!.slice(1));
      }
    } catch (error) {
      if (error instanceof RequestError) reply = { status: error.status, json: { error: error.message } };
      else if (error instanceof InputRejected) reply = { status: 400, json: { error: error.message } };
      else {
        this.emit({ type: 'internal-error', error: error as Error });
        reply = { status: 500, json: { error: 'internal error: the server log has the details' } };
      }
    }
    const text = reply.text ?? `${JSON.stringify(reply.json)}\n`;
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.inFlight--;
    this.metrics?.inFlight.dec();
    this.metrics?.requests.inc({ method: req.method ?? '', route: routeName, status: String(reply.status) });
    this.metrics?.latency.observe({ route: routeName }, seconds);
    this.emit({ type: 'request', method: req.method ?? '', path, status: reply.status, ms: Math.round(seconds * 1e5) / 100, ...(reply.inputs !== undefined ? { inputs: reply.inputs } : {}) });
  }

  private readBody(req: http.IncomingMessage): Promise<Body> {
    const limit = this.options.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      return Promise.reject(new RequestError(413, `the body is ${declared} bytes, more than the limit of ${limit} bytes (raise it with --max-body)`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.removeAllListeners('data');
          req.resume();
          reject(new RequestError(413, `the body is more than the limit of ${limit} bytes (raise it with --max-body)`));
        } else chunks.push(chunk);
      });
      req.on('end', () => resolve({ contentType: req.headers['content-type'] ?? 'application/json', bytes: Buffer.concat(chunks) }));
      // The connection closed before the whole body came: the client's doing (it hung up, or sent
      // less than its Content-Length), counted as nginx's 499 so that 5xx stays the server's own.
      req.on('error', () => reject(new RequestError(499, 'the client closed the connection before sending the whole body')));
    });
  }

  private readiness(): Reply {
    if (this.stopping) return { status: 503, json: { status: 'stopping' } };
    return this.current ? { status: 200, json: { status: 'ready' } } : { status: 503, json: { status: 'loading' } };
  }

  private version(): unknown {
    const loaded = this.current;
    return {
      mlp_version: this.options.mlpVersion,
      model: loaded ? { name: this.name, kind: loaded.model.kind, classes: loaded.model.classes, ...loaded.source } : null,
    };
  }

  private async metricsReply(): Promise<Reply> {
    if (!this.metrics) return { status: 503, text: '', contentType: 'text/plain' };
    const drift = (await this.options.drift?.metrics()) ?? '';
    return { status: 200, text: `${await this.metrics.registry.metrics()}${drift ? `\n${drift}` : ''}`, contentType: this.metrics.registry.contentType };
  }

  private ready(): LoadedModel {
    if (!this.current) throw new RequestError(503, 'the model is still loading: retry when GET /ready answers 200');
    return this.current;
  }

  /** Predicts for raw inputs: label, confidence, probabilities and time for each, logged and counted. */
  private async run(endpoint: string, raw: RawInput[]): Promise<{ label: string; confidence: number; probabilities: Record<string, number>; inference_time_ms: number }[]> {
    const loaded = this.ready();
    const { model, predictor, source } = loaded;
    if (raw.length === 0) return [];
    const inputs = raw.map((r, i) => {
      try {
        return model.toInput(r);
      } catch (error) {
        if (error instanceof InputRejected && raw.length > 1) throw new InputRejected(`input ${i}: ${error.message}`);
        throw error;
      }
    });
    const started = process.hrtime.bigint();
    const probabilities = await predictor.predict(inputs);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics?.inference.observe(seconds);
    const K = model.classes.length;
    const ms = Math.round(seconds * 1e6) / 1e3;
    const records: InferenceRecord[] = [];
    const ts = new Date().toISOString();
    const results = inputs.map((input, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (probabilities[i * K + k]! > probabilities[i * K + best]!) best = k;
      const label = model.classes[best]!;
      const confidence = round(probabilities[i * K + best]!);
      this.metrics?.predictions.inc({ class: label });
      this.metrics?.confidence.observe(confidence);
      if (this.options.telemetry) {
        records.push({ ts, endpoint, model_sha256: source.sha256, label, confidence, inference_time_ms: ms, ...this.options.telemetry.describeInput(input as string | Uint8Array) } as InferenceRecord);
      }
      return { label, confidence, probabilities: Object.fromEntries(model.classes.map((c, k) => [c, round(probabilities[i * K + k]!)])), inference_time_ms: ms };
    });
    this.options.telemetry?.write(records);
    this.options.onPredictions?.(results);
    return results;
  }

  private async predict(body: Body): Promise<Reply> {
    const { model } = this.ready();
    const { inputs, single } = predictInputs(body, model.inputField);
    const results = await this.run('/predict', inputs);
    return { status: 200, json: single ? results[0] : { predictions: results }, inputs: inputs.length };
  }

  private async invocations(body: Body): Promise<Reply> {
    const { model } = this.ready();
    const inputs = invocationInputs(body, model.inputField);
    const results = await this.run('/invocations', inputs);
    return { status: 200, json: { predictions: results.map(({ label, confidence, probabilities }) => ({ label, confidence, probabilities })) }, inputs: inputs.length };
  }

  private checkName(name: string): void {
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // `%ZZ`, or an escape that is not UTF-8: the client's mistake, not the server's.
      throw new RequestError(400, `the model name in the path, ${JSON.stringify(name)}, is not valid percent-encoding`);
    }
    if (decoded !== this.name) throw new RequestError(404, `no model named ${JSON.stringify(decoded)}: this server serves "${this.name}"`);
  }

  private modelMetadata(name: string): Reply {
    this.checkName(name);
    const { model, source } = this.ready();
    const image = model.kind === 'cifar10';
    return {
      status: 200,
      json: {
        name: this.name,
        versions: [source.sha256.slice(0, 12)],
        platform: `mlp_${model.kind}`,
        inputs: [{ name: model.inputField, datatype: image ? 'UINT8' : 'BYTES', shape: image ? [-1, 32, 32, 3] : [-1] }],
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [-1] },
          { name: 'confidence', datatype: 'FP32', shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, model.classes.length] },
        ],
        parameters: { classes: model.classes, sha256: source.sha256 },
      },
    };
  }

  private async infer(name: string, body: Body): Promise<Reply> {
    this.checkName(name);
    const { model, source } = this.ready();
    const { inputs, id } = inferInputs(body, model.inputField);
    const results = await this.run('/v2/infer', inputs);
    const n = results.length;
    return {
      status: 200,
      json: {
        model_name: this.name,
        model_version: source.sha256.slice(0, 12),
        ...(id !== undefined ? { id } : {}),
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [n], data: results.map((r) => r.label) },
          { name: 'confidence', datatype: 'FP32', shape: [n], data: results.map((r) => r.confidence) },
          { name: 'probabilities', datatype: 'FP32', shape: [n, model.classes.length], data: results.flatMap((r) => model.classes.map((c) => r.probabilities[c]!)) },
        ],
      },
      inputs: n,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
