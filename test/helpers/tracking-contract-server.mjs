#!/usr/bin/env node
/**
 * Contract servers for mlp's tracking clients, on 127.0.0.1, in one process: the parts of
 * MLflow's REST API 2.0 (mlflow/protos/service.proto, https://mlflow.org/docs/latest/rest-api.html)
 * and of W&B's HTTP protocol (GraphQL `upsertBucket`/`viewer`, the file-stream endpoint, as the
 * wandb client speaks them) that mlp uses, plus the read calls tests check results with.
 * Artifacts: MLflow's artifact proxy (`PUT/GET /api/2.0/mlflow-artifacts/artifacts/<path>`, the
 * list call `GET …/artifacts?path=`; paths checked as the server's validate_path_is_safe does),
 * and W&B run files (GraphQL `createRunFiles` → signed upload URLs on a storage endpoint of this
 * server that, like S3/GCS signed URLs, refuses a request that also carries an Authorization
 * header or lacks the upload headers; the file stream's `uploaded` must name uploaded files).
 *
 * Requests are validated strictly: unknown fields, wrong types, limits exceeded (log-batch: 1,000
 * metrics, 100 params, 100 tags, 1,000 entities; key names and lengths), bad auth, a missing run,
 * a changed param value — answered as the real servers answer (MLflow: HTTP 400/404 with
 * `error_code`; W&B: GraphQL `errors`, 4xx on the file stream). Stricter than MLflow on one point:
 * MLflow ignores unknown JSON fields, this server refuses them, so mlp cannot rely on one.
 *
 * Control (tests, through stdin, one command a line; answers `ok <json>` on stdout):
 *   requests | reset | fail <n> <status> | drop <n> | delay <ms> | down | up | quit
 * The first stdout line is `port <n>`. Options: --mlflow-token T, --mlflow-user U:P, --wandb-key K,
 * --port N, --serve (keep serving when stdin closes).
 */
import http from 'node:http';
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const MLFLOW_TOKEN = option('--mlflow-token');
const MLFLOW_USER = option('--mlflow-user');
const WANDB_KEY = option('--wandb-key') ?? 'test-key';

let requests = [];
let failNext = { count: 0, status: 500 };
let dropNext = 0;
let delayMs = 0;

// ---------------------------------------------------------------- MLflow state
const experiments = new Map(); // id → {experiment_id, name, lifecycle_stage}
let nextExperiment = 1;
const runs = new Map(); // run_id → {info, params: Map, tags: Map, metrics: []}

const LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000, key: 250, paramValue: 6000, tagValue: 8000 };
const NAME = /^[/\w.\- ]*$/;
const STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const invalid = (message) => new ApiError(400, 'INVALID_PARAMETER_VALUE', message);

/** Validates `body` against `fields` (name → type check); unknown fields and wrong types are errors. */
function check(body, fields, required = []) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'MALFORMED_REQUEST', 'request body must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!(key in fields)) throw invalid(`unknown field '${key}'`);
    if (body[key] !== null && !fields[key](body[key])) throw invalid(`invalid value for field '${key}': ${JSON.stringify(body[key])}`);
  }
  for (const key of required) if (body[key] === undefined || body[key] === null || body[key] === '') throw invalid(`Missing value for required parameter '${key}'`);
}
const isString = (v) => typeof v === 'string';
const isInt64 = (v) => (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));
const isDouble = (v) => typeof v === 'number' || v === 'NaN' || v === 'Infinity' || v === '-Infinity';
const listOf = (item) => (v) => Array.isArray(v) && v.every(item);
const objectWith = (fields, required) => (v) => {
  try {
    check(v, fields, required);
    return true;
  } catch {
    return false;
  }
};
const keyValue = objectWith({ key: isString, value: isString }, ['key']);
const metric = objectWith({ key: isString, value: isDouble, timestamp: isInt64, step: isInt64, model_id: isString, dataset_name: isString, dataset_digest: isString, run_id: isString }, ['key', 'value', 'timestamp']);

function checkName(kind, key) {
  if (!NAME.test(key)) throw invalid(`Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`);
  const normal = key.split('/').filter((p) => p !== '' && p !== '.');
  if (normal.join('/') !== key || key.includes('..')) throw invalid(`Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such.`);
  if (key.length > LIMITS.key) throw invalid(`${kind} '${key.slice(0, 20)}…' had length ${key.length}, which exceeded length limit of ${LIMITS.key}`);
}

function activeRun(id) {
  const run = runs.get(id);
  if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${id}' not found`);
  if (run.info.lifecycle_stage !== 'active') throw invalid(`The run ${id} must be in the 'active' state. Current state is ${run.info.lifecycle_stage}.`);
  return run;
}

function mlflowAuth(req) {
  const got = req.headers.authorization;
  if (MLFLOW_TOKEN && got !== `Bearer ${MLFLOW_TOKEN}`) return false;
  if (MLFLOW_USER && got !== `Basic ${Buffer.from(MLFLOW_USER).toString('base64')}`) return false;
  return true;
}

function runView(run) {
  const latest = new Map();
  for (const m of run.metrics) {
    const seen = latest.get(m.key);
    if (!seen || m.step > seen.step || (m.step === seen.step && m.timestamp >= seen.timestamp)) latest.set(m.key, m);
  }
  return {
    info: run.info,
    data: {
      metrics: [...latest.values()],
      params: [...run.params].map(([key, value]) => ({ key, value })),
      tags: [...run.tags].map(([key, value]) => ({ key, value })),
    },
  };
}

function mlflow(method, endpoint, query, body) {
  const route = `${method} ${endpoint}`;
  switch (route) {
    case 'GET experiments/get-by-name': {
      check(query, { experiment_name: isString }, ['experiment_name']);
      const found = [...experiments.values()].find((e) => e.name === query.experiment_name);
      if (!found) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${query.experiment_name}'`);
      return { experiment: found };
    }
    case 'POST experiments/create': {
      check(body, { name: isString, artifact_location: isString, tags: listOf(keyValue) }, ['name']);
      if ([...experiments.values()].some((e) => e.name === body.name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${body.name}' already exists.`);
      const id = String(nextExperiment++);
      experiments.set(id, { experiment_id: id, name: body.name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active', tags: body.tags ?? [] });
      return { experiment_id: id };
    }
    case 'POST runs/create': {
      check(body, { experiment_id: isString, user_id: isString, run_name: isString, start_time: isInt64, tags: listOf(keyValue) });
      const experimentId = body.experiment_id ?? '0';
      if (!experiments.has(experimentId)) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${experimentId} exists`);
      const id = randomUUID().replace(/-/g, '');
      const tags = new Map();
      for (const t of body.tags ?? []) {
        checkName('tag', t.key);
        tags.set(t.key, t.value ?? '');
      }
      const runName = body.run_name ?? `run-${id.slice(0, 6)}`;
      tags.set('mlflow.runName', runName);
      const info = { run_id: id, run_uuid: id, run_name: runName, experiment_id: experimentId, user_id: body.user_id ?? '', status: 'RUNNING', start_time: Number(body.start_time ?? Date.now()), artifact_uri: `mlflow-artifacts:/${experimentId}/${id}/artifacts`, lifecycle_stage: 'active' };
      const run = { info, params: new Map(), tags, metrics: [] };
      runs.set(id, run);
      return { run: runView(run) };
    }
    case 'POST runs/search': {
      check(body, { experiment_ids: listOf(isString), filter: isString, run_view_type: isString, max_results: isInt64, order_by: listOf(isString), page_token: isString });
      let found = [...runs.values()].filter((r) => (body.experiment_ids ?? []).includes(r.info.experiment_id));
      if (body.filter) {
        // The one filter form mlp uses: tags.`key` = 'value'.
        const m = /^tags\.`([^`]+)` = '([^']*)'$/.exec(body.filter);
        if (!m) throw invalid(`Invalid filter '${body.filter}' (the contract server knows only tags.\`key\` = 'value')`);
        found = found.filter((r) => r.tags.get(m[1]) === m[2]);
      }
      if (body.max_results !== undefined && (Number(body.max_results) < 1 || Number(body.max_results) > 50000)) throw invalid('max_results must be between 1 and 50000');
      return found.length ? { runs: found.slice(0, Number(body.max_results ?? 1000)).map(runView) } : {};
    }
    case 'GET runs/get': {
      check(query, { run_id: isString, run_uuid: isString });
      const run = runs.get(query.run_id ?? query.run_uuid);
      if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${query.run_id}' not found`);
      return { run: runView(run) };
    }
    case 'GET metrics/get-history': {
      check(query, { run_id: isString, run_uuid: isString, metric_key: isString, page_token: isString, max_results: isInt64 }, ['metric_key']);
      const run = runs.get(query.run_id ?? query.run_uuid);
      if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${query.run_id}' not found`);
      const metrics = run.metrics.filter((m) => m.key === query.metric_key);
      return metrics.length ? { metrics } : {};
    }
    case 'POST runs/log-batch': {
      check(body, { run_id: isString, metrics: listOf(metric), params: listOf(keyValue), tags: listOf(keyValue) }, ['run_id']);
      const metrics = body.metrics ?? [];
      const params = body.params ?? [];
      const tags = body.tags ?? [];
      if (metrics.length > LIMITS.metrics) throw invalid(`A batch logging request can contain at most ${LIMITS.metrics} metrics. Got ${metrics.length} metrics.`);
      if (params.length > LIMITS.params) throw invalid(`A batch logging request can contain at most ${LIMITS.params} params. Got ${params.length} params.`);
      if (tags.length > LIMITS.tags) throw invalid(`A batch logging request can contain at most ${LIMITS.tags} tags. Got ${tags.length} tags.`);
      if (metrics.length + params.length + tags.length > LIMITS.entities) throw invalid(`A batch logging request can contain at most ${LIMITS.entities} total entities.`);
      const run = activeRun(body.run_id);
      for (const p of params) {
        checkName('param', p.key);
        if ((p.value ?? '').length > LIMITS.paramValue) throw invalid(`Param value '${p.value.slice(0, 20)}…' had length ${p.value.length}, which exceeded length limit of ${LIMITS.paramValue}`);
        if (run.params.has(p.key) && run.params.get(p.key) !== (p.value ?? '')) {
          throw invalid(`Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${run.params.get(p.key)}' for run ID='${body.run_id}'. Attempted logging new value '${p.value}'.`);
        }
      }
      for (const t of tags) {
        checkName('tag', t.key);
        if ((t.value ?? '').length > LIMITS.tagValue) throw invalid(`Tag value had length ${t.value.length}, which exceeded length limit of ${LIMITS.tagValue}`);
      }
      for (const m of metrics) checkName('metric', m.key);
      for (const p of params) run.params.set(p.key, p.value ?? '');
      for (const t of tags) run.tags.set(t.key, t.value ?? '');
      for (const m of metrics) {
        const point = { key: m.key, value: Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) };
        // The SQL store keeps one row per (key, timestamp, step, value): a resent point is not a second one.
        if (!run.metrics.some((x) => x.key === point.key && x.value === point.value && x.timestamp === point.timestamp && x.step === point.step)) run.metrics.push(point);
      }
      return {};
    }
    case 'POST runs/update': {
      check(body, { run_id: isString, run_uuid: isString, status: isString, end_time: isInt64, run_name: isString });
      if (body.status !== undefined && !STATUSES.includes(body.status)) throw invalid(`Invalid value "${body.status}" for parameter 'status'`);
      const run = activeRun(body.run_id ?? body.run_uuid);
      if (body.status) run.info.status = body.status;
      if (body.end_time !== undefined) run.info.end_time = Number(body.end_time);
      if (body.run_name) run.info.run_name = body.run_name;
      return { run_info: run.info };
    }
    default:
      throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint for ${route}`);
  }
}

// ---------------------------------------------------------------- MLflow artifact proxy
const artifacts = new Map(); // path → Buffer

/** As mlflow's validate_path_is_safe: relative, no `..`, no backslashes or drive letters, no empty or `.` parts. */
function safeArtifactPath(p) {
  const parts = p.split('/');
  return p !== '' && !p.startsWith('/') && !p.includes('\\') && !/^[a-zA-Z]:/.test(p) && parts.every((x) => x !== '' && x !== '.' && x !== '..');
}

function mlflowArtifacts(method, rest, query, raw) {
  if (rest === '') {
    if (method !== 'GET') throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint for ${method} mlflow-artifacts/artifacts`);
    check(query, { path: isString });
    const dir = (query.path ?? '').replace(/\/+$/, '');
    if (dir !== '' && !safeArtifactPath(dir)) throw invalid(`Invalid path: ${dir}`);
    const children = new Map();
    for (const [p, data] of artifacts) {
      if (dir !== '' && !p.startsWith(`${dir}/`)) continue;
      const tail = dir === '' ? p : p.slice(dir.length + 1);
      const [first, ...more] = tail.split('/');
      children.set(first, more.length > 0 ? { path: first, is_dir: true } : { path: first, is_dir: false, file_size: data.length });
    }
    return { json: children.size ? { files: [...children.values()].sort((a, b) => (a.path < b.path ? -1 : 1)) } : {} };
  }
  const p = decodeURIComponent(rest);
  if (!safeArtifactPath(p)) throw invalid(`Invalid path: ${p}`);
  if (method === 'PUT') {
    artifacts.set(p, raw);
    return { json: {} };
  }
  if (method === 'GET') {
    const data = artifacts.get(p);
    if (!data) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `File ${p} not found`);
    return { bytes: data };
  }
  throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint for ${method} mlflow-artifacts/artifacts/${rest}`);
}

// ---------------------------------------------------------------- W&B state
const buckets = new Map(); // entity/project/name → run
const ENTITY = 'mlp-tester';

/** Run states W&B reports (wandb/apis/public/runs.py `Run.state`); `upsertBucket(state:)` takes one of them. */
const RUN_STATES = ['running', 'pending', 'finished', 'failed', 'crashed', 'killed', 'preempting', 'preempted'];
const UPSERT_INPUT = ['id', 'name', 'modelName', 'entityName', 'groupName', 'description', 'displayName', 'notes', 'commit', 'config', 'host', 'debug', 'jobProgram', 'jobRepo', 'jobType', 'state', 'sweep', 'tags', 'summaryMetrics'];
const VARIABLE_TYPES = { String: isString, 'String!': isString, JSONString: isJsonString, Boolean: (v) => typeof v === 'boolean', '[String!]': listOf(isString), '[String!]!': listOf(isString) };
const NON_NULL = (type) => type.endsWith('!');
/** Run files: upload token → {run key, name}; the headers a signed upload must carry. */
const uploadTokens = new Map();
const UPLOAD_HEADERS = ['X-Upload-Content-Type:application/octet-stream'];

function isJsonString(v) {
  if (typeof v !== 'string') return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

const gqlError = (message) => ({ status: 400, body: { errors: [{ message }] } });

function wandbGraphql(body) {
  if (body === null || typeof body !== 'object') return gqlError('request body must be a JSON object');
  for (const key of Object.keys(body)) if (!['query', 'variables', 'operationName'].includes(key)) return gqlError(`unknown request field '${key}'`);
  const query = String(body.query ?? '');
  const variables = body.variables ?? {};
  const header = /^\s*(query|mutation)\s+(\w+)\s*(\(([^)]*)\))?\s*\{/.exec(query);
  if (!header) return gqlError('Syntax Error: expected a named operation');
  const declared = new Map();
  for (const part of (header[4] ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^\$(\w+)\s*:\s*(\S+)$/.exec(part);
    if (!m) return gqlError(`Syntax Error: bad variable declaration '${part}'`);
    if (!(m[2] in VARIABLE_TYPES)) return gqlError(`Unknown type "${m[2]}".`);
    declared.set(m[1], m[2]);
  }
  for (const [name, value] of Object.entries(variables)) {
    const type = declared.get(name);
    if (!type) return gqlError(`Variable "$${name}" is not defined by operation "${header[2]}".`);
    if (value !== null && !VARIABLE_TYPES[type](value)) return gqlError(`Variable "$${name}" got invalid value ${JSON.stringify(value)}; expected type ${type}.`);
  }
  for (const [name, type] of declared) if (NON_NULL(type) && (variables[name] === undefined || variables[name] === null)) return gqlError(`Variable "$${name}" of required type "${type}" was not provided.`);
  if (header[1] === 'mutation' && /\bcreateRunFiles\s*\(/.test(query)) {
    const input = /createRunFiles\s*\(\s*input\s*:\s*\{([^}]*)\}/.exec(query);
    if (!input) return gqlError('Syntax Error: createRunFiles takes input: {…}');
    const bound = {};
    for (const part of input[1].split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^(\w+)\s*:\s*\$(\w+)$/.exec(part);
      if (!m) return gqlError(`Syntax Error near '${part}'`);
      if (!['entityName', 'projectName', 'runName', 'files'].includes(m[1])) return gqlError(`Field "${m[1]}" is not defined by type "CreateRunFilesInput".`);
      if (!declared.has(m[2])) return gqlError(`Variable "$${m[2]}" is not defined.`);
      bound[m[1]] = variables[m[2]];
    }
    for (const field of ['entityName', 'projectName', 'runName', 'files']) if (bound[field] === undefined) return gqlError(`Field "CreateRunFilesInput.${field}" of required type was not provided.`);
    const key = `${bound.entityName}/${bound.projectName}/${bound.runName}`;
    const run = buckets.get(key);
    if (!run) return { status: 200, body: { errors: [{ message: `run ${key} not found` }], data: { createRunFiles: null } } };
    const files = bound.files.map((name) => {
      if (!safeArtifactPath(name)) return null;
      const token = randomUUID();
      uploadTokens.set(token, { key, name });
      return { name, uploadUrl: `http://127.0.0.1:${port}/wandb-storage/${token}?X-Goog-Signature=contract` };
    });
    if (files.includes(null)) return { status: 200, body: { errors: [{ message: 'invalid file name' }], data: { createRunFiles: null } } };
    return { status: 200, body: { data: { createRunFiles: { runID: run.id, uploadHeaders: UPLOAD_HEADERS, files } } } };
  }
  if (header[1] === 'query' && /\bviewer\s*\{/.test(query)) return { status: 200, body: { data: { viewer: { id: 'VXNlcjox', entity: ENTITY, username: ENTITY } } } };
  if (header[1] === 'query' && /\bproject\s*\(/.test(query)) {
    const run = buckets.get(`${variables.entity}/${variables.project}/${variables.name}`);
    return { status: 200, body: { data: { project: { run: run ? { name: run.name, displayName: run.displayName, state: run.state, config: JSON.stringify(run.config), summaryMetrics: JSON.stringify(run.summary), tags: run.tags, commit: run.commit, history: run.history.filter((l) => l !== undefined), files: Object.entries(run.files ?? {}).map(([name, f]) => ({ name, sizeBytes: f.data.length, uploaded: f.uploaded, content: f.data.toString('base64') })) } : null } } } };
  }
  if (header[1] === 'mutation' && /\bupsertBucket\s*\(/.test(query)) {
    const input = /upsertBucket\s*\(\s*input\s*:\s*\{([^}]*)\}/.exec(query);
    if (!input) return gqlError('Syntax Error: upsertBucket takes input: {…}');
    const bound = {};
    for (const part of input[1].split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^(\w+)\s*:\s*\$(\w+)$/.exec(part);
      if (!m) return gqlError(`Syntax Error near '${part}'`);
      if (!UPSERT_INPUT.includes(m[1])) return gqlError(`Field "${m[1]}" is not defined by type "UpsertBucketInput".`);
      if (!declared.has(m[2])) return gqlError(`Variable "$${m[2]}" is not defined.`);
      if (variables[m[2]] !== undefined && variables[m[2]] !== null) bound[m[1]] = variables[m[2]];
    }
    const entity = bound.entityName ?? ENTITY;
    if (bound.state !== undefined && !RUN_STATES.includes(bound.state)) return { status: 200, body: { errors: [{ message: `invalid run state '${bound.state}' (one of ${RUN_STATES.join(', ')})` }], data: { upsertBucket: null } } };
    if (!bound.modelName) return { status: 200, body: { errors: [{ message: 'project (modelName) is required' }], data: { upsertBucket: null } } };
    const name = bound.name ?? randomUUID().slice(0, 8);
    const key = `${entity}/${bound.modelName}/${name}`;
    const inserted = !buckets.has(key);
    const run = buckets.get(key) ?? { id: Buffer.from(key).toString('base64'), name, displayName: name, state: 'running', config: {}, summary: {}, history: [], tags: [], exitcode: null };
    if (bound.displayName) run.displayName = bound.displayName;
    if (bound.config) run.config = JSON.parse(bound.config);
    if (bound.summaryMetrics) run.summary = JSON.parse(bound.summaryMetrics);
    if (bound.tags) run.tags = bound.tags;
    if (bound.state) run.state = bound.state;
    for (const f of ['commit', 'notes', 'jobType', 'host', 'groupName']) if (bound[f] !== undefined) run[f] = bound[f];
    buckets.set(key, run);
    return { status: 200, body: { data: { upsertBucket: { bucket: { id: run.id, name: run.name, displayName: run.displayName, project: { name: bound.modelName, entity: { name: entity } } }, inserted } } } };
  }
  return gqlError(`Cannot query operation "${header[2]}" (not part of this contract server)`);
}

function wandbFileStream(entity, project, name, body) {
  const run = buckets.get(`${entity}/${project}/${name}`);
  if (!run) return { status: 404, body: { error: `run ${entity}/${project}/${name} not found` } };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { status: 400, body: { error: 'body must be a JSON object' } };
  for (const key of Object.keys(body)) if (!['files', 'complete', 'exitcode', 'failed', 'dropped', 'uploaded', 'preempting'].includes(key)) return { status: 400, body: { error: `unknown field '${key}'` } };
  if (body.uploaded !== undefined) {
    if (!Array.isArray(body.uploaded) || !body.uploaded.every(isString)) return { status: 400, body: { error: 'uploaded must be a list of file names' } };
    for (const name of body.uploaded) if (!run.files?.[name]) return { status: 400, body: { error: `uploaded: '${name}' was never uploaded` } };
    for (const name of body.uploaded) run.files[name].uploaded = true;
  }
  if (body.complete !== undefined && typeof body.complete !== 'boolean') return { status: 400, body: { error: 'complete must be a boolean' } };
  if (body.exitcode !== undefined && !Number.isInteger(body.exitcode)) return { status: 400, body: { error: 'exitcode must be an integer' } };
  for (const [file, chunk] of Object.entries(body.files ?? {})) {
    if (chunk === null || typeof chunk !== 'object' || !Number.isInteger(chunk.offset) || chunk.offset < 0 || !Array.isArray(chunk.content) || !chunk.content.every(isString)) {
      return { status: 400, body: { error: `files.${file} must be {offset: int, content: [string]}` } };
    }
    for (const k of Object.keys(chunk)) if (!['offset', 'content'].includes(k)) return { status: 400, body: { error: `unknown field files.${file}.${k}` } };
    if (file === 'wandb-history.jsonl') {
      for (const [i, line] of chunk.content.entries()) {
        let row;
        try {
          row = JSON.parse(line);
        } catch {
          return { status: 400, body: { error: `history line ${chunk.offset + i} is not JSON` } };
        }
        if (!Number.isInteger(row._step)) return { status: 400, body: { error: `history line ${chunk.offset + i} has no integer _step` } };
        run.history[chunk.offset + i] = line; // a resent offset overwrites
      }
    } else if (file === 'wandb-summary.json') {
      if (chunk.content.length !== 1 || !isJsonString(chunk.content[0])) return { status: 400, body: { error: 'wandb-summary.json takes one JSON object' } };
      run.summary = JSON.parse(chunk.content[0]);
    }
  }
  if (body.complete) {
    run.exitcode = body.exitcode ?? 0;
    run.state = run.exitcode === 0 ? 'finished' : 'failed';
  }
  return { status: 200, body: { exitcode: null, limits: {} } };
}

// ---------------------------------------------------------------- HTTP
function send(res, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const go = () => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (delayMs > 0) setTimeout(go, delayMs);
  else go();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), auth: req.headers.authorization ? 'yes' : 'no' };
    requests.push(entry);
    if (dropNext > 0) {
      dropNext--;
      entry.status = 'dropped';
      req.socket.destroy();
      return;
    }
    if (failNext.count > 0) {
      failNext.count--;
      entry.status = failNext.status;
      return send(res, failNext.status, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'injected failure' });
    }
    const artifactPath = /^\/api\/2\.0\/mlflow-artifacts\/artifacts\/?(.*)$/.exec(url.pathname);
    if (artifactPath) {
      if (!mlflowAuth(req)) {
        entry.status = 401;
        return send(res, 401, { error_code: 'UNAUTHENTICATED', message: 'You are not authenticated.' });
      }
      try {
        const answer = mlflowArtifacts(req.method, artifactPath[1], Object.fromEntries(url.searchParams), Buffer.concat(chunks));
        entry.status = 200;
        if (answer.bytes) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': answer.bytes.length });
          return res.end(answer.bytes);
        }
        return send(res, 200, answer.json);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        entry.status = error.status;
        return send(res, error.status, { error_code: error.code, message: error.message });
      }
    }
    const storage = /^\/wandb-storage\/([^/]+)$/.exec(url.pathname);
    if (storage) {
      // A signed URL: the signature is the credential; another one (W&B's API key) is refused, as S3 and GCS do.
      const target = uploadTokens.get(storage[1]);
      const [headerName, headerValue] = UPLOAD_HEADERS[0].split(':');
      const status = req.method !== 'PUT' || !target ? 403 : req.headers.authorization ? 400 : req.headers[headerName.toLowerCase()] !== headerValue ? 403 : 200;
      entry.status = status;
      if (status !== 200) return send(res, status, { error: status === 400 ? 'Only one auth mechanism allowed' : 'SignatureDoesNotMatch' });
      const run = buckets.get(target.key);
      run.files ??= {};
      run.files[target.name] = { data: Buffer.concat(chunks), uploaded: false };
      return send(res, 200, undefined);
    }
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      entry.status = 400;
      return send(res, 400, { error_code: 'MALFORMED_REQUEST', message: 'body is not JSON' });
    }
    entry.body = body;
    const mlflowPath = /^\/api\/2\.0\/mlflow\/(.+)$/.exec(url.pathname);
    if (mlflowPath) {
      if (!mlflowAuth(req)) {
        entry.status = 401;
        return send(res, 401, { error_code: 'UNAUTHENTICATED', message: 'You are not authenticated.' });
      }
      try {
        const answer = mlflow(req.method, mlflowPath[1], Object.fromEntries(url.searchParams), req.method === 'GET' ? undefined : (body ?? {}));
        entry.status = 200;
        return send(res, 200, answer);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        entry.status = error.status;
        return send(res, error.status, { error_code: error.code, message: error.message });
      }
    }
    const wandbAuth = req.headers.authorization === `Basic ${Buffer.from(`api:${WANDB_KEY}`).toString('base64')}`;
    const stream = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/file_stream$/.exec(url.pathname);
    if (url.pathname === '/graphql' || stream) {
      if (!wandbAuth) {
        entry.status = 401;
        return send(res, 401, { errors: [{ message: 'user is not logged in' }] });
      }
      const answer = stream ? wandbFileStream(decodeURIComponent(stream[1]), decodeURIComponent(stream[2]), decodeURIComponent(stream[3]), body) : wandbGraphql(body);
      entry.status = answer.status;
      return send(res, answer.status, answer.body);
    }
    entry.status = 404;
    send(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `no such endpoint ${url.pathname}` });
  });
});

// Idle keep-alive connections stay open longer than any test waits between requests: Node's 5 s
// default closes them under clients that are about to reuse them ("other side closed").
server.keepAliveTimeout = 120_000;

const sockets = new Set();
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});

let port = Number(option('--port') ?? 0);
server.listen(port, '127.0.0.1', () => {
  port = server.address().port;
  process.stdout.write(`port ${port}\n`);
});

const control = readline.createInterface({ input: process.stdin });
const reply = (value) => process.stdout.write(`ok ${JSON.stringify(value ?? null)}\n`);
control.on('line', (line) => {
  const [command, a, b] = line.trim().split(/\s+/);
  switch (command) {
    case 'requests':
      return reply(requests);
    case 'reset':
      requests = [];
      failNext = { count: 0, status: 500 };
      dropNext = 0;
      delayMs = 0;
      return reply();
    case 'fail':
      failNext = { count: Number(a), status: Number(b ?? 500) };
      return reply();
    case 'drop':
      dropNext = Number(a);
      return reply();
    case 'delay':
      delayMs = Number(a);
      return reply();
    case 'down':
      server.close();
      for (const s of sockets) s.destroy();
      return reply();
    case 'up':
      return server.listen(port, '127.0.0.1', () => reply());
    case 'quit':
      server.close();
      for (const s of sockets) s.destroy();
      reply();
      return process.exit(0);
    default:
      return process.stdout.write(`error unknown command ${command}\n`);
  }
});
// Tests end the server by closing its stdin; `--serve` keeps it up without one (by hand: `node … --serve &`).
if (!args.includes('--serve')) control.on('close', () => process.exit(0));
