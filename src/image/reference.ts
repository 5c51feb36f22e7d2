/**
 * Image references as Docker writes them: `[registry[:port]/]name[:tag][@sha256:…]`. A first
 * component with a dot or a colon, or `localhost`, is a registry; otherwise the image is on
 * Docker Hub, whose API host is registry-1.docker.io and whose one-part names live under
 * `library/`. Loopback registries speak plain HTTP (as Docker allows for them); others HTTPS
 * unless `plainHttp` is asked for.
 */
import { ExitCode, MlpError } from '../errors.js';

export interface ImageReference {
  /** The registry as written (`127.0.0.1:5000`, `ghcr.io`, `docker.io`). */
  registry: string;
  /** The repository inside the registry (`library/node`, `team/spam`). */
  name: string;
  tag?: string;
  digest?: string;
}

const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseReference(text: string): ImageReference {
  const bad = (why: string): MlpError =>
    new MlpError(`'${text}' is not an image reference: ${why}`, { exitCode: ExitCode.usage, hint: 'write it as registry/name[:tag], e.g. 127.0.0.1:5000/spam:latest or ghcr.io/team/spam' });
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad(`'${digest}' is not a sha256 digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`'${tag}' is not a valid tag (letters, digits, _ . -, at most 128)`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) registry = parts.shift()!;
  let name = parts.join('/');
  if (registry === 'docker.io' && parts.length === 1) name = `library/${name}`;
  if (!NAME.test(name)) throw bad(`'${name}' is not a valid repository name (lowercase letters, digits, . _ - and /)`);
  return { registry, name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The base URL of a registry's API (`/v2/` is appended by the client). */
export function registryUrl(registry: string, plainHttp = false): string {
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  const loopback = hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
  return `${plainHttp || loopback ? 'http' : 'https'}://${host}`;
}
