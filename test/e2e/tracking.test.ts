/**
 * `mlp repro --track …` end to end, through the built CLI, against the tracking contract servers
 * (or a real MLflow with MLP_TEST_MLFLOW_URI): one run per stage that runs, with params, metrics,
 * step series (plots files and live curves), lineage tags and status; a server outage costs a
 * warning and the runs wait in the outbox until `mlp track sync`, which sends each exactly once —
 * also after a kill -9 of mlp; credentials never reach config.yaml or the outbox.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { exampleClone, git, makeRepo, runMlp, startMlp, tempDir, waitFor } from '../helpers/cli.js';
import { mlflowKey } from '../../src/tracking/mlflow.js';
import { type Server, post, startServe, stopAll, trainModel } from '../helpers/serve.js';
import { REAL_MLFLOW, TrackingServers, asMap, mlflowGet, mlflowRuns, wandbRun } from '../helpers/tracking-servers.js';

let servers: TrackingServers;
const dirs: string[] = [];
const contractOnly = REAL_MLFLOW ? test.skip : test;

beforeAll(async () => {
  servers = await TrackingServers.start();
});
afterAll(async () => {
  await servers.stop();
});
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A training script as users write them: params in, metrics/plots files and live curves out. */
const TRAIN = `
import fs from 'node:fs';
const live = process.env.MLP_TRACKING_LIVE;
for (let epoch = 0; epoch < 3; epoch++) {
  if (live) fs.appendFileSync(live, JSON.stringify({ step: epoch, metrics: { live_loss: 1 / (epoch + 1), lr: 0.1 } }) + '\\n');
}
fs.mkdirSync('model', { recursive: true });
fs.writeFileSync('model/weights.bin', 'weights');
fs.writeFileSync('metrics.json', JSON.stringify({ accuracy: 0.9, test: { f1: 0.8 } }));
fs.writeFileSync('history.csv', 'epoch,loss\\n0,0.9\\n1,0.6\\n');
if (process.env.SLEEP) await new Promise((r) => setTimeout(r, Number(process.env.SLEEP)));
`;

function repo(pipeline: string, config = ''): { dir: string; experiment: string } {
  const experiment = `e2e-${Math.random().toString(36).slice(2, 10)}`;
  const dir = makeRepo({
    'train.mjs': TRAIN,
    'params.yaml': 'train:\n  lr: 0.1\n  layers: [64, 32]\nother: 1\n',
    'pipeline.yaml': pipeline,
    '.mlp/config.yaml': `tracking:\n  experiment: ${experiment}\n${config}`,
  });
  dirs.push(dir);
  return { dir, experiment };
}

const PIPELINE = `
stages:
  train:
    cmd: node train.mjs
    deps: [train.mjs]
    params: [train]
    outs: [model]
    metrics: [{metrics.json: {cache: false}}]
    plots: [{history.csv: {cache: false}}]
  broken:
    cmd: echo oops && exit 3
`;

const outbox = (dir: string): string[] => {
  const at = path.join(dir, '.mlp/tracking/outbox');
  return fs.existsSync(at) ? fs.readdirSync(at).filter((f) => f.endsWith('.json')) : [];
};

describe('mlp repro --track mlflow', () => {
  test('each stage that runs is one run: params, metrics, series, lineage tags; a failed stage is FAILED', async () => {
    const { dir, experiment } = repo(PIPELINE);
    const env = { MLFLOW_TRACKING_URI: servers.mlflowUri() };
    const result = runMlp(dir, ['repro', '--track', 'mlflow', '-k', '-j', '1'], env);
    expect(result.code).toBe(4); // `broken` failed; tracking did not change the exit code
    expect(result.stdout).toContain(`Tracked 2 runs on MLflow at ${servers.mlflowUri()}, experiment '${experiment}'.`);
    expect(outbox(dir)).toEqual([]);

    const runs = await mlflowRuns(servers.mlflowUri(), experiment);
    const byStage = new Map(runs.map((r) => [asMap(r.data.tags)['mlp.stage'], r]));
    expect([...byStage.keys()].sort()).toEqual(['broken', 'train']);
    const train = byStage.get('train');
    expect(train.info.status).toBe('FINISHED');
    expect(asMap(train.data.params)).toEqual({ 'train.lr': '0.1', 'train.layers': '[64,32]' });
    expect(asMap(train.data.metrics)).toMatchObject({ accuracy: 0.9, 'test.f1': 0.8, loss: 0.6, live_loss: 1 / 3 });
    const history = await mlflowGet(servers.mlflowUri(), 'metrics/get-history', { run_id: train.info.run_id, metric_key: 'live_loss' });
    expect(history.body.metrics.map((m: { step: number }) => Number(m.step))).toEqual([0, 1, 2]);

    const tags = asMap(train.data.tags);
    const lock = fs.readFileSync(path.join(dir, 'pipeline.lock'), 'utf8');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    expect(tags).toMatchObject({ 'mlp.git.commit': head, 'mlp.git.branch': 'main', 'mlp.git.dirty': 'false', 'mlp.stage': 'train', 'mlflow.source.git.commit': head });
    expect(tags['mlp.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(lock).toContain(tags['mlp.dep.train.mjs']);
    expect(lock).toContain(tags['mlp.out.model']);
    expect(byStage.get('broken').info.status).toBe('FAILED');
  });

  test('tracking.exclude leaves a stage out; --track none tracks nothing', async () => {
    const { dir, experiment } = repo(PIPELINE, '  exclude: [bro*]\n');
    const none = runMlp(dir, ['repro', '--track', 'none', 'train'], { MLFLOW_TRACKING_URI: servers.mlflowUri() });
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain('Tracked');
    const tracked = runMlp(dir, ['repro', '--track', 'mlflow', '-f', '-k'], { MLFLOW_TRACKING_URI: servers.mlflowUri() });
    expect(tracked.stdout).toContain('Tracked 1 run on MLflow');
    const runs = await mlflowRuns(servers.mlflowUri(), experiment);
    expect(runs.map((r) => asMap(r.data.tags)['mlp.stage'])).toEqual(['train']);
  });

  contractOnly('server down: the pipeline succeeds with a warning, runs wait in the outbox, `mlp track sync` sends each once', async () => {
    const { dir, experiment } = repo(PIPELINE);
    const env = { MLFLOW_TRACKING_URI: servers.url };
    await servers.command('down');
    try {
      const offline = runMlp(dir, ['repro', '--track', 'mlflow', 'train'], env);
      expect(offline.code).toBe(0);
      expect(offline.stderr).toMatch(/warning: 1 run kept in \.mlp\/tracking\/outbox\/: .*ECONNREFUSED.*`mlp track sync` sends it/);
      expect(outbox(dir)).toHaveLength(1);
      const status = runMlp(dir, ['track', 'status']);
      expect(status.stdout).toMatch(/^1 run waiting in \.mlp\/tracking\/outbox\/ \(oldest first\):\n .* train {2}FINISHED {2}→ MLflow at http:\/\/127\.0\.0\.1:\d+, experiment 'e2e-\w+', 1 attempt\n {6}last error: .*ECONNREFUSED/);
      const failedSync = runMlp(dir, ['track', 'sync'], env);
      expect(failedSync.code).toBe(1);
      expect(failedSync.stderr).toContain('error: train: not sent');
    } finally {
      await servers.command('up');
    }
    const sync = runMlp(dir, ['track', 'sync'], env);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('1 run sent.');
    expect(outbox(dir)).toEqual([]);
    expect(runMlp(dir, ['track', 'sync'], env).stdout).toContain('0 runs sent.');
    // The next tracked repro would also have sent it; either way, exactly one run.
    runMlp(dir, ['repro', '--track', 'mlflow', 'train'], env);
    const runs = await mlflowRuns(servers.url, experiment);
    expect(runs).toHaveLength(1);
    expect(runs[0].info.status).toBe('FINISHED');
  });

  contractOnly('pending runs are delivered, in order, by the next tracked repro', async () => {
    const { dir, experiment } = repo(PIPELINE);
    const env = { MLFLOW_TRACKING_URI: servers.url };
    await servers.command('down');
    try {
      runMlp(dir, ['repro', '--track', 'mlflow', '-k', '-j', '1'], env);
    } finally {
      await servers.command('up');
    }
    expect(outbox(dir)).toHaveLength(2);
    const next = runMlp(dir, ['repro', '--track', 'mlflow', '-f', 'train'], env);
    expect(next.stdout).toContain('Tracked 3 runs');
    expect(outbox(dir)).toEqual([]);
    const runs = await mlflowRuns(servers.url, experiment);
    expect(runs).toHaveLength(3);
  });

  contractOnly('kill -9 of mlp while a stage runs: the run is sent as KILLED by the next sync, once', async () => {
    const { dir, experiment } = repo(PIPELINE.replace('cmd: node train.mjs', 'cmd: SLEEP=20000 node train.mjs'));
    fs.writeFileSync(path.join(dir, '.mlp/config.local.yaml'), `tracking:\n  uri: ${servers.url}\n`);
    const { child, done } = startMlp(dir, ['repro', '--track', 'mlflow', 'train']);
    await waitFor(() => outbox(dir).length === 1 && fs.existsSync(path.join(dir, 'metrics.json')));
    child.kill('SIGKILL');
    await done;
    const status = runMlp(dir, ['track', 'status']);
    expect(status.stdout).toContain('train  cut off (will be sent as KILLED)');
    const sync = runMlp(dir, ['track', 'sync']);
    expect(sync.stdout).toContain('sent train (KILLED)');
    expect(runMlp(dir, ['track', 'sync']).stdout).toContain('0 runs sent.');
    const runs = await mlflowRuns(servers.url, experiment);
    expect(runs.map((r) => r.info.status)).toEqual(['KILLED']);
    // What the stage logged live before the kill is part of the run.
    const history = await mlflowGet(servers.url, 'metrics/get-history', { run_id: runs[0].info.run_id, metric_key: 'live_loss' });
    expect(history.body.metrics).toHaveLength(3);
    expect(fs.readdirSync(path.join(dir, '.mlp/tmp/tracking'))).toEqual([]);
  });

  contractOnly('server down, then mlp killed mid-stage, then `track sync` killed mid-delivery: every run arrives exactly once', async () => {
    const pipeline = PIPELINE.replace('cmd: node train.mjs', 'cmd: SLEEP=20000 node train.mjs').replace('deps: [train.mjs]', 'deps: [train.mjs, first.txt]').replace('  broken:\n    cmd: echo oops && exit 3\n', '  first:\n    cmd: echo first > first.txt\n    outs: [first.txt]\n');
    const { dir, experiment } = repo(pipeline);
    fs.writeFileSync(path.join(dir, '.mlp/config.local.yaml'), `tracking:\n  uri: ${servers.url}\n`);
    await servers.command('down');
    try {
      // `first` ends while the server is down (its run waits in the outbox); mlp is killed while `train` runs.
      const { child, done } = startMlp(dir, ['repro', '--track', 'mlflow', '-j', '1', 'first', 'train']);
      await waitFor(() => fs.existsSync(path.join(dir, 'metrics.json')) && outbox(dir).length === 2);
      child.kill('SIGKILL');
      await done;
    } finally {
      await servers.command('up');
    }
    const status = runMlp(dir, ['track', 'status']);
    expect(status.stdout).toMatch(/^2 runs waiting/);
    expect(status.stdout).toContain('first  FINISHED');
    expect(status.stdout).toContain('train  cut off (will be sent as KILLED)');

    // The server is back but slow. The first sync delivers `first`, then is killed after the
    // server created `train`'s run and before its answer came back: the run exists, mlp does not know its id.
    await servers.command('reset');
    await servers.command('delay 600');
    const { child: sync, done: syncDone } = startMlp(dir, ['track', 'sync']);
    const creates = async () => (await servers.requests()).filter((r) => r.path.endsWith('/runs/create') && r.status === 200).length;
    for (let i = 0; i < 1200 && (await creates()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
    sync.kill('SIGKILL');
    await syncDone;
    await servers.command('delay 0');
    expect(outbox(dir)).toHaveLength(1); // `first` arrived; `train` is still waiting
    expect(await mlflowRuns(servers.url, experiment)).toHaveLength(2); // `train`'s run was created, its id never recorded

    const resumed = runMlp(dir, ['track', 'sync']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('1 run sent.');
    expect(outbox(dir)).toEqual([]);
    expect(runMlp(dir, ['track', 'sync']).stdout).toContain('0 runs sent.');
    const runs = await mlflowRuns(servers.url, experiment);
    expect(runs.map((r) => [asMap(r.data.tags)['mlp.stage'], r.info.status]).sort()).toEqual([['first', 'FINISHED'], ['train', 'KILLED']]);
    const train = runs.find((r) => asMap(r.data.tags)['mlp.stage'] === 'train');
    // A run cut off by the kill still has what was known when its stage started, and what it logged live.
    expect(asMap(train.data.params)).toEqual({ 'train.lr': '0.1', 'train.layers': '[64,32]' });
    expect(asMap(train.data.tags)).toMatchObject({ 'mlp.git.branch': 'main', 'mlp.stage': 'train' });
    const history = await mlflowGet(servers.url, 'metrics/get-history', { run_id: train.info.run_id, metric_key: 'live_loss' });
    expect(history.body.metrics).toHaveLength(3);
  }, 120_000);

  test('live points reach the server while the stage still runs', async () => {
    // The stage logs three epochs, then asks the server (through MLflow's API) for them before it ends.
    const WATCH = `
import fs from 'node:fs';
const live = process.env.MLP_TRACKING_LIVE;
for (let epoch = 0; epoch < 3; epoch++) fs.appendFileSync(live, JSON.stringify({ step: epoch, metrics: { epoch_loss: 1 / (epoch + 1) } }) + '\\n');
const api = process.env.MLFLOW_TRACKING_URI + '/api/2.0/mlflow/';
const post = (e, b) => fetch(api + e, { method: 'POST', body: JSON.stringify(b) }).then((r) => r.json());
let seen = 0;
for (let i = 0; i < 150 && seen < 3; i++) {
  await new Promise((r) => setTimeout(r, 200));
  const exp = await fetch(api + 'experiments/get-by-name?experiment_name=' + process.env.EXPERIMENT).then((r) => r.json());
  if (!exp.experiment) continue;
  const found = await post('runs/search', { experiment_ids: [exp.experiment.experiment_id], filter: "tags.\`mlp.run_uid\` = '" + process.env.MLP_TRACKING_RUN_UID + "'", max_results: 1 });
  const run = found.runs?.[0];
  if (!run) continue;
  const history = await fetch(api + 'metrics/get-history?run_id=' + run.info.run_id + '&metric_key=epoch_loss').then((r) => r.json());
  seen = history.metrics?.length ?? 0;
}
fs.writeFileSync('seen.txt', String(seen));
`;
    const { dir, experiment } = repo('stages:\n  watch:\n    cmd: node watch.mjs\n    outs: [seen.txt]\n');
    fs.writeFileSync(path.join(dir, 'watch.mjs'), WATCH);
    const result = runMlp(dir, ['repro', '--track', 'mlflow'], { MLFLOW_TRACKING_URI: servers.mlflowUri(), EXPERIMENT: experiment });
    expect(result.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'seen.txt'), 'utf8')).toBe('3');
    const runs = await mlflowRuns(servers.mlflowUri(), experiment);
    expect(runs).toHaveLength(1); // streaming created the run; the end completed that same run
    expect(runs[0].info.status).toBe('FINISHED');
  });

  test('credentials: refused in config.yaml (located), kept out of config.yaml by `mlp config`, never in the outbox', () => {
    const { dir } = repo(PIPELINE, '  token: s3cret-token\n');
    const refused = runMlp(dir, ['status']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('.mlp/config.yaml:3:3: tracking.token is a credential and may not be in the committed .mlp/config.yaml');
    expect(refused.stderr).toContain('hint: move it to .mlp/config.local.yaml (never committed), or use the environment (MLFLOW_TRACKING_TOKEN)');

    fs.writeFileSync(path.join(dir, '.mlp/config.yaml'), 'tracking:\n  backend: mlflow\n  uri: http://127.0.0.1:9\n');
    const project = runMlp(dir, ['config', 'tracking.token', 's3cret-token']);
    expect(project.code).toBe(2);
    expect(runMlp(dir, ['config', '--local', 'tracking.token', 's3cret-token']).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, '.mlp/config.yaml'), 'utf8')).not.toContain('s3cret');
    const offline = runMlp(dir, ['repro', 'train'], { MLFLOW_TRACKING_PASSWORD: 'env-s3cret' });
    expect(offline.code).toBe(0);
    for (const file of outbox(dir)) {
      const text = fs.readFileSync(path.join(dir, '.mlp/tracking/outbox', file), 'utf8');
      expect(text).not.toContain('s3cret');
    }
    expect(outbox(dir)).toHaveLength(1);
  });

  test('a backend without its server is a usage error before anything runs', () => {
    const { dir } = repo(PIPELINE);
    const result = runMlp(dir, ['repro', '--track', 'mlflow'], { MLFLOW_TRACKING_URI: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: MLflow tracking needs the server: no tracking.uri and no MLFLOW_TRACKING_URI');
    expect(runMlp(dir, ['repro', '--track', 'neptune']).stderr).toContain("error: unknown tracking backend 'neptune'");
  });
});

describe('mlp repro --track wandb', () => {
  contractOnly('one W&B run per stage, with config, history and state', async () => {
    const { dir, experiment } = repo(PIPELINE);
    const result = runMlp(dir, ['repro', '--track', 'wandb', '-k', '-j', '1'], { WANDB_BASE_URL: servers.url, WANDB_API_KEY: 'test-key' });
    expect(result.stdout).toContain(`Tracked 2 runs on W&B at ${servers.url}, project '${experiment}'.`);
    const streams = (await servers.requests()).filter((r) => r.path.includes(`/${experiment}/`) && r.path.endsWith('/file_stream'));
    const runIds = [...new Set(streams.map((r) => r.path.split('/')[4] as string))];
    expect(runIds).toHaveLength(2);
    const runs = await Promise.all(runIds.map((id) => wandbRun(servers.url, 'test-key', 'mlp-tester', experiment, id)));
    const train = runs.find((r) => r.displayName === 'train');
    expect(train.state).toBe('finished');
    expect(JSON.parse(train.summaryMetrics)).toMatchObject({ accuracy: 0.9, 'test.f1': 0.8 });
    expect(runs.find((r) => r.displayName === 'broken').state).toBe('failed');
  });
});

describe('the example pipeline with --track mlflow', () => {
  function clonedExample(): string {
    const clone = exampleClone('mlp-track-example-');
    dirs.push(clone);
    return clone;
  }

  test('one run per text stage: params, metrics, the solver curve, lineage tags, outputs within the limit as artifacts; exp run names its experiment', async () => {
    const clone = clonedExample();
    const experiment = `example-${Math.random().toString(36).slice(2, 10)}`;
    // Machine settings (never committed, so the checkout stays clean): the artifact size limit.
    fs.writeFileSync(path.join(clone, '.mlp/config.local.yaml'), 'tracking:\n  artifacts: 5MB\n');
    const env = { MLFLOW_TRACKING_URI: servers.mlflowUri(), MLFLOW_EXPERIMENT_NAME: experiment };
    const result = runMlp(clone, ['repro', '--track', 'mlflow', '-j', '1'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Tracked 2 runs on MLflow at ${servers.mlflowUri()}, experiment '${experiment}'.`);
    expect(outbox(clone)).toEqual([]);

    const runs = await mlflowRuns(servers.mlflowUri(), experiment);
    const byStage = new Map(runs.map((r) => [asMap(r.data.tags)['mlp.stage'], r]));
    expect([...byStage.keys()].sort()).toEqual(['prepare_data_text', 'train_text']); // the frozen CIFAR-10 stages do not run
    const lock = parse(fs.readFileSync(path.join(clone, 'pipeline.lock'), 'utf8')) as {
      stages: Record<string, { deps?: Array<{ path: string; sha256: string; size: number }>; outs: Array<{ path: string; sha256: string; size: number }> }>;
    };
    const head = git(clone, 'rev-parse', 'HEAD').trim();
    for (const [stage, run] of byStage) {
      expect(run.info.status).toBe('FINISHED');
      const tags = asMap(run.data.tags);
      expect(tags).toMatchObject({ 'mlp.git.commit': head, 'mlp.git.branch': 'main', 'mlp.git.dirty': 'false', 'mlp.stage': stage, 'mlp.version': expect.stringMatching(/^\d+\.\d+\.\d+/) });
      // Keys as MLflow takes them (`@` is not a key character: node_modules/@stdlib → node_modules/_stdlib).
      for (const dep of lock.stages[stage]?.deps ?? []) expect(tags[mlflowKey(`mlp.dep.${dep.path}`)]).toBe(dep.sha256);
      for (const out of lock.stages[stage]?.outs ?? []) {
        expect(tags[mlflowKey(`mlp.out.${out.path}`)]).toBe(out.sha256);
        expect(tags[mlflowKey(`mlp.artifact.${out.path}`)]).toBe(`sha256:${out.sha256} size:${out.size}`);
      }
    }

    const train = byStage.get('train_text');
    expect(asMap(train.data.params)).toEqual({
      'text.tfidf.ngram_range': '[1,2]', 'text.tfidf.min_df': '2', 'text.tfidf.max_df': '0.95', 'text.tfidf.max_features': '100000', 'text.tfidf.sublinear_tf': 'true',
      'text.logreg.C': '10', 'text.logreg.max_iter': '1000', 'text.logreg.tol': '0.0001',
    });
    expect(asMap(byStage.get('prepare_data_text').data.params)).toEqual({ 'text.split.test_size': '0.2', 'text.split.seed': '42' });
    const metrics = JSON.parse(fs.readFileSync(path.join(clone, 'metrics/text.json'), 'utf8')) as { accuracy: number; per_class: { spam: { f1: number } } };
    expect(asMap(train.data.metrics)).toMatchObject({ accuracy: metrics.accuracy, 'per_class.spam.f1': metrics.per_class.spam.f1 });
    // The text trainer's live solver curve: the loss at each iteration, decreasing.
    const curve = await mlflowGet(servers.mlflowUri(), 'metrics/get-history', { run_id: train.info.run_id, metric_key: 'loss', max_results: '5000' });
    const losses = (curve.body.metrics as Array<{ step: number; value: number }>).sort((a, b) => Number(a.step) - Number(b.step));
    expect(losses.length).toBeGreaterThan(3);
    expect(losses.map((m) => Number(m.step))).toEqual(losses.map((_, i) => Number(losses[0]?.step) + i));
    expect(losses.at(-1)!.value).toBeLessThan(losses[0]!.value);

    // Artifacts: models/text (3.9 MB) is within 5MB and uploaded; data/text (33 MB) is a reference only.
    const root = `${servers.mlflowUri()}/api/2.0/mlflow-artifacts/artifacts/${String(train.info.artifact_uri).replace(/^mlflow-artifacts:\//, '')}`;
    const modelFiles = fs.readdirSync(path.join(clone, 'models/text'));
    for (const file of modelFiles) {
      const uploaded = Buffer.from((await (await fetch(`${root}/models/text/${file}`)).arrayBuffer()) as ArrayBuffer);
      expect(uploaded.equals(fs.readFileSync(path.join(clone, 'models/text', file)))).toBe(true);
    }
    // metrics/text.json is committed to git, not kept in mlp's cache: referenced, not uploaded.
    const trainListing = await fetch(`${servers.mlflowUri()}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(String(train.info.artifact_uri).replace(/^mlflow-artifacts:\//, ''))}`).then((r) => r.json());
    expect(trainListing).toEqual({ files: [{ path: 'models', is_dir: true }] });
    const prepare = byStage.get('prepare_data_text');
    const prepareRoot = String(prepare.info.artifact_uri).replace(/^mlflow-artifacts:\//, '');
    const listed = await fetch(`${servers.mlflowUri()}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(prepareRoot)}`).then((r) => r.json());
    expect(listed).toEqual({});

    // An experiment: its name is a tag of each run it tracks (and the run's name).
    const exp = runMlp(clone, ['exp', 'run', '-n', 'c-two', '-S', 'text.logreg.C=2', '--track', 'mlflow', 'train_text'], env);
    expect(exp.code).toBe(0);
    const after = await mlflowRuns(servers.mlflowUri(), experiment);
    const named = after.filter((r) => asMap(r.data.tags)['mlp.experiment'] === 'c-two');
    expect(named.map((r) => [asMap(r.data.tags)['mlp.stage'], r.info.run_name, asMap(r.data.params)['text.logreg.C']])).toEqual([['train_text', 'c-two/train_text', '2']]);
  }, 600_000);
});

describe('mlp serve --track mlflow', () => {
  test('one run per serving session: aggregate series each interval, final values, FINISHED when it stops', async () => {
    const dir = makeRepo();
    dirs.push(dir);
    trainModel(dir);
    fs.writeFileSync(path.join(dir, '.mlp/config.local.yaml'), `tracking:\n  uri: ${servers.mlflowUri()}\n`);
    const started: Server[] = [];
    let sha256: string;
    try {
      const server = await startServe(dir, ['model', '--track', 'mlflow', '--track-interval', '0.5', '--no-watch', '--shutdown-delay', '0'], started);
      sha256 = ((await (await fetch(`${server.url}/version`)).json()) as { model: { sha256: string } }).model.sha256;
      for (let i = 0; i < 3; i++) expect((await post(`${server.url}/predict`, { texts: [`win a free prize now ${i}`, `see you at lunch ${i}`] })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a step goes out
      expect((await post(`${server.url}/predict`, { text: 'claim your free prize' })).status).toBe(200);
      server.child.kill('SIGTERM');
      const result = await server.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
    } finally {
      await stopAll(started);
    }
    expect(outbox(dir)).toEqual([]);
    const runs = await mlflowRuns(servers.mlflowUri(), path.basename(dir));
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run.info.status).toBe('FINISHED');
    expect(asMap(run.data.params)).toEqual({ model: 'model' });
    expect(asMap(run.data.tags)).toMatchObject({ 'mlp.model.sha256': sha256, 'mlflow.source.name': 'mlp serve' });
    const count = await mlflowGet(servers.mlflowUri(), 'metrics/get-history', { run_id: run.info.run_id, metric_key: 'predictions' });
    const sum = (points: { value: number }[]): number => points.reduce((a, p) => a + p.value, 0);
    // Per interval, not per request: 7 predictions in 4 requests, the last one 1.5 s after the
    // others, make 2 steps (3 if an interval ended among the first three requests).
    expect(sum(count.body.metrics)).toBe(7);
    expect(count.body.metrics.length).toBeGreaterThanOrEqual(2);
    expect(count.body.metrics.length).toBeLessThanOrEqual(3);
    expect(count.body.metrics.map((m: { step: number }) => Number(m.step)).sort()).toEqual([...count.body.metrics.keys()]);
    const spam = await mlflowGet(servers.mlflowUri(), 'metrics/get-history', { run_id: run.info.run_id, metric_key: 'predictions.spam' });
    expect(sum(spam.body.metrics)).toBe(4);
    expect(asMap(run.data.metrics).confidence_mean).toBeGreaterThan(0.5);
  });
});
