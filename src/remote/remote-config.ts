/**
 * Remote configuration: `remotes.<name>` sections of `.mlp/config.yaml` (committed: url and
 * non-secret options) and `.mlp/config.local.yaml` (never committed: credentials, key paths),
 * `core.remote` for the default. Writing keeps the files' comments (yaml Document API).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import type { Config } from '../repo/config.js';
import { CONFIG_FILE, LOCAL_CONFIG_FILE } from '../repo/config.js';
import { writeFileAtomic } from '../util/fs.js';
import { yaml } from '../util/yaml.js';

export { REMOTE_OPTIONS, type RemoteKind } from '../schema/config.js';

export interface SshLocation {
  kind: 'ssh';
  user: string | undefined;
  host: string;
  port: number;
  path: string;
}
export interface S3Location {
  kind: 's3';
  bucket: string;
  prefix: string;
}
export interface LocalLocation {
  kind: 'local';
  path: string;
}
export type RemoteLocation = SshLocation | S3Location | LocalLocation;

export interface RemoteSpec {
  name: string;
  url: string;
  location: RemoteLocation;
  /** Every option of the merged config (config.yaml overlaid by config.local.yaml). */
  options: Record<string, unknown>;
}

/** Options that may only be written to config.local.yaml. */
export const SECRET_OPTIONS = new Set(['password', 'access_key_id', 'secret_access_key', 'session_token']);

const usage = (message: string, hint: string): MlpError => new MlpError(message, { hint, exitCode: ExitCode.usage });

const SSH_FORM = 'write it as ssh://[user@]host[:port]/absolute/path';
const S3_FORM = 'write it as s3://bucket[/prefix]';

export function parseRemoteUrl(url: string, repoRoot: string): RemoteLocation {
  // `ssh:/host/x`, `s3:bucket`, `host:/path`: a scheme-like prefix without `//` is a mistyped
  // URL far more often than a local directory named with a colon, which would silently receive
  // the data instead of the server. Such a directory can still be given as ./name:… .
  const scheme = /^([^/]*?):/.exec(url)?.[1];
  if (scheme !== undefined && !url.startsWith(`${scheme}://`)) {
    const lower = scheme.toLowerCase();
    const form = lower === 'ssh' ? SSH_FORM : lower === 's3' ? S3_FORM : lower === 'file' ? 'write it as file:///absolute/path' : undefined;
    const rest = url.slice(scheme.length + 1);
    throw usage(
      `invalid remote URL '${url}': '${scheme}:' is not followed by '//'`,
      form ?? `for an SSH server (scp-style host:path), write ssh://${scheme}${rest.startsWith('/') ? '' : '/'}${rest}; for a local directory whose name has a colon, write ./${url}`,
    );
  }
  if (url.startsWith('ssh://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw usage(`invalid SSH URL '${url}'`, SSH_FORM);
    }
    if (!parsed.hostname) throw usage(`invalid SSH URL '${url}': no host`, SSH_FORM);
    const remotePath = decodeURIComponent(parsed.pathname).replace(/\/+$/, '');
    if (remotePath === '') throw usage(`invalid SSH URL '${url}': no path on the server`, SSH_FORM);
    return {
      kind: 'ssh',
      user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : 22,
      path: remotePath,
    };
  }
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (!bucket) throw usage(`invalid S3 URL '${url}': no bucket`, S3_FORM);
    return { kind: 's3', bucket, prefix };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw usage(`unsupported remote URL '${url}'`, 'use ssh://[user@]host[:port]/path, s3://bucket/prefix or a local directory path');
  }
  const local = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  return { kind: 'local', path: path.resolve(repoRoot, local) };
}

export function remoteNames(config: Config): string[] {
  return Object.keys(config.remotes ?? {}).sort();
}

/** The remote named `name`, else the default (`core.remote`), else the only one configured. */
export function resolveRemote(config: Config, repoRoot: string, name?: string): RemoteSpec {
  const remotes = config.remotes ?? {};
  const names = Object.keys(remotes);
  let chosen = name ?? config.core?.remote;
  if (chosen === undefined) {
    if (names.length === 1) chosen = names[0] as string;
    else if (names.length === 0) {
      throw new MlpError('no remote is configured', { hint: 'add one with `mlp remote add -d <name> <url>`' });
    } else {
      throw new MlpError(`no default remote among ${names.sort().join(', ')}`, {
        hint: 'pass -r <name>, or set one with `mlp remote default <name>`',
      });
    }
  }
  const options = remotes[chosen];
  if (!options) {
    throw new MlpError(`remote '${chosen}' is not configured`, {
      hint: names.length ? `configured remotes: ${names.sort().join(', ')}` : 'add it with `mlp remote add <name> <url>`',
    });
  }
  const url = options.url;
  if (typeof url !== 'string' || url === '') {
    throw new MlpError(`remote '${chosen}' has no url`, { hint: `set it with \`mlp remote modify ${chosen} url <url>\`` });
  }
  return { name: chosen, url, location: parseRemoteUrl(url, repoRoot), options };
}

/** Reads and edits one config file, keeping its comments and layout. */
export class ConfigFileEditor {
  private readonly doc: ReturnType<ReturnType<typeof yaml>['parseDocument']>;

  constructor(
    readonly file: string,
    /** File mode when written: 0600 for config.local.yaml, which holds credentials. */
    private readonly mode?: number,
  ) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    this.doc = yaml().parseDocument(text);
    if (this.doc.errors.length > 0) {
      throw new MlpError(`${file}: ${this.doc.errors[0]?.message ?? 'invalid YAML'}`, { hint: 'fix the YAML syntax, then retry' });
    }
  }

  static for(mlpDir: string, local: boolean): ConfigFileEditor {
    return local ? new ConfigFileEditor(path.join(mlpDir, LOCAL_CONFIG_FILE), 0o600) : new ConfigFileEditor(path.join(mlpDir, CONFIG_FILE));
  }

  get(keys: string[]): unknown {
    const value = this.doc.getIn(keys) as unknown;
    return value && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value;
  }

  has(keys: string[]): boolean {
    return this.doc.hasIn(keys);
  }

  set(keys: string[], value: unknown): void {
    if (this.doc.contents === null) this.doc.contents = this.doc.createNode({}) as never;
    this.doc.setIn(keys, value);
  }

  delete(keys: string[]): boolean {
    if (!this.doc.hasIn(keys)) return false;
    this.doc.deleteIn(keys);
    // Drop sections left empty.
    for (let n = keys.length - 1; n > 0; n--) {
      const parent = this.get(keys.slice(0, n));
      if (parent && typeof parent === 'object' && Object.keys(parent).length === 0) this.doc.deleteIn(keys.slice(0, n));
      else break;
    }
    return true;
  }

  save(): void {
    // No padding inside flow lists: `[reflink, copy]` stays as `mlp init` (and people) write it.
    const text = this.doc.contents === null ? '' : this.doc.toString({ flowCollectionPadding: false });
    writeFileAtomic(this.file, text, this.mode);
  }
}

/** Converts a command-line option value to the type the option needs. */
export function parseOptionValue(option: string, value: string): unknown {
  if (option === 'port' || option === 'jobs' || option === 'timeout') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw usage(`${option} must be a positive integer, got '${value}'`, `e.g. ${option} 4`);
    return n;
  }
  if (option === 'part_size') {
    const match = /^(\d+)\s*(k|m|g)?i?b?$/i.exec(value.trim());
    if (!match) throw usage(`part_size must be a size like 64MiB, got '${value}'`, 'e.g. part_size 64MiB');
    const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
    const bytes = Number(match[1]) * unit;
    if (bytes < 5 * 1024 * 1024) throw usage('part_size must be at least 5 MiB (the S3 minimum)', 'e.g. part_size 64MiB');
    return bytes;
  }
  if (option === 'path_style') {
    if (!['true', 'false'].includes(value)) throw usage(`path_style must be true or false, got '${value}'`, 'e.g. path_style true');
    return value === 'true';
  }
  if (option === 'checksum') {
    if (!['when_supported', 'when_required'].includes(value)) {
      throw usage(`checksum must be when_supported or when_required, got '${value}'`, 'use when_required for S3-compatible stores that reject the new checksums');
    }
    return value;
  }
  return value;
}
