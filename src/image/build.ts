/**
 * `mlp image build`: a model directory → an OCI image layout, without a daemon or root.
 *
 * Layers, bottom up: the runtime (this host's Node and its libraries; or the layers of a `--base`
 * image pulled from a registry), mlp itself, the model. Each is a deterministic tar (sorted
 * entries, mtime 0, owner 0:0) gzipped with a fixed header, so the same inputs give the same
 * digests, and a new model changes only the model layer (and the config and manifest that name
 * it). The image's creation time is SOURCE_DATE_EPOCH when set, else the model's commit time,
 * else the epoch — never "now". Tags (`latest` and a UTC timestamp by default) live only in
 * index.json, so they do not change the digest either.
 *
 * The layout holds one image: a rebuild replaces index.json and removes the blobs no longer named.
 * The runtime and mlp layers are remembered by the stat signatures of their files
 * (`$XDG_CACHE_HOME/mlp/image-layers/`), so a rebuild with the same Node and mlp gzips only the model.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../git/git.js';
import { ExitCode, MlpError } from '../errors.js';
import { modelSource } from '../serve/source.js';
import { writeFileAtomic } from '../util/fs.js';
import { IMAGE_PATHS, mlpEntries, modelEntries, runtimeEntries } from './contents.js';
import { MEDIA, OciLayout, type Descriptor, type ImageConfig, type LayerBlob, type Manifest } from './layout.js';
import { parseReference, TAG } from './reference.js';
import { pullImage, type RegistryOptions } from './registry.js';
import type { TarEntry } from './tar.js';

export interface BuildOptions {
  modelDir: string;
  layoutDir: string;
  /** The model's kind: CIFAR-10 models also need TensorFlow.js in the image. */
  kind: 'text' | 'cifar10';
  name: string;
  /** Empty: `latest` and a UTC timestamp. */
  tags: string[];
  /** A base image reference (pulled), or undefined for the host runtime. */
  base?: string;
  mlpVersion: string;
  registry?: RegistryOptions;
  now?: Date;
  env?: NodeJS.ProcessEnv;
  onStep?(step: string): void;
}

export interface LayerSummary {
  role: 'base' | 'runtime' | 'mlp' | 'model';
  digest: string;
  size: number;
  /** Reused from an earlier build (not compressed again). */
  reused: boolean;
}

export interface BuildResult {
  layoutDir: string;
  name: string;
  tags: string[];
  manifestDigest: string;
  configDigest: string;
  layers: LayerSummary[];
  /** Compressed size of all layers plus config and manifest. */
  size: number;
  labels: Record<string, string>;
  base?: { reference: string; digest: string };
}

const LAYER_CACHE_VERSION = 1;
export const LABEL = {
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  revision: 'org.opencontainers.image.revision',
  version: 'org.opencontainers.image.version',
  description: 'org.opencontainers.image.description',
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
  refName: 'org.opencontainers.image.ref.name',
  modelSha256: 'dev.mlp.model.sha256',
  modelKind: 'dev.mlp.model.kind',
  lockStage: 'dev.mlp.lock.stage',
  lockPath: 'dev.mlp.lock.path',
  mlpVersion: 'dev.mlp.version',
} as const;

/** `20261130T142100Z`: a tag that sorts by time. */
export function timestampTag(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const env = options.env ?? process.env;
  const now = options.now ?? new Date();
  const tags = options.tags.length ? options.tags : ['latest', timestampTag(now)];
  for (const tag of tags) {
    if (!TAG.test(tag)) throw new MlpError(`'${tag}' is not a valid tag`, { exitCode: ExitCode.usage, hint: 'letters, digits, _ . - (at most 128, not starting with . or -)' });
  }
  const modelDir = path.resolve(options.modelDir);
  const source = modelSource(modelDir);
  const created = creationTime(modelDir, source.commit, env);
  const layout = OciLayout.create(options.layoutDir);

  const layers: Array<LayerBlob & { role: LayerSummary['role']; reused: boolean }> = [];
  let baseConfig: ImageConfig | undefined;
  let base: BuildResult['base'];
  if (options.base) {
    options.onStep?.(`pulling ${options.base}`);
    const pulled = await pullImage(layout, parseReference(options.base), options.registry);
    if (pulled.layers.length !== pulled.diffIds.length) throw new MlpError(`${options.base}: its config lists ${pulled.diffIds.length} layers, its manifest ${pulled.layers.length}`);
    pulled.layers.forEach((descriptor, i) => layers.push({ descriptor, diffId: pulled.diffIds[i]!, role: 'base', reused: false }));
    baseConfig = pulled.config;
    base = { reference: pulled.reference, digest: pulled.digest };
  } else {
    options.onStep?.('runtime layer');
    layers.push({ ...(await cachedLayer(layout, runtimeEntries(), env)), role: 'runtime' });
  }
  options.onStep?.('mlp layer');
  layers.push({ ...(await cachedLayer(layout, mlpEntries({ tensorflow: options.kind === 'cifar10' }), env)), role: 'mlp' });
  options.onStep?.('model layer');
  layers.push({ ...(await layout.writeLayer(modelEntries(modelDir), 0)), role: 'model', reused: false });

  const labels: Record<string, string> = {
    ...(baseConfig?.config.Labels ?? {}),
    [LABEL.title]: options.name,
    [LABEL.description]: `${options.kind} model served by mlp serve`,
    [LABEL.created]: created,
    [LABEL.modelSha256]: source.sha256,
    [LABEL.modelKind]: options.kind,
    [LABEL.mlpVersion]: options.mlpVersion,
    ...(source.commit ? { [LABEL.revision]: source.commit } : {}),
    ...(source.stage ? { [LABEL.lockStage]: source.stage } : {}),
    ...(source.path ? { [LABEL.lockPath]: source.path } : {}),
    ...(base ? { [LABEL.baseName]: base.reference, [LABEL.baseDigest]: base.digest } : {}),
  };
  const node = base ? 'node' : IMAGE_PATHS.node; // a base image puts node on its PATH
  const baseEnv = baseConfig?.config.Env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  const config: ImageConfig = {
    created,
    architecture: baseConfig?.architecture ?? goArch(),
    os: 'linux',
    config: {
      Env: [...baseEnv.filter((e) => !e.startsWith('NODE_ENV=')), 'NODE_ENV=production'],
      Entrypoint: [node, IMAGE_PATHS.mlpBin, 'serve', IMAGE_PATHS.model, '--host', '0.0.0.0', '--port', '80', '--no-watch'],
      WorkingDir: IMAGE_PATHS.workdir,
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGTERM',
      Labels: sortKeys(labels),
      Healthcheck: {
        // No curl in the image: Node's own fetch asks /health.
        Test: ['CMD', node, '-e', "fetch('http://127.0.0.1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"],
        Interval: 30e9,
        Timeout: 5e9,
        StartPeriod: 30e9,
        Retries: 3,
      },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: `mlp image build: ${l.role} layer`, ...(l.role === 'base' ? { comment: base?.reference } : {}) })),
  };
  const configDescriptor = layout.writeJson(config, MEDIA.config);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: configDescriptor,
    layers: layers.map((l) => l.descriptor),
    annotations: sortKeys(Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith('org.opencontainers.') || k.startsWith('dev.mlp.')))),
  };
  const manifestDescriptor = layout.writeJson(manifest, MEDIA.manifest);
  layout.writeIndex({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: tags.map((tag): Descriptor => ({ ...manifestDescriptor, annotations: { [LABEL.refName]: tag, [LABEL.title]: options.name } })),
  });
  removeUnnamedBlobs(layout, [manifestDescriptor.digest, configDescriptor.digest, ...layers.map((l) => l.descriptor.digest)]);

  return {
    layoutDir: options.layoutDir,
    name: options.name,
    tags,
    manifestDigest: manifestDescriptor.digest,
    configDigest: configDescriptor.digest,
    layers: layers.map((l) => ({ role: l.role, digest: l.descriptor.digest, size: l.descriptor.size, reused: l.reused })),
    size: layers.reduce((sum, l) => sum + l.descriptor.size, configDescriptor.size + manifestDescriptor.size),
    labels,
    ...(base ? { base } : {}),
  };
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function goArch(): string {
  return { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' }[process.arch as string] ?? process.arch;
}

function creationTime(modelDir: string, commit: string | undefined, env: NodeJS.ProcessEnv): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d+$/.test(epoch)) throw new MlpError(`SOURCE_DATE_EPOCH is '${epoch}', not a number of seconds`, { exitCode: ExitCode.usage, hint: 'set it to e.g. $(git log -1 --format=%ct)' });
    return new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  }
  if (commit) {
    const time = runGit(modelDir, ['log', '-1', '--format=%ct', commit]);
    if (time.code === 0) return new Date(Number(time.stdout.toString().trim()) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  }
  return '1970-01-01T00:00:00Z';
}

/**
 * A layer of many unchanging files (Node, mlp), reused when every file has the stat signature it
 * had when the layer was last written into this layout: compressing Node again is most of a build.
 */
async function cachedLayer(layout: OciLayout, entries: TarEntry[], env: NodeJS.ProcessEnv): Promise<LayerBlob & { reused: boolean }> {
  const key = createHash('sha256');
  key.update(`v${LAYER_CACHE_VERSION}\n`);
  for (const e of entries) {
    if (e.type === 'file' && 'source' in e) {
      const st = fs.statSync(e.source);
      key.update(`f ${e.path} ${e.mode} ${e.source} ${st.size} ${st.ino} ${st.mtimeMs} ${st.ctimeMs}\n`);
    } else if (e.type === 'file') {
      key.update(`d ${e.path} ${e.mode} ${createHash('sha256').update(e.data).digest('hex')}\n`);
    } else {
      key.update(`${e.type} ${e.path} ${'mode' in e ? e.mode : ''} ${'target' in e ? e.target : ''}\n`);
    }
  }
  const dir = path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'mlp', 'image-layers');
  const file = path.join(dir, `${key.digest('hex')}.json`);
  try {
    const known = JSON.parse(fs.readFileSync(file, 'utf8')) as LayerBlob;
    const stat = fs.statSync(layout.blobPath(known.descriptor.digest), { throwIfNoEntry: false });
    if (stat?.size === known.descriptor.size) return { ...known, reused: true };
  } catch {
    // not written before (or unreadable): write the layer
  }
  const layer = await layout.writeLayer(entries, 0);
  try {
    writeFileAtomic(file, `${JSON.stringify(layer)}\n`);
  } catch {
    // A cache that cannot be written only makes the next build slower.
  }
  return { ...layer, reused: false };
}

/** Blobs of earlier builds that the new image does not name. */
function removeUnnamedBlobs(layout: OciLayout, keep: string[]): void {
  const names = new Set(keep.map((d) => d.slice('sha256:'.length)));
  const dir = path.join(layout.dir, 'blobs', 'sha256');
  for (const name of fs.readdirSync(dir)) {
    if (/^[0-9a-f]{64}$/.test(name) && !names.has(name)) fs.rmSync(path.join(dir, name), { force: true });
  }
}
