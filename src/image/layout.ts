/**
 * An OCI image layout on disk (image-spec v1.1 `image-layout.md`): `oci-layout`, `index.json` and
 * content-addressed `blobs/sha256/<hex>`. Blobs are written to a temp file next to their place
 * while they are hashed, then renamed, so a blob's name always matches its bytes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { MlpError } from '../errors.js';
import { tempOwnerTag } from '../util/temp-files.js';
import { writeFileAtomic } from '../util/fs.js';
import { tarStream, type TarEntry } from './tar.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  config: {
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
    StopSignal?: string;
    User?: string;
    /** Docker's extension; OCI runtimes ignore it, `docker run` uses it. */
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

/** A layer as written: its compressed descriptor and the digest of its uncompressed tar (the config's diff_id). */
export interface LayerBlob {
  descriptor: Descriptor;
  diffId: string;
}

/** The fixed gzip header (RFC 1952): no mtime, no name, OS "unknown" — the bytes never depend on when or where. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

export class OciLayout {
  constructor(readonly dir: string) {}

  static create(dir: string): OciLayout {
    fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    const marker = path.join(dir, 'oci-layout');
    if (!fs.existsSync(marker)) writeFileAtomic(marker, `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
    return new OciLayout(dir);
  }

  static open(dir: string): OciLayout {
    if (!fs.existsSync(path.join(dir, 'oci-layout')) || !fs.existsSync(path.join(dir, 'index.json'))) {
      throw new MlpError(`${dir} is not an OCI image layout (no oci-layout or index.json)`, {
        hint: 'build one first with `mlp image build <model-dir> -o <dir>`, or name it with --layout',
      });
    }
    return new OciLayout(dir);
  }

  blobPath(digest: string): string {
    const hex = digestHex(digest);
    return path.join(this.dir, 'blobs', 'sha256', hex);
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    try {
      return fs.readFileSync(this.blobPath(digest));
    } catch {
      throw new MlpError(`${this.dir} lacks the blob ${digest}`, { hint: 'rebuild the image with `mlp image build`' });
    }
  }

  readJson<T>(digest: string): T {
    const bytes = this.readBlob(digest);
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) throw new MlpError(`${this.blobPath(digest)} does not match its name (${actual})`, { hint: 'the layout is damaged: rebuild it' });
    return JSON.parse(bytes.toString('utf8')) as T;
  }

  /** Writes a JSON document as a blob (canonical: the same value gives the same bytes) and returns its descriptor. */
  writeJson(value: unknown, mediaType: string): Descriptor {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    return this.writeBytes(bytes, mediaType);
  }

  writeBytes(bytes: Buffer, mediaType: string): Descriptor {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const file = this.blobPath(digest);
    if (!fs.existsSync(file)) writeFileAtomic(file, bytes);
    return { mediaType, digest, size: bytes.length };
  }

  /** Writes a gzip-compressed tar layer of `entries` (in their order) with every timestamp at `mtime`. */
  async writeLayer(entries: Iterable<TarEntry>, mtime: number): Promise<LayerBlob> {
    const tmp = path.join(this.dir, 'blobs', 'sha256', `layer.${tempOwnerTag()}.tmp`);
    const tarHash = createHash('sha256');
    const gzHash = createHash('sha256');
    let size = 0;
    let headerFixed = false;
    const fd = fs.openSync(tmp, 'w');
    try {
      await pipeline(
        tarStream(entries, mtime),
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            tarHash.update(chunk);
            done(null, chunk);
          },
        }),
        // Level 6 is zlib's default balance; the output depends only on the input and zlib's version.
        zlib.createGzip({ level: 6 }),
        new Writable({
          write(chunk: Buffer, _enc, done) {
            if (!headerFixed) {
              // Node writes its own gzip header (OS byte from the build platform); fix it.
              chunk = Buffer.from(chunk);
              GZIP_HEADER.copy(chunk, 0, 0, Math.min(chunk.length, GZIP_HEADER.length));
              headerFixed = chunk.length >= GZIP_HEADER.length;
            }
            gzHash.update(chunk);
            size += chunk.length;
            fs.write(fd, chunk, 0, chunk.length, null, (error) => done(error));
          },
        }),
      );
      fs.closeSync(fd);
      const digest = `sha256:${gzHash.digest('hex')}`;
      fs.renameSync(tmp, this.blobPath(digest));
      return { descriptor: { mediaType: MEDIA.layerGzip, digest, size }, diffId: `sha256:${tarHash.digest('hex')}` };
    } catch (error) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  readIndex(): ImageIndex {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'index.json'), 'utf8')) as ImageIndex;
  }

  writeIndex(index: ImageIndex): void {
    writeFileAtomic(path.join(this.dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }

  /** The image the layout holds: the manifest its index names (by tag when given, else the first). */
  image(tag?: string): { descriptor: Descriptor; manifest: Manifest; config: ImageConfig; tags: string[] } {
    const index = this.readIndex();
    const entries = index.manifests.filter((m) => m.mediaType === MEDIA.manifest || m.mediaType === MEDIA.dockerManifest);
    const chosen = tag === undefined ? entries[0] : entries.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (!chosen) {
      const known = entries.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter(Boolean);
      throw new MlpError(tag === undefined ? `${this.dir} holds no image` : `${this.dir} has no image tagged '${tag}'`, {
        hint: known.length ? `its tags: ${known.join(', ')}` : 'build one with `mlp image build`',
      });
    }
    const manifest = this.readJson<Manifest>(chosen.digest);
    const config = this.readJson<ImageConfig>(manifest.config.digest);
    const tags = entries.filter((m) => m.digest === chosen.digest).map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter((t): t is string => !!t);
    return { descriptor: chosen, manifest, config, tags };
  }
}

export function digestHex(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new MlpError(`'${digest}' is not a sha256 digest`, { hint: 'the image manifest is damaged or not an OCI image' });
  return m[1] as string;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
