/**
 * Weights & Biases (beta) through the HTTP protocol its client speaks: GraphQL `upsertBucket` on
 * `<base>/graphql` for the run (its config holds the params and mlp's lineage), and the
 * file-stream endpoint `<base>/files/<entity>/<project>/<run>/file_stream` for the history
 * (`wandb-history.jsonl`, one JSON line per step), the summary (`wandb-summary.json`) and the
 * end of the run (`complete` with an exit code: 0 finished, else failed; a KILLED run is then set
 * to W&B's own `killed` state, below). Auth: basic `api:<key>`
 * (WANDB_API_KEY). Every call is idempotent: the run's name is mlp's run uid, upserted; history
 * lines are sent at fixed offsets, which the server overwrites.
 */
import { requestBytes, requestJson, rejection, type HttpOptions, type JsonResponse } from './http.js';
import type { MetricPoint, RemoteRun, RunRecord } from './run-record.js';
import { TrackingError, artifactUploads, type ArtifactContent, type ArtifactUpload, type Tracker } from './tracker.js';

const UPSERT_BUCKET = `mutation UpsertBucket(
  $id: String, $name: String, $project: String, $entity: String, $groupName: String,
  $displayName: String, $notes: String, $commit: String, $config: JSONString, $host: String,
  $jobType: String, $state: String, $tags: [String!], $summaryMetrics: JSONString
) {
  upsertBucket(input: {
    id: $id, name: $name, modelName: $project, entityName: $entity, groupName: $groupName,
    displayName: $displayName, notes: $notes, commit: $commit, config: $config, host: $host,
    jobType: $jobType, state: $state, tags: $tags, summaryMetrics: $summaryMetrics
  }) {
    bucket { id name displayName project { name entity { name } } }
    inserted
  }
}`;

const VIEWER = `query Viewer { viewer { id entity } }`;

const CREATE_RUN_FILES = `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID
    uploadHeaders
    files { name uploadUrl }
  }
}`;

/** W&B's exit code for a run stopped by a signal (as the client reports a Ctrl-C). */
const KILLED_EXIT_CODE = 255;

/**
 * W&B's state for a run "forcibly stopped before it could finish" (its public API's `Run.state`:
 * running, pending, finished, failed, crashed, killed, preempting, preempted). The file stream
 * knows only exit codes — any non-zero one ends as `failed` — so a KILLED run's state is set
 * with `upsertBucket(state:)` after `complete`, as W&B's sweep scheduler reads it back.
 */
export const WANDB_KILLED_STATE = 'killed';

export class WandbTracker implements Tracker {
  private readonly base: string;
  private readonly http: HttpOptions;
  private defaultEntity: string | undefined;

  constructor(baseUrl: string, apiKey: string | undefined, http: Omit<HttpOptions, 'headers'>) {
    if (!apiKey) throw new TrackingError('no W&B API key', 'config');
    this.base = baseUrl.replace(/\/+$/, '');
    this.http = { ...http, headers: { authorization: `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}` } };
  }

  async startRun(run: RunRecord): Promise<RemoteRun> {
    const entity = run.destination.entity ?? (await this.viewerEntity());
    const name = wandbRunId(run.uid);
    const answer = await this.upsert({
      name,
      project: run.destination.experiment,
      entity,
      displayName: run.runName,
      groupName: run.tags['mlp.experiment'],
      jobType: run.stage,
      host: run.host,
      commit: run.tags['mlp.git.commit'],
      state: 'running',
      tags: ['mlp', `stage:${run.stage}`],
    });
    const bucket = (answer as { upsertBucket?: { bucket?: { name?: string; project?: { name?: string; entity?: { name?: string } } } } }).upsertBucket?.bucket;
    return { id: bucket?.name ?? name, experimentId: bucket?.project?.name ?? run.destination.experiment, entity: bucket?.project?.entity?.name ?? entity };
  }

  /** Params and lineage go into the run's config together (W&B replaces a config as a whole). */
  async logParams(remote: RemoteRun, run: RunRecord): Promise<void> {
    const config: Record<string, { value: unknown; desc: null }> = {};
    for (const [key, value] of Object.entries(run.params)) config[key] = { value: parseValue(value), desc: null };
    config.mlp = { value: run.tags, desc: null };
    await this.upsert({ name: remote.id, project: remote.experimentId, entity: remote.entity, config: JSON.stringify(config) });
  }

  /**
   * Live rows at history offsets after those streamed before (`offset` counts points; a row
   * is a step, so the session streams whole steps and the offset counts the rows sent).
   */
  async streamMetrics(remote: RemoteRun, run: RunRecord, points: MetricPoint[], offset: number): Promise<void> {
    const rows = historyRows(points, run.startTime);
    if (rows.length === 0) return;
    await this.stream(remote, { files: { 'wandb-history.jsonl': { offset, content: rows } } });
  }

  /**
   * History lines, one per step, then the summary: final values and each series' last value.
   * Lines streamed live are sent again at their offsets (the server overwrites them).
   */
  async logMetrics(remote: RemoteRun, run: RunRecord): Promise<void> {
    const last = new Map<string, { step: number; value: number }>();
    for (const p of run.series) {
      const seen = last.get(p.key);
      if (!seen || p.step >= seen.step) last.set(p.key, { step: p.step, value: p.value });
    }
    const history = historyRows(run.series, run.startTime);
    const summary: Record<string, number> = { ...Object.fromEntries([...last].map(([k, v]) => [k, v.value])), ...run.summary };
    const files: Record<string, { offset: number; content: string[] }> = { 'wandb-summary.json': { offset: 0, content: [JSON.stringify(summary)] } };
    // The client splits requests at 10 MB; mlp's runs are far smaller, but a long series is sent in parts.
    const PART = 5000;
    for (let i = 0; i < history.length || i === 0; i += PART) {
      const part = history.slice(i, i + PART);
      await this.stream(remote, { files: { ...(part.length > 0 ? { 'wandb-history.jsonl': { offset: i, content: part } } : {}), ...(i + PART >= history.length ? files : {}) } });
    }
  }

  async setTags(remote: RemoteRun, run: RunRecord): Promise<void> {
    // Lineage is part of the config (logParams); W&B's own tags are labels, set at start.
    await this.logParams(remote, run);
  }

  /**
   * References in the run's notes (sha256 of each output in mlp's cache); the outputs marked
   * `upload` as run files, as the client uploads them: GraphQL `createRunFiles` gives a signed
   * upload URL per file and headers to send with it (`Key:Value`), the bytes are PUT there —
   * without W&B's credentials: the URL is the storage's, not W&B's — and the file stream is told
   * which files are `uploaded`.
   */
  async logArtifacts(remote: RemoteRun, run: RunRecord, content: ArtifactContent | undefined): Promise<void> {
    if (run.artifacts.length === 0) return;
    const refs = Object.fromEntries(run.artifacts.map((a) => [a.path, `sha256:${a.sha256}`]));
    await this.upsert({ name: remote.id, project: remote.experimentId, entity: remote.entity, notes: `mlp outputs: ${JSON.stringify(refs)}` });
    const uploads = content ? artifactUploads(run) : [];
    const files: Array<{ upload: ArtifactUpload; data: Buffer }> = [];
    for (const upload of uploads) {
      const data = await (content as ArtifactContent)(upload.sha256, upload.size);
      if (data) files.push({ upload, data }); // gone from the cache: the reference is what remains
    }
    if (files.length === 0) return;
    const answer = (await this.graphql(CREATE_RUN_FILES, { entity: remote.entity, project: remote.experimentId, run: remote.id, files: files.map((f) => f.upload.path) })) as {
      createRunFiles?: { uploadHeaders?: string[] | null; files?: Array<{ name: string; uploadUrl?: string | null }> } | null;
    };
    const headers: Record<string, string> = {};
    for (const header of answer.createRunFiles?.uploadHeaders ?? []) {
      const at = header.indexOf(':');
      if (at > 0) headers[header.slice(0, at).trim()] = header.slice(at + 1).trim();
    }
    const urls = new Map((answer.createRunFiles?.files ?? []).map((f) => [f.name, f.uploadUrl]));
    for (const { upload, data } of files) {
      const url = urls.get(upload.path);
      if (!url) throw new TrackingError(`W&B createRunFiles gave no upload URL for '${upload.path}'`, 'rejected');
      const response = await requestBytes('PUT', url, data, { ...this.http, headers });
      if (response.status < 200 || response.status >= 300) throw rejection('PUT', url.split('?')[0] as string, response);
    }
    await this.stream(remote, { uploaded: files.map((f) => f.upload.path) });
  }

  async endRun(remote: RemoteRun, run: RunRecord): Promise<void> {
    const exitcode = run.status === 'FINISHED' ? 0 : run.status === 'FAILED' ? 1 : KILLED_EXIT_CODE;
    await this.stream(remote, { complete: true, exitcode });
    if (exitcode === KILLED_EXIT_CODE) await this.upsert({ name: remote.id, project: remote.experimentId, entity: remote.entity, state: WANDB_KILLED_STATE });
  }

  private async viewerEntity(): Promise<string> {
    if (this.defaultEntity) return this.defaultEntity;
    const data = (await this.graphql(VIEWER, {})) as { viewer?: { entity?: string } | null };
    const entity = data.viewer?.entity;
    if (!entity) throw new TrackingError('W&B did not say which entity the API key belongs to', 'auth');
    return (this.defaultEntity = entity);
  }

  private upsert(variables: Record<string, unknown>): Promise<unknown> {
    return this.graphql(UPSERT_BUCKET, Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== undefined)));
  }

  private async graphql(query: string, variables: Record<string, unknown>): Promise<unknown> {
    const url = `${this.base}/graphql`;
    const response = await requestJson('POST', url, { query, variables }, this.http);
    if (response.status < 200 || response.status >= 300) throw rejection('POST', url, response);
    const body = response.body as { data?: unknown; errors?: Array<{ message?: string }> } | undefined;
    if (body?.errors?.length) throw new TrackingError(`W&B GraphQL: ${body.errors.map((e) => e.message).join('; ')}`, 'rejected');
    return body?.data ?? {};
  }

  private async stream(remote: RemoteRun, body: unknown): Promise<JsonResponse> {
    const url = `${this.base}/files/${encodeURIComponent(remote.entity ?? '')}/${encodeURIComponent(remote.experimentId ?? '')}/${encodeURIComponent(remote.id)}/file_stream`;
    const response = await requestJson('POST', url, body, this.http);
    if (response.status < 200 || response.status >= 300) throw rejection('POST', url, response);
    return response;
  }
}

/** One history line per step, in step order. */
function historyRows(points: readonly MetricPoint[], startTime: number): string[] {
  const steps = new Map<number, Record<string, number>>();
  for (const p of points) {
    const row = steps.get(p.step) ?? { _step: p.step, _timestamp: p.timestamp / 1000, _runtime: Math.max(0, (p.timestamp - startTime) / 1000) };
    row[p.key] = p.value;
    steps.set(p.step, row);
  }
  return [...steps.values()].sort((a, b) => (a._step as number) - (b._step as number)).map((row) => JSON.stringify(row));
}

/** W&B run ids are short and URL-safe: mlp's uid without its dashes. */
export function wandbRunId(uid: string): string {
  return uid.replace(/-/g, '');
}

/** Params travel as strings in the run record; W&B's config shows numbers and lists as such. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
