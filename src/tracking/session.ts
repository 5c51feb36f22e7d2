/**
 * Tracking for one `mlp repro` (or `exp run`): every stage that runs gets one run on the
 * configured backend. When a stage starts, its run is written to the outbox (RUNNING) and the
 * stage gets `MLP_TRACKING_LIVE` for live curves; when it ends, the run is completed — params,
 * metrics files, plots and live series, lineage tags, output references, status — and delivered
 * in the background, in order, while the next stages run. A server that cannot be reached costs
 * one warning: the run stays in the outbox, later runs of this command go straight there, and
 * `mlp track sync` or the next tracked command delivers them. Only `tracking.required: true`
 * makes an undelivered run fail its stage.
 *
 * Runs left in the outbox by earlier commands are delivered first (a RUNNING one whose process
 * is dead was cut off by a kill: it ends as KILLED).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { runGit } from '../git/git.js';
import { flatten } from '../params/flatten.js';
import { getDotted, isMissing } from '../params/params-file.js';
import { parseMetrics } from '../metrics/metrics.js';
import { DEFAULT_PARAMS_FILE } from '../pipeline/schema.js';
import type { Stage } from '../pipeline/types.js';
import type { Repo } from '../repo/repo.js';
import { isSha256 } from '../schema/sha256.js';
import { mlpVersion } from '../version.js';
import { cacheContent, deliver } from './deliver.js';
import { LIVE_ENV, readLiveFile, readLiveFrom } from './live.js';
import { Outbox, endCutOffRun, isStageRunning, liveFile } from './outbox.js';
import type { ArtifactRef, RunRecord, RunStatus } from './run-record.js';
import { plotSeries } from './series.js';
import { openTracker, type TrackingSettings } from './settings.js';
import { TrackingError, type Tracker } from './tracker.js';

/** How a stage's run ended, as `repro` reports it (its StageResult status). */
export type StageOutcome = 'ran' | 'failed' | 'interrupted';

export interface TrackingReport {
  delivered: number;
  /** Runs left in the outbox, with why. */
  pending: number;
  warnings: string[];
}

/** How often live points are sent while a stage runs (W&B's client sends every 1–2.5 s at first). */
const LIVE_INTERVAL_MS = 2000;

interface OpenRun {
  record: RunRecord;
  /** The stage's live-metrics file (MLP_TRACKING_LIVE). */
  live: string;
  /** Bytes of it read so far, and history rows (steps) streamed so far. */
  read: number;
  rows: number;
  timer: NodeJS.Timeout;
  /** Streaming stopped after a failure: the points go at the end, with the rest. */
  streamBroken: boolean;
}

export class TrackingSession {
  private readonly outbox: Outbox;
  private readonly running = new Map<string, OpenRun>();
  private chain: Promise<void> = Promise.resolve();
  private tracker: Tracker | undefined;
  /** Set once the server failed in a way retrying now will not fix: the rest go to the outbox. */
  private unreachable: string | undefined;
  private readonly git: Record<string, string>;
  private readonly report: TrackingReport = { delivered: 0, pending: 0, warnings: [] };

  private constructor(
    private readonly repo: Repo,
    readonly settings: TrackingSettings,
    private readonly env: NodeJS.ProcessEnv,
    private readonly experiment: string | undefined,
  ) {
    this.outbox = Outbox.of(repo.mlpDir);
    // Before any stage runs: the pipeline.lock this command writes must not count as "dirty".
    this.git = gitLineage(repo.root);
  }

  /** A session, or undefined when the backend is `none` (mlp's own experiment store). */
  static open(repo: Repo, settings: TrackingSettings, options: { env?: NodeJS.ProcessEnv; experiment?: string } = {}): TrackingSession | undefined {
    if (settings.destination === undefined) return undefined;
    const session = new TrackingSession(repo, settings, options.env ?? process.env, options.experiment);
    session.enqueue(() => session.deliverPending());
    return session;
  }

  /** The stage is about to run: its run is recorded, and the environment its commands get. */
  stageStarted(stage: Stage): Record<string, string> | undefined {
    if (!this.settings.tracks(stage.name)) return undefined;
    const open = this.begin(stage.name, `stage '${stage.name}'`, this.experiment ? `${this.experiment}/${stage.name}` : stage.name, (record) => {
      // What is known before the stage runs, so that a run cut off by a kill of mlp still says what it was.
      record.params = stageParams(this.repo, stage, (warning) => this.report.warnings.push(warning));
      record.tags = this.lineage(stage, record);
    });
    return open && { [LIVE_ENV]: open.live, MLP_TRACKING_BACKEND: open.record.destination.backend, MLP_TRACKING_RUN_UID: open.record.uid };
  }

  /**
   * A run of a long-lived process rather than of a stage (`mlp serve --track`), named `name`,
   * with `params` and lineage `tags`: the process appends its points to the live file returned
   * (live.ts), which streams as a stage's does; `serviceFinished` ends it.
   */
  serviceStarted(name: string, params: Record<string, string>, tags: Record<string, string>): string | undefined {
    const open = this.begin(name, `mlp ${name}`, name, (record) => {
      record.params = params;
      record.tags = {
        ...this.git,
        'mlp.version': mlpVersion(),
        'mlp.run_uid': record.uid,
        'mlflow.runName': record.runName,
        'mlflow.source.name': `mlp ${name}`,
        'mlflow.source.type': 'LOCAL',
        'mlflow.user': os.userInfo().username,
        ...tags,
      };
    });
    return open?.live;
  }

  /** The service's run ends with `outcome`, its points as its series. */
  async serviceFinished(name: string, outcome: StageOutcome): Promise<void> {
    const open = this.running.get(name);
    if (!open) return;
    this.running.delete(name);
    clearInterval(open.timer);
    const { record, live } = open;
    record.status = statusOf(outcome);
    record.endTime = Date.now();
    // Its points are its series; no summary of their last values: a backend would log those again
    // as one more point at the last step (both backends show the last point as the run's value).
    record.series.push(...readLiveFile(live));
    this.outbox.write(record);
    fs.rmSync(live, { force: true });
    await this.enqueue(() => this.send(record));
  }

  /** Records a new run under `key` (`what` it tracks, for messages; filled in by `fill`) in the outbox and starts streaming its live file. */
  private begin(key: string, what: string, runName: string, fill: (record: RunRecord) => void): OpenRun | undefined {
    const destination = this.settings.destination;
    if (!destination) return undefined;
    const uid = randomUUID();
    const record: RunRecord = {
      version: 1,
      uid,
      pid: process.pid,
      host: os.hostname(),
      stage: key,
      runName,
      destination,
      status: 'RUNNING',
      startTime: Date.now(),
      params: {},
      summary: {},
      series: [],
      tags: {},
      artifacts: [],
      delivery: { done: [], attempts: 0 },
    };
    fill(record);
    const live = liveFile(this.repo.tmpDir, uid);
    try {
      fs.mkdirSync(path.dirname(live), { recursive: true });
      this.outbox.write(record);
    } catch (error) {
      this.report.warnings.push(`${what} is not tracked: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    const open: OpenRun = { record, live, read: 0, rows: 0, streamBroken: false, timer: setInterval(() => void this.enqueue(() => this.streamLive(open)), LIVE_INTERVAL_MS) };
    open.timer.unref();
    this.running.set(key, open);
    return open;
  }

  /**
   * The stage ended: its run is completed and delivered (in the background, unless
   * `tracking.required`). Returns an error only when `required` and the run could not be delivered.
   */
  async stageFinished(stage: Stage, outcome: StageOutcome): Promise<MlpError | undefined> {
    const open = this.running.get(stage.name);
    if (!open) return undefined;
    this.running.delete(stage.name);
    clearInterval(open.timer);
    const { record, live } = open;
    record.status = statusOf(outcome);
    record.endTime = Date.now();
    this.complete(stage, record, live);
    this.outbox.write(record);
    fs.rmSync(live, { force: true });
    if (!this.settings.required) {
      this.enqueue(() => this.send(record));
      return undefined;
    }
    // Required: this stage waits for its run (after the runs queued before it).
    let failure: string | undefined;
    await this.enqueue(async () => {
      failure = await this.send(record);
    });
    if (failure === undefined) return undefined;
    return new MlpError(`tracking is required and the run could not be delivered: ${failure}`, {
      hint: 'the run is kept in .mlp/tracking/outbox/: `mlp track sync` sends it once the server is back (or set tracking.required: false)',
    });
  }

  /** Waits for every queued delivery; what was delivered, what is pending and the warnings. */
  async flush(): Promise<TrackingReport> {
    await this.chain;
    if (this.unreachable) {
      this.report.warnings.push(`${this.report.pending} run${this.report.pending === 1 ? '' : 's'} kept in .mlp/tracking/outbox/: ${this.unreachable}; \`mlp track sync\` sends ${this.report.pending === 1 ? 'it' : 'them'} (the next tracked run also tries)`);
    }
    return this.report;
  }

  private enqueue(task: () => Promise<unknown>): Promise<void> {
    const next = this.chain.then(task).then(
      () => undefined,
      (error: unknown) => {
        this.report.warnings.push(`tracking: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    this.chain = next;
    return next;
  }

  /**
   * Sends the live points logged since the last call, while the stage runs: the run is created
   * on the server at the first points. Best effort: after a failure, the points wait for the end.
   */
  private async streamLive(open: OpenRun): Promise<void> {
    const { record } = open;
    if (this.unreachable || open.streamBroken || !this.running.has(record.stage)) return;
    const { points, next } = readLiveFrom(open.live, open.read);
    if (points.length === 0) return;
    try {
      this.tracker ??= await openTracker(record.destination, this.repo.config, this.env, this.settings.timeoutMs);
      if (!record.delivery.remote) {
        // Counted as an attempt, on disk, first: if the answer is lost (or mlp is killed waiting for it), the final delivery looks the run up instead of creating another.
        record.delivery.attempts++;
        this.outbox.write(record);
        record.delivery.remote = await this.tracker.startRun(record, false);
        record.delivery.done.push('start');
        this.outbox.write(record);
      }
      await this.tracker.streamMetrics(record.delivery.remote, record, points, open.rows);
      open.read = next;
      open.rows += new Set(points.map((p) => p.step)).size;
    } catch {
      open.streamBroken = true;
    }
  }

  /** Delivers one run; the reason it is still pending, or undefined once delivered. */
  private async send(record: RunRecord): Promise<string | undefined> {
    if (this.unreachable) {
      this.report.pending++;
      return this.unreachable;
    }
    if (!this.outbox.claim(record)) return undefined; // another mlp is sending it
    try {
      this.tracker ??= await openTracker(record.destination, this.repo.config, this.env, this.settings.timeoutMs);
      await deliver(record, this.tracker, this.outbox, cacheContent(this.repo.objects));
      this.report.delivered++;
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.report.pending++;
      // Whatever failed (server down, bad credentials) fails the same way for the next run.
      this.unreachable = error instanceof TrackingError && !error.retryable ? `${message} (not retried: fix the settings, then \`mlp track sync\`)` : message;
      return message;
    } finally {
      this.outbox.release(record);
    }
  }

  private async deliverPending(): Promise<void> {
    for (const record of this.outbox.list()) {
      if (isStageRunning(record)) continue;
      if (record.status === 'RUNNING') endCutOffRun(record, this.repo.tmpDir, this.outbox); // mlp was killed while the stage ran
      if (this.unreachable) {
        this.report.pending++;
        continue;
      }
      await this.send(record);
    }
  }

  /** Lineage tags known when the stage starts: git, stage, mlp, command, run. */
  private lineage(stage: Stage, record: RunRecord): Record<string, string> {
    const tags: Record<string, string> = {
      ...this.git,
      'mlp.stage': stage.name,
      'mlp.version': mlpVersion(),
      'mlp.cmd': stage.cmd.join('\n'),
      'mlp.run_uid': record.uid,
      'mlflow.runName': record.runName,
      'mlflow.source.name': `mlp repro ${stage.name}`,
      'mlflow.source.type': 'PROJECT',
      'mlflow.user': os.userInfo().username,
    };
    if (this.git['mlp.git.commit']) tags['mlflow.source.git.commit'] = this.git['mlp.git.commit'];
    if (this.git['mlp.git.branch']) tags['mlflow.source.git.branch'] = this.git['mlp.git.branch'];
    if (this.experiment) tags['mlp.experiment'] = this.experiment;
    return tags;
  }

  /** Fills in what the stage declared and produced. */
  private complete(stage: Stage, record: RunRecord, live: string): void {
    const root = this.repo.root;
    for (const out of stage.outs) {
      const abs = path.join(root, out.path);
      if (out.kind === 'metric') {
        try {
          const text = fs.readFileSync(abs, 'utf8');
          for (const [key, value] of parseMetrics(text, out.path, { label: 'workspace', commit: undefined, read: () => undefined, prefetch() {}, list: () => [] })) {
            if (typeof value === 'number' && Number.isFinite(value)) record.summary[key] = value;
          }
        } catch {
          // a failed stage may not have written it; `metrics show` reports broken files
        }
      } else if (out.kind === 'plot') {
        record.series.push(...plotSeries(abs, out.plot, record.endTime ?? Date.now()));
      }
    }
    record.series.push(...readLiveFile(live));
    const tags = this.lineage(stage, record);
    if (record.status === 'FINISHED') {
      // The lock entry this run just recorded: the exact bytes it read and wrote.
      const entry = this.repo.lock.get(stage.name);
      for (const dep of entry?.deps ?? []) tags[`mlp.dep.${dep.path}`] = dep.hash;
      for (const out of entry?.outs ?? []) {
        tags[`mlp.out.${out.path}`] = out.hash;
        record.artifacts.push(this.artifact(stage, out.path, out.hash, out.size, out.nfiles !== undefined));
      }
    }
    record.tags = tags;
  }

  /**
   * An output as the run logs it: a reference, and the bytes too when `tracking.artifacts` allows
   * its size and it is in the cache (a directory's files are listed from its manifest now, so
   * the delivery needs nothing but the objects).
   */
  private artifact(stage: Stage, outPath: string, hash: string, size: number, directory: boolean): ArtifactRef {
    const ref: ArtifactRef = { path: outPath, sha256: hash, size };
    const limit = this.settings.artifactLimit;
    const cached = stage.outs.find((o) => o.path === outPath)?.cache !== false;
    if (limit <= 0 || size > limit || !cached || !isSha256(hash)) return ref;
    try {
      if (directory) ref.files = this.repo.objects.readManifest(hash).map((e) => ({ path: e.path, sha256: e.hash, size: e.size }));
      else if (!this.repo.objects.has(hash)) return ref;
    } catch (error) {
      this.report.warnings.push(`stage '${stage.name}': output '${outPath}' is logged by reference only: ${error instanceof Error ? error.message : String(error)}`);
      return ref;
    }
    ref.upload = true;
    return ref;
  }
}

function statusOf(outcome: StageOutcome): Exclude<RunStatus, 'RUNNING'> {
  return outcome === 'ran' ? 'FINISHED' : outcome === 'failed' ? 'FAILED' : 'KILLED';
}

/** The stage's declared params as flat `key → text` (keys of files other than params.yaml are prefixed with the file). */
export function stageParams(repo: Repo, stage: Stage, warn: (message: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of stage.params) {
    let data: Record<string, unknown> | undefined;
    try {
      data = repo.params.read(spec.file);
    } catch (error) {
      warn(`stage '${stage.name}': params not tracked: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (!data) continue;
    const prefix = spec.file === DEFAULT_PARAMS_FILE ? '' : `${spec.file}:`;
    const keys = spec.keys.length > 0 ? spec.keys : Object.keys(data);
    for (const key of keys) {
      const value = getDotted(data, key);
      if (isMissing(value)) continue;
      for (const [flat, leaf] of flatten(value, key)) out[`${prefix}${flat}`] = typeof leaf === 'string' ? leaf : JSON.stringify(leaf);
    }
  }
  return out;
}

/**
 * Commit, branch and dirty flag of the workspace, as tags (empty outside git or before the first
 * commit), from one `git status --porcelain=v2 --branch` (its `# branch.*` header lines).
 */
function gitLineage(root: string): Record<string, string> {
  const status = runGit(root, ['status', '--porcelain=v2', '--branch', '--untracked-files=no']);
  if (status.code !== 0) return {};
  const lines = status.stdout.toString('utf8').split('\n').filter(Boolean);
  const header = (name: string): string | undefined => lines.find((l) => l.startsWith(`# branch.${name} `))?.slice(`# branch.${name} `.length);
  const commit = header('oid');
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return {};
  const tags: Record<string, string> = { 'mlp.git.commit': commit };
  const branch = header('head');
  if (branch && branch !== '(detached)') tags['mlp.git.branch'] = branch;
  tags['mlp.git.dirty'] = String(lines.some((l) => !l.startsWith('#')));
  return tags;
}
