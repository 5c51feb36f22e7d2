/**
 * MLflow through its REST API 2.0 (there is no maintained npm client): experiments
 * get-by-name/create, runs create/search/log-batch/update. Requests stay within the server's
 * limits (log-batch: 1,000 metrics, 100 params, 100 tags, 1,000 entities per call; keys of at
 * most 250 characters out of letters, digits and `_ - . / space`; param values 6,000 and tag
 * values 5,000 characters). Auth: `Bearer MLFLOW_TRACKING_TOKEN`, else basic
 * `MLFLOW_TRACKING_USERNAME`/`PASSWORD`.
 */
import { requestBytes, requestJson, rejection, type HttpOptions, type JsonResponse } from './http.js';
import type { MetricPoint, RemoteRun, RunRecord } from './run-record.js';
import { TrackingError, artifactUploads, type ArtifactContent, type Tracker } from './tracker.js';

export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 5000,
} as const;

export interface MlflowCredentials {
  token?: string;
  username?: string;
  password?: string;
}

/** The tag that names mlp's run id: what finds a run again after a cut-off delivery. */
export const RUN_UID_TAG = 'mlp.run_uid';

export class MlflowTracker implements Tracker {
  private readonly base: string;
  private readonly artifactBase: string;
  private readonly http: HttpOptions;
  private readonly experiments = new Map<string, string>();

  constructor(uri: string, credentials: MlflowCredentials, http: Omit<HttpOptions, 'headers'>) {
    this.base = `${uri.replace(/\/+$/, '')}/api/2.0/mlflow`;
    this.artifactBase = `${uri.replace(/\/+$/, '')}/api/2.0/mlflow-artifacts/artifacts`;
    const headers: Record<string, string> = {};
    if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
    else if (credentials.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
    this.http = { ...http, headers };
  }

  async startRun(run: RunRecord, resuming: boolean): Promise<RemoteRun> {
    const experimentId = await this.experimentId(run.destination.experiment);
    if (resuming) {
      // A delivery cut off between runs/create and recording its answer: find that run.
      const found = await this.call('POST', 'runs/search', {
        experiment_ids: [experimentId],
        filter: `tags.\`${RUN_UID_TAG}\` = '${run.uid}'`,
        max_results: 1,
      });
      const runs = (found.body as { runs?: Array<{ info: { run_id: string } }> } | undefined)?.runs ?? [];
      if (runs[0]) return { id: runs[0].info.run_id, experimentId };
    }
    const created = await this.call('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: run.runName,
      start_time: run.startTime,
      tags: [{ key: RUN_UID_TAG, value: run.uid }],
    });
    const id = (created.body as { run?: { info?: { run_id?: string } } } | undefined)?.run?.info?.run_id;
    if (typeof id !== 'string') throw new TrackingError('MLflow runs/create answered without a run id', 'rejected');
    return { id, experimentId };
  }

  async logParams(remote: RemoteRun, run: RunRecord): Promise<void> {
    const entries = Object.entries(run.params).map(([key, value]) => ({ key: mlflowKey(key), value: value.slice(0, MLFLOW_LIMITS.paramValueLength) }));
    for (let i = 0; i < entries.length; i += MLFLOW_LIMITS.paramsPerBatch) {
      await this.call('POST', 'runs/log-batch', { run_id: remote.id, params: entries.slice(i, i + MLFLOW_LIMITS.paramsPerBatch) });
    }
  }

  /**
   * Series as they are; a final value at step 0, or after the last step of a series of the same
   * name (so that it does not break the curve).
   */
  async logMetrics(remote: RemoteRun, run: RunRecord): Promise<void> {
    const lastStep = new Map<string, number>();
    for (const p of run.series) lastStep.set(p.key, Math.max(lastStep.get(p.key) ?? 0, p.step));
    const timestamp = run.endTime ?? run.startTime;
    const points: MetricPoint[] = [
      ...run.series,
      ...Object.entries(run.summary).map(([key, value]) => ({ key, value, timestamp, step: lastStep.get(key) ?? 0 })),
    ];
    await this.logPoints(remote, points);
  }

  private async logPoints(remote: RemoteRun, points: MetricPoint[]): Promise<void> {
    const entries = points.map((m) => ({ key: mlflowKey(m.key), value: m.value, timestamp: Math.round(m.timestamp), step: Math.round(m.step) }));
    for (let i = 0; i < entries.length; i += MLFLOW_LIMITS.metricsPerBatch) {
      await this.call('POST', 'runs/log-batch', { run_id: remote.id, metrics: entries.slice(i, i + MLFLOW_LIMITS.metricsPerBatch) });
    }
  }

  async streamMetrics(remote: RemoteRun, _run: RunRecord, points: MetricPoint[]): Promise<void> {
    await this.logPoints(remote, points);
  }

  async setTags(remote: RemoteRun, run: RunRecord): Promise<void> {
    await this.logTags(remote, run.tags);
  }

  /**
   * A tag per output with the sha256 of its bytes in mlp's cache; the outputs marked `upload`
   * through the server's artifact proxy (`PUT /api/2.0/mlflow-artifacts/artifacts/<path>`, under
   * the run's `mlflow-artifacts:/…` artifact URI), one file per request. A server that does not
   * proxy artifacts (its runs' artifact URI is s3://, file:…, with `--no-serve-artifacts`) gets
   * the references only, and a tag that says why.
   */
  async logArtifacts(remote: RemoteRun, run: RunRecord, content: ArtifactContent | undefined): Promise<void> {
    const tags: Record<string, string> = Object.fromEntries(run.artifacts.map((a) => [`mlp.artifact.${a.path}`, `sha256:${a.sha256}${a.size === undefined ? '' : ` size:${a.size}`}`]));
    const uploads = content ? artifactUploads(run) : [];
    if (uploads.length > 0) {
      const got = await this.call('GET', `runs/get?run_id=${encodeURIComponent(remote.id)}`, undefined);
      const uri = (got.body as { run?: { info?: { artifact_uri?: string } } } | undefined)?.run?.info?.artifact_uri ?? '';
      const root = proxiedArtifactPath(uri);
      if (root === undefined) {
        tags['mlp.artifacts.skipped'] = `the server stores this run's artifacts at ${uri || 'an unknown place'}, not through its artifact proxy (mlflow server --serve-artifacts)`;
      } else {
        for (const file of uploads) {
          const data = await (content as ArtifactContent)(file.sha256, file.size);
          if (!data) continue; // gone from the cache: the reference is what remains
          const url = `${this.artifactBase}/${[...root.split('/'), ...file.path.split('/')].filter(Boolean).map(encodeURIComponent).join('/')}`;
          const response = await requestBytes('PUT', url, data, this.http);
          if (response.status < 200 || response.status >= 300) throw rejection('PUT', url, response);
        }
      }
    }
    await this.logTags(remote, tags);
  }

  async endRun(remote: RemoteRun, run: RunRecord): Promise<void> {
    const status = run.status === 'RUNNING' ? 'KILLED' : run.status;
    await this.call('POST', 'runs/update', { run_id: remote.id, status, end_time: run.endTime ?? Date.now() });
  }

  private async logTags(remote: RemoteRun, tags: Record<string, string>): Promise<void> {
    const entries = Object.entries(tags).map(([key, value]) => ({ key: mlflowKey(key), value: value.slice(0, MLFLOW_LIMITS.tagValueLength) }));
    for (let i = 0; i < entries.length; i += MLFLOW_LIMITS.tagsPerBatch) {
      await this.call('POST', 'runs/log-batch', { run_id: remote.id, tags: entries.slice(i, i + MLFLOW_LIMITS.tagsPerBatch) });
    }
  }

  private async experimentId(name: string): Promise<string> {
    const known = this.experiments.get(name);
    if (known) return known;
    let id = await this.findExperiment(name);
    if (id === undefined) {
      const created = await this.call('POST', 'experiments/create', { name }, ['RESOURCE_ALREADY_EXISTS']);
      id = created.status === 200 ? (created.body as { experiment_id?: string }).experiment_id : await this.findExperiment(name);
      if (typeof id !== 'string') throw new TrackingError(`MLflow did not create the experiment '${name}'`, 'rejected');
    }
    this.experiments.set(name, id);
    return id;
  }

  private async findExperiment(name: string): Promise<string | undefined> {
    const found = await this.call('GET', `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`, undefined, ['RESOURCE_DOES_NOT_EXIST']);
    if (found.status !== 200) return undefined;
    const experiment = (found.body as { experiment?: { experiment_id?: string; lifecycle_stage?: string } }).experiment;
    if (experiment?.lifecycle_stage === 'deleted') {
      throw new TrackingError(`the MLflow experiment '${name}' is deleted`, 'rejected');
    }
    return experiment?.experiment_id;
  }

  /** One API call; `accepted` error codes come back as answers instead of errors. */
  private async call(method: 'GET' | 'POST', endpoint: string, body: unknown, accepted: string[] = []): Promise<JsonResponse> {
    const url = `${this.base}/${endpoint}`;
    const response = await requestJson(method, url, body, this.http);
    if (response.status >= 200 && response.status < 300) return response;
    const code = (response.body as { error_code?: string } | undefined)?.error_code;
    if (code !== undefined && accepted.includes(code)) return response;
    throw rejection(method, url, response);
  }
}

/**
 * A key MLflow accepts: characters outside `[A-Za-z0-9_ ./-]` become `_`, and path-like oddities
 * MLflow refuses (`a//b`, `./a`, a trailing `/`) are normalised.
 */
export function mlflowKey(key: string): string {
  const cleaned = key
    .replace(/[^\w.\- /]/g, '_')
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .map((part) => (part === '..' ? '__' : part))
    .join('/');
  return (cleaned === '' ? '_' : cleaned).slice(0, MLFLOW_LIMITS.keyLength);
}

/**
 * The path under the artifact proxy of an artifact URI the server serves itself:
 * `mlflow-artifacts:/1/<run>/artifacts` or `mlflow-artifacts://host:port/1/<run>/artifacts` → `1/<run>/artifacts`;
 * undefined for any other store.
 */
export function proxiedArtifactPath(uri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(uri);
  if (!match) return undefined;
  return (match[1] ?? '').replace(/^\/+|\/+$/g, '');
}
