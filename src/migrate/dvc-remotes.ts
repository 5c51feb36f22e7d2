/**
 * `.dvc/config` (and `.dvc/config.local`) remotes → mlp remotes, through the rules of
 * src/remote/remote-config.ts: the URL must parse as an mlp remote URL, each option is mapped to
 * mlp's name for it, and secrets (and key paths, which are machine-specific) go to
 * `.mlp/config.local.yaml`, never to the committed config.yaml. What has no mlp equivalent is
 * named in a warning, not silently dropped.
 */
import path from 'node:path';
import { MlpError } from '../errors.js';
import { parseRemoteUrl, type ConfigFileEditor } from '../remote/remote-config.js';
import { REMOTE_OPTIONS, SECRET_OPTIONS, type RemoteKind } from '../schema/remote-options.js';
import { remoteSectionName, type DvcConfig } from '../schema/dvc.js';

/** DVC option → mlp option, by kind. */
const OPTION_NAMES: Record<RemoteKind, Record<string, string>> = {
  local: {},
  ssh: { user: 'user', port: 'port', keyfile: 'key_file', password: 'password', timeout: 'timeout' },
  s3: { endpointurl: 'endpoint_url', region: 'region', profile: 'profile', access_key_id: 'access_key_id', secret_access_key: 'secret_access_key', session_token: 'session_token' },
};

/** Options that go to config.local.yaml: secrets, and paths of key files on this machine. */
const LOCAL_OPTIONS = new Set([...SECRET_OPTIONS, 'key_file']);

export interface PlannedRemote {
  name: string;
  url: string;
  kind: RemoteKind;
  /** For config.yaml. */
  options: Record<string, unknown>;
  /** For config.local.yaml. */
  local: Record<string, unknown>;
  /** DVC options left out, in words (said when the remote is written, not on every run). */
  dropped?: string[];
}

export interface RemotePlan {
  remotes: PlannedRemote[];
  default: string | undefined;
  warnings: string[];
}

/**
 * The mlp remotes of DVC's `config` overlaid by `configLocal`. `dvcDir` is the absolute `.dvc/`
 * directory: DVC writes a relative local remote path relative to it.
 */
export function planRemotes(config: DvcConfig, configLocal: DvcConfig, dvcDir: string, root: string, shownConfig: string): RemotePlan {
  const warnings: string[] = [];
  const merged = new Map<string, Map<string, string>>();
  for (const source of [config, configLocal]) {
    for (const [section, values] of source) {
      const target = merged.get(section) ?? new Map<string, string>();
      for (const [key, { value }] of values) target.set(key, value);
      merged.set(section, target);
    }
  }
  const remotes: PlannedRemote[] = [];
  for (const [section, values] of merged) {
    const name = remoteSectionName(section);
    if (name === undefined) continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      warnings.push(`remote '${name}' in ${shownConfig}: not a usable mlp remote name (letters, digits, '.', '_', '-'); add it with \`mlp remote add\``);
      continue;
    }
    const rawUrl = values.get('url');
    if (rawUrl === undefined) {
      warnings.push(`remote '${name}' in ${shownConfig} has no url: left out`);
      continue;
    }
    const isLocal = !/^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl);
    // DVC resolves a relative local path against the config file's directory; mlp against the repository root.
    const url = isLocal && !path.isAbsolute(rawUrl) ? path.relative(root, path.resolve(dvcDir, rawUrl)).split(path.sep).join('/') || '.' : rawUrl;
    let kind: RemoteKind;
    try {
      kind = parseRemoteUrl(url, root).kind;
    } catch (error) {
      warnings.push(`remote '${name}' (${rawUrl}): ${error instanceof MlpError ? error.message : String(error)}; mlp remotes are local directories, ssh:// and s3://: left out`);
      continue;
    }
    const planned: PlannedRemote = { name, url, kind, options: {}, local: {} };
    const unknown: string[] = [];
    for (const [key, value] of values) {
      if (key === 'url') continue;
      const option = OPTION_NAMES[kind][key];
      if (option === undefined || !REMOTE_OPTIONS[kind].includes(option)) {
        unknown.push(key);
        continue;
      }
      const typed: unknown = option === 'port' || option === 'timeout' ? Number(value) : value;
      if (typeof typed === 'number' && (!Number.isInteger(typed) || typed < 1)) {
        (planned.dropped ??= []).push(`remote '${name}': ${key} = ${value} is not a positive integer: left out`);
        continue;
      }
      (LOCAL_OPTIONS.has(option) ? planned.local : planned.options)[option] = typed;
    }
    if (unknown.length > 0) (planned.dropped ??= []).push(`remote '${name}': ${unknown.sort().join(', ')} ${unknown.length === 1 ? 'has' : 'have'} no mlp equivalent: left out`);
    remotes.push(planned);
  }
  const defaultName = merged.get('core')?.get('remote');
  return { remotes: remotes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), default: remotes.some((r) => r.name === defaultName) ? defaultName : undefined, warnings };
}

export type RemoteOutcome = 'added' | 'updated' | 'unchanged' | 'kept';

/**
 * Writes `remote` into the two config editors. A remote of the same name with another URL is
 * kept as it is (the user's mlp configuration wins); with the same URL, missing options are added.
 */
export function applyRemote(project: ConfigFileEditor, local: ConfigFileEditor, remote: PlannedRemote): RemoteOutcome {
  const existingUrl = project.get(['remotes', remote.name, 'url']) ?? local.get(['remotes', remote.name, 'url']);
  if (existingUrl !== undefined && existingUrl !== remote.url) return 'kept';
  let changed = false;
  if (existingUrl === undefined) {
    project.set(['remotes', remote.name, 'url'], remote.url);
    changed = true;
  }
  for (const [editor, options] of [
    [project, remote.options],
    [local, remote.local],
  ] as const) {
    for (const [key, value] of Object.entries(options)) {
      if (project.has(['remotes', remote.name, key]) || local.has(['remotes', remote.name, key])) continue;
      editor.set(['remotes', remote.name, key], value);
      changed = true;
    }
  }
  return existingUrl === undefined ? 'added' : changed ? 'updated' : 'unchanged';
}
