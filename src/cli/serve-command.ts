/** `mlp serve <model-dir>`: parse options → start the server (src/serve) → render its events. */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isQuiet, parseSizeOption } from './options.js';
import type { ServeEvent } from '../serve/server.js';
import { plural } from '../ui/plural.js';
import { MlpError } from '../errors.js';

interface ServeFlags {
  host: string;
  port: number;
  workers: number;
  name?: string;
  maxBody: number;
  telemetry: string | false;
  telemetryMaxBytes: number;
  logInputs?: boolean;
  watch: boolean;
  shutdownDelay: number;
  driftReport?: string;
  track?: string;
  trackInterval: number;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a trained model over HTTP: /predict, MLflow /invocations, the v2 inference protocol, /metrics')
    .argument('<model-dir>', 'a model directory written by `mlp text train` or `mlp cifar10 train`')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, 8080)
    .option('--workers <n>', 'inference threads, each with its own copy of the model (0: on the main thread)', parseCount, 1)
    .option('--name <name>', 'model name in the v2 protocol and metrics (default: the model kind)')
    .option('--max-body <size>', 'largest request body, e.g. 10MB', parseSizeOption, 10 * 1024 * 1024)
    .option('--telemetry <file>', 'inference log, one JSON line per prediction', 'telemetry/inferences.jsonl')
    .option('--no-telemetry', 'do not log inferences')
    .addOption(new Option('--telemetry-max-bytes <size>', 'rotate the inference log at this size').argParser(parseSizeOption).default(100 * 1024 * 1024, '100MB'))
    .option('--log-inputs', 'also log the raw inputs (default: their size and sha256 only)')
    .option('--no-watch', 'do not reload when the model directory changes (SIGHUP still reloads)')
    .option('--drift-report <file>', "expose `mlp monitor`'s drift.json as mlp_drift_* gauges on /metrics (read at each scrape)")
    .option('--track <backend>', 'send aggregate series of the predictions (count, mean confidence, inference time, per class) to this tracking backend (mlflow, wandb) as one run, the repository\'s tracking settings applying')
    .option('--track-interval <seconds>', 'with --track: one step of the series every so many seconds', parseSeconds, 60)
    .option('--shutdown-delay <seconds>', 'on SIGTERM, keep answering this long (readiness 503) before closing', parseSeconds, 1)
    .action(async (modelDir: string, flags: ServeFlags, command: Command) => {
      process.exitCode = await serve(modelDir, flags, isQuiet(command));
    });
}

async function serve(modelDir: string, flags: ServeFlags, quiet: boolean): Promise<number> {
  const { ModelServer } = await import('../serve/server.js');
  const { modelSource } = await import('../serve/source.js');
  const { inProcessPredictor, workerPredictor } = await import('../serve/predictor.js');
  const { TelemetryLog } = await import('../serve/telemetry.js');
  const { detectModelKind, loadServable } = await import('../../stages/servables/load.js');
  const { mlpVersion } = await import('../version.js');
  const { DriftGauges } = await import('../serve/drift-gauges.js');

  const dir = path.resolve(modelDir);
  const kind = detectModelKind(dir);
  const telemetry = flags.telemetry === false ? undefined : new TelemetryLog({ file: path.resolve(flags.telemetry), maxBytes: flags.telemetryMaxBytes, keep: 5, logInputs: flags.logInputs === true });
  const onEvent = (event: ServeEvent): void => render(event, quiet, flags.workers);
  const drift = flags.driftReport === undefined ? undefined : new DriftGauges(path.resolve(flags.driftReport), (status) => onEvent({ type: 'drift-report', file: flags.driftReport!, status }));
  const worker = new URL('../../stages/servables/worker.js', import.meta.url);
  const tracked = flags.track === undefined ? undefined : await trackServing(dir, flags.track, flags.trackInterval);
  let labels: readonly string[] = [];
  const server = new ModelServer({
    host: flags.host,
    port: flags.port,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    maxBodyBytes: flags.maxBody,
    mlpVersion: mlpVersion(),
    ...(telemetry ? { telemetry } : {}),
    ...(drift ? { drift } : {}),
    async load() {
      // The hash first: a model that changes while it loads is caught by the next reload.
      const source = modelSource(dir);
      const model = await loadServable(dir, kind); // verifies the files' checksums
      const predictor = flags.workers === 0 ? inProcessPredictor(model) : await workerPredictor(worker, { dir, kind }, flags.workers, model.classes.length);
      labels = model.classes;
      return { model, predictor, source };
    },
    ...(tracked ? { onPredictions: (predictions) => tracked.series(() => labels).add(predictions) } : {}),
    onEvent,
  });

  await server.start();
  let stopping: Promise<void> | undefined;
  const done = new Promise<void>((resolve) => {
    const stop = (delayMs: number): void => {
      stopping ??= server.shutdown(delayMs).then(resolve);
    };
    // SIGTERM is how orchestrators stop a server: keep answering a moment while they stop routing
    // to it. Ctrl-C is a person at a terminal: stop at once (what is in flight still finishes).
    process.on('SIGTERM', () => stop(flags.shutdownDelay * 1000));
    process.on('SIGINT', () => stop(0));
  });
  process.on('SIGHUP', () => void server.reload());
  if (flags.watch) watchModel(dir, () => void server.reload());
  await done;
  for (const warning of (await tracked?.finish()) ?? []) process.stderr.write(`warning: ${warning}\n`);
  return 0;
}

/**
 * `--track`: one run for this serving session in the model's repository's tracking outbox (so
 * nothing is lost while the server is unreachable), fed aggregate series, ended FINISHED when
 * the server stops (a killed server's run is ended KILLED by the next `mlp track sync`).
 */
async function trackServing(dir: string, backend: string, intervalS: number) {
  const { Repo } = await import('../repo/repo.js');
  const { parseBackend, trackingSettings } = await import('../tracking/settings.js');
  const { TrackingSession } = await import('../tracking/session.js');
  const { liveTracker, LIVE_ENV } = await import('../tracking/live.js');
  const { UsageSeries } = await import('../serve/usage-series.js');
  const { modelSource } = await import('../serve/source.js');
  const repo = Repo.find(dir);
  repo.validateConfig();
  const settings = trackingSettings(repo.root, repo.config, process.env, parseBackend(backend));
  const session = settings.destination ? TrackingSession.open(repo, settings) : undefined;
  const source = modelSource(dir);
  const live = session?.serviceStarted('serve', { model: path.relative(repo.root, dir) || '.' }, {
    'mlp.model.sha256': source.sha256,
    ...(source.stage ? { 'mlp.model.stage': source.stage } : {}),
  });
  let series: InstanceType<typeof UsageSeries> | undefined;
  return {
    series(labels: () => readonly string[]) {
      series ??= new UsageSeries(live === undefined ? { log() {} } : liveTracker({ [LIVE_ENV]: live }), intervalS * 1000, labels());
      return series;
    },
    /** Ends the run and waits for its delivery (or its place in the outbox); the warnings to show. */
    async finish(): Promise<string[]> {
      series?.close();
      if (!session) return [];
      await session.serviceFinished('serve', 'ran');
      const { warnings } = await session.flush();
      repo.close();
      return warnings;
    },
  };
}

/** Calls `reload` (debounced) when the model directory changes or is replaced (training renames a new one into place). */
function watchModel(dir: string, reload: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(reload, 300);
  };
  const parent = fs.watch(path.dirname(dir), (_event, name) => {
    if (name === path.basename(dir)) changed();
  });
  parent.unref();
  let inside: fs.FSWatcher | undefined;
  const watchInside = (): void => {
    inside?.close();
    try {
      inside = fs.watch(dir, changed);
      inside.unref();
    } catch {
      inside = undefined; // replaced mid-way: the parent watcher calls again
    }
  };
  watchInside();
  parent.on('change', () => setTimeout(watchInside, 350).unref());
}

function render(event: ServeEvent, quiet: boolean, workers: number): void {
  switch (event.type) {
    case 'listening':
      if (!quiet) process.stdout.write(`Listening on ${event.url} (loading the model)\n`);
      return;
    case 'ready':
      if (!quiet) {
        const where = workers === 0 ? 'on the main thread' : `in ${plural(workers, 'worker thread')}`;
        process.stdout.write(`${event.reload ? 'Reloaded' : 'Serving'} ${event.kind} model ${event.sha256.slice(0, 12)} (inference ${where})\n`);
      }
      return;
    case 'reload-failed':
      process.stderr.write(`warning: the model was not reloaded, the previous one is still served: ${event.error.message}\n`);
      return;
    case 'internal-error':
      process.stderr.write(`error: ${event.error.stack ?? event.error.message}\n`);
      return;
    case 'request':
      // Structured access log: one JSON line per request.
      if (!quiet) process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), ...event, type: undefined })}\n`);
      return;
    case 'drift-report':
      // Said on a change only (the report is read at every scrape).
      if (!event.status.ok) process.stderr.write(`warning: ${event.status.error.message}: the mlp_drift_* gauges are absent${event.status.error instanceof MlpError && event.status.error.hint ? `\nhint: ${event.status.error.hint}` : ''}\n`);
      else if (!quiet) process.stdout.write(`Drift report ${event.file}: ${event.status.drift ? 'drift detected' : 'no drift'} (${plural(event.status.tests, 'test')})\n`);
      return;
    case 'draining':
      if (!quiet) process.stdout.write(`Stopping: finishing ${plural(event.inFlight, 'request')} in flight\n`);
      return;
    case 'stopped':
      if (!quiet) process.stdout.write('Stopped\n');
      return;
  }
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got '${value}'`);
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of seconds ≥ 0, got '${value}'`);
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'`);
  return n;
}
