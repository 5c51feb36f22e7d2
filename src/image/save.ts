/**
 * `mlp image save`: the layout's image as one tar that `docker load` reads — both ways Docker
 * has written archives, in the same file:
 *
 * - `manifest.json` (`[{Config, RepoTags, Layers}]`) and `repositories`: the format every Docker
 *   version loads (layers may be gzipped: `docker load` decompresses them);
 * - `oci-layout`, `index.json` and `blobs/sha256/…`: an OCI layout, which Docker ≥ 25 writes
 *   itself and loads (tags in `io.containerd.image.name`), as do podman and skopeo (`oci-archive:`).
 *
 * manifest.json names the blobs by their place in the OCI layout, so no byte is stored twice.
 * Entries are sorted and every timestamp is 0: the same image gives the same archive.
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { tempOwnerTag } from '../util/temp-files.js';
import { LABEL } from './build.js';
import { MEDIA, type OciLayout } from './layout.js';
import { tarStream, type TarEntry } from './tar.js';

export interface SaveResult {
  file: string;
  repoTags: string[];
  size: number;
}

/** `name:tag` for each tag; a name without a registry is how `docker images` shows it. */
export async function saveImage(layout: OciLayout, file: string, name: string, tags: string[]): Promise<SaveResult> {
  const image = layout.image();
  const repoTags = tags.map((t) => `${name}:${t}`);
  const blob = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  const dockerManifest = [
    {
      Config: blob(image.manifest.config.digest),
      RepoTags: repoTags,
      Layers: image.manifest.layers.map((l) => blob(l.digest)),
    },
  ];
  const top = image.manifest.layers.at(-1)!.digest.slice('sha256:'.length);
  const repositories = { [name]: Object.fromEntries(tags.map((t) => [t, top])) };
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: tags.map((t) => ({
      ...image.descriptor,
      annotations: { 'io.containerd.image.name': fullName(name, t), [LABEL.refName]: t },
    })),
  };
  const json = (v: unknown): Buffer => Buffer.from(`${JSON.stringify(v)}\n`);
  const digests = [...new Set([image.descriptor.digest, image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)])];
  const entries: TarEntry[] = [
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    ...digests.sort().map((d): TarEntry => ({ type: 'file', path: blob(d), source: layout.blobPath(d), size: fs.statSync(layout.blobPath(d)).size })),
    { type: 'file', path: 'index.json', data: json(index) },
    { type: 'file', path: 'manifest.json', data: json(dockerManifest) },
    { type: 'file', path: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
    { type: 'file', path: 'repositories', data: json(repositories) },
  ];
  const tmp = `${file}.${tempOwnerTag()}.tmp`;
  try {
    await pipeline(Readable.from(tarStream(entries, 0)), fs.createWriteStream(tmp));
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  return { file, repoTags, size: fs.statSync(file).size };
}

/** containerd's full name: docker.io/library/x for a bare name, as Docker ≥ 25 writes it. */
function fullName(name: string, tag: string): string {
  const parts = name.split('/');
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost');
  if (hasRegistry) return `${name}:${tag}`;
  return `docker.io/${parts.length === 1 ? `library/${name}` : name}:${tag}`;
}

