/**
 * `mlp image`: the built CLI against real components — Debian's docker-registry (started here on
 * 127.0.0.1), skopeo (an independent reader and copier of images), umoci (unpacks the layout into a
 * runtime bundle) and runc (runs it as root, answering /health).
 */
import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLP_BIN, git, makeRepo, runMlp, tempDir, writeFiles } from '../helpers/cli.js';
import { startRegistry, REGISTRY_BIN, type RegistryServer } from '../helpers/registry.js';
import { corpus } from '../helpers/serve.js';
import { freePort } from '../helpers/sshd.js';

jest.setTimeout(600_000);

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const RUNC = has('runc');
const IS_ROOT = process.getuid?.() === 0;

function skopeo(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface BuildJson {
  manifestDigest: string;
  configDigest: string;
  tags: string[];
  size: number;
  layers: Array<{ role: string; digest: string; size: number; reused: boolean }>;
  labels: Record<string, string>;
}

let repo: string;
let work: string;
let registry: RegistryServer;
/** One layer cache for the file's builds: the tests that do not test reuse should not pay for Node's compression each time. */
let env: NodeJS.ProcessEnv;
let first: BuildJson;

function mlp(args: string[], extra: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  return runMlp(repo, args, { ...env, ...extra });
}

function build(args: string[], extra: NodeJS.ProcessEnv = {}): BuildJson {
  const r = mlp(['image', 'build', 'model', '--json', ...args], extra);
  if (r.code !== 0) throw new Error(`mlp image build failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as BuildJson;
}

beforeAll(async () => {
  work = tempDir('mlp-image-');
  env = { XDG_CACHE_HOME: path.join(work, 'cache') };
  const cli = `"${process.execPath}" "${MLP_BIN}"`;
  repo = makeRepo({
    'docs.csv': corpus(),
    'pipeline.yaml': `stages:\n  train:\n    cmd: '${cli} -q text prepare --input docs.csv --out data && ${cli} -q text train --data data --out model'\n    deps: [docs.csv]\n    outs: [data, model]\n`,
  });
  expect(runMlp(repo, ['repro']).code).toBe(0);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'trained');
  if (REGISTRY_BIN) registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(repo, { recursive: true, force: true });
});

describe('mlp image build', () => {
  test('writes an OCI layout that skopeo reads, entrypoint `mlp serve` on port 80, lineage labels; the same inputs give the same digest', () => {
    first = build(['--name', 'spam', '-o', path.join(work, 'one'), '--tag', 'v1', '--tag', 'latest']);
    expect(first.layers.map((l) => l.role)).toEqual(['runtime', 'mlp', 'model']);
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const lockHash = /path: model\n\s+sha256: ([0-9a-f]{64})/.exec(fs.readFileSync(path.join(repo, 'pipeline.lock'), 'utf8'))![1];
    expect(first.labels).toMatchObject({
      'org.opencontainers.image.revision': head,
      'org.opencontainers.image.title': 'spam',
      'dev.mlp.model.sha256': lockHash,
      'dev.mlp.lock.stage': 'train',
      'dev.mlp.lock.path': 'model',
      'dev.mlp.version': expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    // The text model's image stays small: Node, its libraries, mlp and its production dependencies.
    expect(first.size).toBeLessThan(150 * 1024 * 1024);

    const inspect = skopeo('inspect', `oci:${path.join(work, 'one')}:v1`);
    expect(inspect.stderr).toBe('');
    const info = JSON.parse(inspect.stdout) as { Digest: string; Layers: string[]; Labels: Record<string, string> };
    expect(info.Digest).toBe(first.manifestDigest);
    expect(info.Layers).toEqual(first.layers.map((l) => l.digest));
    expect(info.Labels['org.opencontainers.image.revision']).toBe(head);
    // Read from the layout itself: skopeo's OCI config type drops Docker's Healthcheck.
    const config = JSON.parse(fs.readFileSync(path.join(work, 'one', 'blobs', 'sha256', first.configDigest.slice(7)), 'utf8')) as { config: { Entrypoint: string[]; ExposedPorts: object; Healthcheck: { Test: string[] } } };
    expect(config.config.Entrypoint.slice(1)).toEqual(['/usr/local/lib/mlp/bin/mlp.js', 'serve', '/model', '--host', '0.0.0.0', '--port', '80', '--no-watch']);
    expect(config.config.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(config.config.Healthcheck.Test.join(' ')).toContain('http://127.0.0.1/health');

    // A second build in a fresh layout, with no layer cache: every layer compressed again, the same bytes.
    const second = build(['--name', 'spam', '-o', path.join(work, 'two'), '--tag', 'v1'], { XDG_CACHE_HOME: path.join(work, 'other-cache') });
    expect(second.layers.every((l) => !l.reused)).toBe(true);
    expect(second.manifestDigest).toBe(first.manifestDigest);
    expect(fs.readdirSync(path.join(work, 'two', 'blobs', 'sha256')).sort()).toEqual(fs.readdirSync(path.join(work, 'one', 'blobs', 'sha256')).sort());
  });

  test('a changed model changes only the model layer; the runtime and mlp layers are reused', () => {
    const layout = path.join(work, 'changed');
    fs.cpSync(path.join(work, 'one'), layout, { recursive: true });
    writeFiles(repo, { 'docs.csv': corpus('free money win now,spam\n') });
    expect(runMlp(repo, ['repro']).code).toBe(0);
    git(repo, 'commit', '-qam', 'more data');
    try {
      const changed = build(['--name', 'spam', '-o', layout, '--tag', 'v2']);
      expect(changed.layers.map((l) => l.reused)).toEqual([true, true, false]);
      expect(changed.layers.slice(0, 2)).toEqual(first.layers.slice(0, 2).map((l) => ({ ...l, reused: true })));
      expect(changed.layers[2]!.digest).not.toBe(first.layers[2]!.digest);
      expect(changed.manifestDigest).not.toBe(first.manifestDigest);
      // The layout holds the new image only: the old model layer, config and manifest are gone.
      expect(fs.existsSync(path.join(layout, 'blobs/sha256', first.layers[2]!.digest.slice(7)))).toBe(false);
      expect(JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')).manifests).toHaveLength(1);
    } finally {
      git(repo, 'reset', '-q', '--hard', 'HEAD~1');
      expect(runMlp(repo, ['checkout', '--force']).code).toBe(0);
    }
  });

  test('refuses to write into a directory that holds other files, and names what to do', () => {
    const dir = path.join(work, 'busy');
    writeFiles(dir, { 'notes.txt': 'mine' });
    const r = mlp(['image', 'build', 'model', '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds files and is not an image layout');
    expect(r.stderr).toContain('hint:');
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });
});

const withRegistry = REGISTRY_BIN && has('skopeo') ? describe : describe.skip;

withRegistry('mlp image push / --base (docker-registry on 127.0.0.1)', () => {
  test('pushes every tag; skopeo reads it back with the same digest; an unchanged push sends no blob', () => {
    const layout = path.join(work, 'one');
    const push = mlp(['image', 'push', `${registry.host}/team/spam`, '--layout', layout, '--json']);
    expect(push.stderr).toBe('');
    expect(JSON.parse(push.stdout)).toMatchObject({ manifestDigest: first.manifestDigest, tags: ['v1', 'latest'], blobsSent: 4, blobsSkipped: 0 });

    const inspect = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${registry.host}/team/spam:v1`).stdout) as { Digest: string; RepoTags: string[] };
    expect(inspect.Digest).toBe(first.manifestDigest);
    expect(inspect.RepoTags.sort()).toEqual(['latest', 'v1']);
    const copy = path.join(work, 'copied');
    const copied = skopeo('copy', '--src-tls-verify=false', `docker://${registry.host}/team/spam:latest`, `oci:${copy}:latest`);
    expect(copied.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(copy, 'index.json'), 'utf8')).manifests[0].digest).toBe(first.manifestDigest);

    const uploads = registry.uploads();
    const again = mlp(['image', 'push', `${registry.host}/team/spam:again`, '--layout', layout]);
    expect(again.stdout).toContain(`Pushed ${registry.host}/team/spam (tag again): no blob sent, 4 already there`);
    expect(registry.uploads()).toBe(uploads); // the registry saw no upload at all
  });

  test('chunked uploads: blobs larger than --chunk-size go up in PATCHes the registry accepts', () => {
    const push = mlp(['image', 'push', `${registry.host}/team/chunked:v1`, '--layout', path.join(work, 'one'), '--chunk-size', '4MB', '--json']);
    expect(push.stderr).toBe('');
    expect(JSON.parse(push.stdout).blobsSent).toBe(4);
    expect((registry.log().match(/"PATCH \/v2\/team\/chunked\/blobs\/uploads\//g) ?? []).length).toBeGreaterThan(5);
    const verify = skopeo('copy', '--src-tls-verify=false', `docker://${registry.host}/team/chunked:v1`, `oci:${path.join(work, 'chunked')}:v1`);
    expect(verify.stderr).toBe(''); // skopeo verifies every blob's digest
  });

  test('--base: a base image pulled through the registry API keeps its layers; mlp and the model go on top', () => {
    // The base: an image already in the registry (the one pushed above), pulled as any base would be.
    const layout = path.join(work, 'based');
    const based = build(['--name', 'spam', '-o', layout, '--tag', 'v1', '--base', `${registry.host}/team/spam:v1`]);
    expect(based.layers.map((l) => l.role)).toEqual(['base', 'base', 'base', 'mlp', 'model']);
    expect(based.layers.slice(0, 3).map((l) => l.digest)).toEqual(first.layers.map((l) => l.digest));
    expect(based.labels).toMatchObject({ 'org.opencontainers.image.base.name': `${registry.host}/team/spam:v1`, 'org.opencontainers.image.base.digest': first.manifestDigest });
    const config = JSON.parse(skopeo('inspect', '--config', `oci:${layout}:v1`).stdout) as { config: { Entrypoint: string[] } };
    expect(config.config.Entrypoint[0]).toBe('node'); // the base's node, on its PATH

    const missing = mlp(['image', 'build', 'model', '-o', path.join(work, 'nobase'), '--base', `${registry.host}/team/nothing:v1`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${registry.host}/team/nothing:v1 does not exist in the registry`);
  });
});

withRegistry('mlp image push with basic auth', () => {
  let secured: RegistryServer;
  beforeAll(async () => {
    secured = await startRegistry({ basicAuth: { username: 'ci', password: 's3cret-pw' } });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  test('without credentials it says which to set; with them from the environment or docker config.json it pushes', () => {
    const layout = path.join(work, 'one');
    const denied = mlp(['image', 'push', `${secured.host}/team/spam:v1`, '--layout', layout], { DOCKER_CONFIG: path.join(work, 'no-docker') });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(`the registry ${secured.host} needs credentials and none were found`);
    expect(denied.stderr).toContain('MLP_REGISTRY_USERNAME');

    const wrong = mlp(['image', 'push', `${secured.host}/team/spam:v1`, '--layout', layout], { MLP_REGISTRY_USERNAME: 'ci', MLP_REGISTRY_PASSWORD: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the credentials');
    expect(wrong.stderr).not.toContain('wrong');

    const byEnv = mlp(['image', 'push', `${secured.host}/team/spam:v1`, '--layout', layout], { MLP_REGISTRY_USERNAME: 'ci', MLP_REGISTRY_PASSWORD: 's3cret-pw' });
    expect(byEnv.stderr).toBe('');
    expect(byEnv.stdout).toContain('4 blobs sent');

    const dockerConfig = path.join(work, 'docker');
    writeFiles(dockerConfig, { 'config.json': JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from('ci:s3cret-pw').toString('base64') } } }) });
    const byConfig = mlp(['image', 'push', `${secured.host}/team/spam:v2`, '--layout', layout], { DOCKER_CONFIG: dockerConfig });
    expect(byConfig.stderr).toBe('');
    expect(byConfig.stdout).toContain('no blob sent, 4 already there');
  });
});

withRegistry('mlp image push and --base with bearer tokens (docker-registry in token mode, a token service)', () => {
  let secured: RegistryServer;
  beforeAll(async () => {
    secured = await startRegistry({ tokenAuth: { username: 'robot', password: 'tok-pw' } });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  test('the client asks the realm for a token with the credentials and pushes with it; a base is pulled the same way', () => {
    const layout = path.join(work, 'one');
    const creds = { MLP_REGISTRY_USERNAME: 'robot', MLP_REGISTRY_PASSWORD: 'tok-pw' };
    const anonymous = mlp(['image', 'push', `${secured.host}/team/spam:v1`, '--layout', layout], { DOCKER_CONFIG: path.join(work, 'no-docker') });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('needs credentials and none were found');

    const push = mlp(['image', 'push', `${secured.host}/team/spam:v1`, '--layout', layout, '--json'], creds);
    expect(push.stderr).toBe('');
    expect(JSON.parse(push.stdout)).toMatchObject({ blobsSent: 4, manifestDigest: first.manifestDigest });

    const based = build(['-o', path.join(work, 'based-token'), '--tag', 'v1', '--base', `${secured.host}/team/spam:v1`], creds);
    expect(based.layers.slice(0, 3).map((l) => l.digest)).toEqual(first.layers.map((l) => l.digest));
  });
});

describe('mlp image save / dockerfile', () => {
  test('save writes an archive skopeo reads both as a docker archive and as an OCI archive', () => {
    const file = path.join(work, 'image.tar');
    const save = mlp(['image', 'save', '-o', file, '--layout', path.join(work, 'one')]);
    expect(save.stderr).toBe('');
    expect(save.stdout).toContain('Saved spam:v1, spam:latest');
    const listing = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n');
    expect(listing).toEqual(expect.arrayContaining(['manifest.json', 'repositories', 'index.json', 'oci-layout']));
    const docker = JSON.parse(skopeo('inspect', `docker-archive:${file}:spam:v1`).stdout) as { Layers: string[]; Labels: Record<string, string> };
    expect(docker.Layers).toHaveLength(3);
    expect(docker.Labels['dev.mlp.model.sha256']).toBe(first.labels['dev.mlp.model.sha256']);
    const oci = JSON.parse(skopeo('inspect', `oci-archive:${file}:v1`).stdout) as { Digest: string };
    expect(oci.Digest).toBe(first.manifestDigest);
    // The same image gives the same archive.
    const again = path.join(work, 'image2.tar');
    expect(mlp(['image', 'save', '-o', again, '--layout', path.join(work, 'one')]).code).toBe(0);
    expect(fs.readFileSync(again).equals(fs.readFileSync(file))).toBe(true);
  });

  test('dockerfile names the base, the model path, the entrypoint, the healthcheck and the lineage', () => {
    const r = mlp(['image', 'dockerfile', 'model', '--name', 'spam']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('FROM node:20-slim\n');
    expect(r.stdout).toContain('COPY ["model","/model"]');
    expect(r.stdout).toContain('ENTRYPOINT ["mlp","serve","/model","--host","0.0.0.0","--port","80","--no-watch"]');
    expect(r.stdout).toContain('HEALTHCHECK');
    expect(r.stdout).toContain(`dev.mlp.model.sha256="${first.labels['dev.mlp.model.sha256']}"`);
  });
});

// runc needs root here; crun refuses this VM's hybrid cgroup setup ("cgroups in hybrid mode not
// supported, drop all controllers from cgroupv2"), so the run uses runc.
const canRun = RUNC && has('umoci') && IS_ROOT;
const runTest = canRun ? test : test.skip;
if (!canRun) console.warn(`skipped: running the image needs root, umoci and runc (root: ${IS_ROOT}, runc: ${RUNC}, umoci: ${has('umoci')})`);

describe('the image runs', () => {
  runTest('umoci unpacks it and runc runs it: /health answers and /predict predicts', async () => {
    const bundle = path.join(work, 'bundle');
    const unpack = spawnSync('umoci', ['unpack', '--image', `${path.join(work, 'one')}:v1`, bundle], { encoding: 'utf8' });
    expect(unpack.status).toBe(0);
    // The test shares the host's network (no bridge to reach a private one) on a free port, without a TTY.
    const port = await freePort();
    const configFile = path.join(bundle, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    config.process.terminal = false;
    config.linux.namespaces = config.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
    const args: string[] = config.process.args;
    expect(args.slice(1)).toEqual(['/usr/local/lib/mlp/bin/mlp.js', 'serve', '/model', '--host', '0.0.0.0', '--port', '80', '--no-watch']);
    args[args.indexOf('--port') + 1] = String(port);
    fs.writeFileSync(configFile, JSON.stringify(config));
    const state = path.join(work, 'runc-state');
    const id = `mlp-image-test-${process.pid}`;
    const child = spawn('runc', ['--root', state, 'run', '-b', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    try {
      let health: Response | undefined;
      for (let i = 0; i < 600 && child.exitCode === null; i++) {
        health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (health?.ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect({ status: health?.status, out }).toMatchObject({ status: 200 });
      // /health says the process is up; /ready that the model is loaded.
      for (let i = 0; i < 600; i++) {
        if ((await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const predict = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'win a free prize now' }) });
      expect(predict.status).toBe(200);
      expect(JSON.stringify(await predict.json())).toContain('spam');
    } finally {
      spawnSync('runc', ['--root', state, 'kill', id, 'KILL']);
      await done;
      spawnSync('runc', ['--root', state, 'delete', '--force', id]);
    }
    expect(out).toContain('Serving text model');
  });
});
