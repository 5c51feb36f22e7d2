/**
 * A client of the OCI Distribution API (distribution-spec v1.1) on Node's `fetch`: enough to push
 * an image layout and to pull a base image.
 *
 * Push: for each blob a HEAD first (a blob the registry has is not sent: an unchanged image sends
 * nothing but its manifest), then a monolithic upload (POST then PUT with the bytes) for small
 * blobs or a chunked one (POST, PATCH per chunk with Content-Range, PUT to close) for large ones;
 * the config before the manifest, the manifest last, by tag.
 *
 * Auth: on a 401 the client reads WWW-Authenticate — `Basic` is answered with the credentials
 * (credentials.ts); `Bearer realm=…,service=…,scope=…` by asking the realm for a token (with
 * the credentials, if any, else anonymously) and retrying with it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { findCredentials, type Credentials } from './credentials.js';
import { MEDIA, type Descriptor, type ImageConfig, type ImageIndex, type Manifest, type OciLayout } from './layout.js';
import { formatReference, registryUrl, type ImageReference } from './reference.js';

export interface RegistryOptions {
  plainHttp?: boolean;
  /** Blobs larger than this go up in chunks of this size. */
  chunkSize?: number;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Ask the token service for push rights too (pull only otherwise). */
  push?: boolean;
}

export interface PushProgress {
  onBlob?(event: { digest: string; size: number; sent: boolean }): void;
}

export interface PushResult {
  reference: string;
  manifestDigest: string;
  tags: string[];
  blobsSent: number;
  blobsSkipped: number;
  bytesSent: number;
}

export class RegistryError extends MlpError {}

const MANIFEST_ACCEPT = [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerList].join(', ');

export class RegistryClient {
  private readonly base: string;
  private readonly credentials: Credentials | undefined;
  private token: string | undefined;
  private basic = false;
  private readonly chunkSize: number;
  private readonly timeoutMs: number;
  private readonly scope: string;

  constructor(
    readonly ref: ImageReference,
    options: RegistryOptions = {},
  ) {
    this.base = registryUrl(ref.registry, options.plainHttp);
    this.credentials = findCredentials(ref.registry, options.env ?? process.env);
    if (this.credentials?.kind === 'bearer') this.token = this.credentials.token;
    this.chunkSize = options.chunkSize ?? 16 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.scope = `repository:${ref.name}:${options.push ? 'pull,push' : 'pull'}`;
  }

  private url(p: string): string {
    return new URL(p, this.base).toString();
  }

  private authHeader(): Record<string, string> {
    if (this.token) return { authorization: `Bearer ${this.token}` };
    if (this.basic && this.credentials?.kind === 'basic') {
      return { authorization: `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}` };
    }
    return {};
  }

  /** One request, with one more try after answering an auth challenge. */
  private async request(method: string, url: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { ...init.headers, ...this.authHeader() },
          ...(init.body ? { body: init.body } : {}),
          redirect: 'follow',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        throw this.unreachable(error);
      }
      if (response.status !== 401) return response;
      await response.body?.cancel();
      if (attempt > 0) throw this.credentials ? this.denied() : this.noCredentials();
      await this.answerChallenge(response.headers.get('www-authenticate') ?? '');
    }
  }

  private unreachable(error: unknown): RegistryError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const name = (error as { name?: string }).name;
    const why = name === 'TimeoutError' ? 'no answer in time' : (cause?.code ?? cause?.message ?? (error as Error).message);
    return new RegistryError(`cannot reach the registry ${this.ref.registry} (${why})`, {
      hint: this.base.startsWith('https:') ? 'check the address; a registry that speaks plain HTTP needs --plain-http' : 'check that the registry runs at that address',
    });
  }

  private async answerChallenge(header: string): Promise<void> {
    const scheme = header.split(' ', 1)[0]?.toLowerCase();
    if (scheme === 'basic') {
      if (this.credentials?.kind !== 'basic') throw this.noCredentials();
      if (this.basic) throw this.denied();
      this.basic = true;
      return;
    }
    if (scheme !== 'bearer') throw new RegistryError(`the registry ${this.ref.registry} asks for authentication mlp does not speak ('${header}')`, { hint: 'use a registry with basic or bearer-token auth' });
    const params: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
    if (!params.realm) throw new RegistryError(`the registry ${this.ref.registry} sent a bearer challenge without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    // The scope of the whole operation, not the challenge's (a HEAD is challenged for pull only):
    // one token then serves every step of a push.
    url.searchParams.set('scope', this.scope);
    const headers: Record<string, string> = {};
    if (this.credentials?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw this.unreachable(error);
    }
    if (response.status === 401 || response.status === 403) throw this.credentials ? this.denied() : this.noCredentials();
    if (!response.ok) throw new RegistryError(`the token service ${url.origin} answered HTTP ${response.status}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`the token service ${url.origin} sent no token`);
    this.token = token;
  }

  private noCredentials(): RegistryError {
    return new RegistryError(`the registry ${this.ref.registry} needs credentials and none were found`, {
      hint: 'set MLP_REGISTRY_USERNAME and MLP_REGISTRY_PASSWORD (or MLP_REGISTRY_TOKEN), or `docker login` so that ~/.docker/config.json has them',
    });
  }

  private denied(): RegistryError {
    return new RegistryError(`the registry ${this.ref.registry} refused the credentials for ${this.ref.name}`, {
      hint: 'check MLP_REGISTRY_USERNAME/MLP_REGISTRY_PASSWORD or the docker config.json entry, and the account\'s rights on that repository',
    });
  }

  private async fail(what: string, response: Response): Promise<never> {
    let detail = '';
    try {
      const body = (await response.json()) as { errors?: Array<{ code?: string; message?: string }> };
      detail = (body.errors ?? []).map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
    } catch {
      // no JSON error body
    }
    if (response.status === 403) throw this.denied();
    throw new RegistryError(`${what} on ${formatReference({ ...this.ref, tag: undefined, digest: undefined } as ImageReference)}: HTTP ${response.status}${detail ? ` (${detail})` : ''}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.request('HEAD', this.url(`/v2/${this.ref.name}/blobs/${digest}`));
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return this.fail(`checking blob ${digest}`, response);
  }

  /** Uploads a blob from a file (or bytes), monolithic when it fits one chunk, else chunked. */
  async uploadBlob(descriptor: Descriptor, source: { file: string } | { bytes: Buffer }): Promise<void> {
    const start = await this.request('POST', this.url(`/v2/${this.ref.name}/blobs/uploads/`), { headers: { 'content-length': '0' } });
    if (start.status !== 202) return this.fail(`starting the upload of ${descriptor.digest}`, start);
    let location = this.url(start.headers.get('location') ?? '');
    await start.body?.cancel();
    const read = (offset: number, length: number): Buffer => {
      if ('bytes' in source) return source.bytes.subarray(offset, offset + length);
      const buf = Buffer.alloc(length);
      const fd = fs.openSync(source.file, 'r');
      try {
        let got = 0;
        while (got < length) {
          const n = fs.readSync(fd, buf, got, length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
        return buf.subarray(0, got);
      } finally {
        fs.closeSync(fd);
      }
    };
    let body: Buffer | undefined;
    if (descriptor.size <= this.chunkSize) {
      body = read(0, descriptor.size);
    } else {
      for (let offset = 0; offset < descriptor.size; offset += this.chunkSize) {
        const chunk = read(offset, Math.min(this.chunkSize, descriptor.size - offset));
        const patch = await this.request('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.length), 'content-range': `${offset}-${offset + chunk.length - 1}` },
          body: chunk,
        });
        if (patch.status !== 202) return this.fail(`uploading ${descriptor.digest} (bytes ${offset}–${offset + chunk.length - 1})`, patch);
        location = this.url(patch.headers.get('location') ?? location);
        await patch.body?.cancel();
      }
    }
    const done = new URL(location);
    done.searchParams.set('digest', descriptor.digest);
    const put = await this.request('PUT', done.toString(), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body?.length ?? 0) },
      ...(body ? { body } : {}),
    });
    if (put.status !== 201) return this.fail(`finishing the upload of ${descriptor.digest}`, put);
    await put.body?.cancel();
  }

  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const response = await this.request('PUT', this.url(`/v2/${this.ref.name}/manifests/${tag}`), { headers: { 'content-type': mediaType }, body: bytes });
    if (response.status !== 201) return this.fail(`storing the manifest as '${tag}'`, response);
    await response.body?.cancel();
    return response.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  async getManifest(reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const response = await this.request('GET', this.url(`/v2/${this.ref.name}/manifests/${reference}`), { headers: { accept: MANIFEST_ACCEPT } });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new RegistryError(`${formatReference({ ...this.ref, tag: reference.startsWith('sha256:') ? undefined : reference })} does not exist in the registry`, {
        hint: 'check the name and the tag; push the image there first',
      });
    }
    if (!response.ok) return this.fail(`reading the manifest '${reference}'`, response);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) throw new RegistryError(`the registry sent a manifest whose digest is ${digest}, not ${reference}`);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim() || ((JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? MEDIA.manifest);
    return { bytes, mediaType, digest };
  }

  /** Downloads a blob into the layout, verifying its digest while it is written. */
  async downloadBlob(layout: OciLayout, digest: string): Promise<void> {
    if (layout.hasBlob(digest)) return;
    const response = await this.request('GET', this.url(`/v2/${this.ref.name}/blobs/${digest}`));
    if (!response.ok || !response.body) return this.fail(`downloading ${digest}`, response);
    const file = layout.blobPath(digest);
    const tmp = path.join(path.dirname(file), `pull.${tempOwnerTag()}.tmp`);
    const hash = createHash('sha256');
    const fd = fs.openSync(tmp, 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        fs.writeSync(fd, chunk);
      }
      fs.closeSync(fd);
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) throw new RegistryError(`the registry sent ${actual} for the blob ${digest}`, { hint: 'try again; if it repeats, the registry\'s storage is damaged' });
      fs.renameSync(tmp, file);
    } catch (error) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      fs.rmSync(tmp, { force: true });
      throw error instanceof MlpError ? error : this.unreachable(error);
    }
  }
}

/** Pushes the layout's image under each of `tags`: blobs the registry lacks, then the manifest per tag. */
export async function pushImage(layout: OciLayout, target: ImageReference, tags: string[], options: RegistryOptions & PushProgress = {}): Promise<PushResult> {
  const image = layout.image();
  const client = new RegistryClient(target, { ...options, push: true });
  const manifestBytes = layout.readBlob(image.descriptor.digest);
  const result: PushResult = { reference: formatReference({ ...target, tag: undefined }), manifestDigest: image.descriptor.digest, tags, blobsSent: 0, blobsSkipped: 0, bytesSent: 0 };
  for (const blob of [...image.manifest.layers, image.manifest.config]) {
    if (await client.hasBlob(blob.digest)) {
      result.blobsSkipped++;
      options.onBlob?.({ digest: blob.digest, size: blob.size, sent: false });
      continue;
    }
    await client.uploadBlob(blob, { file: layout.blobPath(blob.digest) });
    result.blobsSent++;
    result.bytesSent += blob.size;
    options.onBlob?.({ digest: blob.digest, size: blob.size, sent: true });
  }
  for (const tag of tags) await client.putManifest(tag, manifestBytes, image.descriptor.mediaType);
  return result;
}

function goArch(): string {
  return { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' }[process.arch as string] ?? process.arch;
}

export interface PulledImage {
  reference: string;
  /** The digest of the platform manifest used. */
  digest: string;
  layers: Descriptor[];
  config: ImageConfig;
  diffIds: string[];
}

/** Pulls the image for this platform (linux/<arch>) into the layout's blobs: layers and config, all verified. */
export async function pullImage(layout: OciLayout, ref: ImageReference, options: RegistryOptions = {}): Promise<PulledImage> {
  const client = new RegistryClient(ref, options);
  let got = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
  if (got.mediaType === MEDIA.index || got.mediaType === MEDIA.dockerList) {
    const index = JSON.parse(got.bytes.toString('utf8')) as ImageIndex;
    const arch = goArch();
    const entry = index.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
    if (!entry) throw new RegistryError(`${formatReference(ref)} has no image for linux/${arch}`, { hint: 'pick a base image built for this platform' });
    got = await client.getManifest(entry.digest);
  }
  if (got.mediaType !== MEDIA.manifest && got.mediaType !== MEDIA.dockerManifest) {
    throw new RegistryError(`${formatReference(ref)} is not an image (its manifest is ${got.mediaType})`);
  }
  const manifest = JSON.parse(got.bytes.toString('utf8')) as Manifest;
  await client.downloadBlob(layout, manifest.config.digest);
  const config = layout.readJson<ImageConfig>(manifest.config.digest);
  for (const layer of manifest.layers) await client.downloadBlob(layout, layer.digest);
  // Docker's media types name the same bytes as OCI's: the layers are listed as OCI layers in the new manifest.
  const layers = manifest.layers.map((l) => ({
    mediaType: l.mediaType === MEDIA.dockerLayerGzip ? MEDIA.layerGzip : l.mediaType,
    digest: l.digest,
    size: l.size,
  }));
  return { reference: formatReference(ref), digest: got.digest, layers, config, diffIds: config.rootfs.diff_ids };
}
