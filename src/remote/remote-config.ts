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

import { REMOTE_OPTIONS, SECRET_OPTIONS } from '../schema/remote-options.js';

export { REMOTE_OPTIONS, SECRET_OPTIONS, type RemoteKind } from '../schema/remote-options.js';

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
  /** What the connection is to the user, in hints ("the remote" when absent). */
  what?: string;
  /** The command that sets `option` of this connection, for hints (default: `mlp remote modify --local <name> …`). */
  settingCommand?: (option: string, placeholder: string) => string;
}

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

/** A remote's name: letters, digits, '.', '_' and '-', starting with a letter or digit (it is a YAML key and a word in commands). */
export function checkRemoteName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw usage(`invalid remote name '${name}'`, 'use letters, digits, ".", "_" and "-"');
  }
}

/** Where a config change goes: `.mlp/config.yaml` (committed) or `.mlp/config.local.yaml`. */
export function configFileName(local: boolean): string {
  return local ? LOCAL_CONFIG_FILE : CONFIG_FILE;
}

/** What the remote operations need of a repository. */
export interface ConfigScope {
  root: string;
  mlpDir: string;
  /** The merged configuration (config.yaml overlaid by config.local.yaml). */
  config: Config;
}

const notConfigured = (name: string, hint = 'see `mlp remote list`'): MlpError => usage(`remote '${name}' is not configured`, hint);

export function addRemote(scope: ConfigScope, name: string, url: string, flags: { default?: boolean; local?: boolean; force?: boolean }): RemoteLocation {
  checkRemoteName(name);
  const location = parseRemoteUrl(url, scope.root);
  if (scope.config.remotes?.[name] && !flags.force) {
    throw usage(`remote '${name}' already exists`, `pass -f to replace it, or change it with \`mlp remote modify ${name} url <url>\``);
  }
  const editor = ConfigFileEditor.for(scope.mlpDir, flags.local === true);
  editor.set(['remotes', name], { url });
  if (flags.default) editor.set(['core', 'remote'], name);
  editor.save();
  return location;
}

/** Removes remote `name` from both config files (and as the default). */
export function removeRemote(scope: ConfigScope, name: string): void {
  let found = false;
  for (const local of [false, true]) {
    const editor = ConfigFileEditor.for(scope.mlpDir, local);
    let changed = editor.delete(['remotes', name]);
    found ||= changed;
    if (editor.get(['core', 'remote']) === name) changed = editor.delete(['core', 'remote']) || changed;
    if (changed) editor.save();
  }
  if (!found) throw notConfigured(name);
}

/** Renames remote `from` to `to` in both config files, keeping its place, options and default status. */
export function renameRemote(scope: ConfigScope, from: string, to: string): void {
  checkRemoteName(to);
  if (!scope.config.remotes?.[from]) throw notConfigured(from);
  if (from !== to && scope.config.remotes?.[to]) throw usage(`remote '${to}' already exists`, `remove it first (\`mlp remote remove ${to}\`) or pick another name`);
  for (const local of [false, true]) {
    const editor = ConfigFileEditor.for(scope.mlpDir, local);
    let changed = editor.renameKey(['remotes'], from, to);
    if (editor.get(['core', 'remote']) === from) {
      editor.set(['core', 'remote'], to);
      changed = true;
    }
    if (changed) editor.save();
  }
}

export function setDefaultRemote(scope: ConfigScope, name: string, local: boolean): void {
  if (!scope.config.remotes?.[name]) throw notConfigured(name, 'add it first with `mlp remote add <name> <url>`');
  const editor = ConfigFileEditor.for(scope.mlpDir, local);
  editor.set(['core', 'remote'], name);
  editor.save();
}

export function unsetDefaultRemote(scope: ConfigScope, local: boolean): void {
  const editor = ConfigFileEditor.for(scope.mlpDir, local);
  editor.delete(['core', 'remote']);
  editor.save();
}

/**
 * Secrets never land in the committed config.yaml: a secret option may be written only to
 * config.local.yaml (unsetting it anywhere is fine).
 */
export function checkSecretPlacement(option: string, local: boolean): void {
  if (SECRET_OPTIONS.has(option) && !local) {
    throw usage(`${option} is a secret and may not go into the committed config.yaml`, 'add --local to write it to .mlp/config.local.yaml (or use the environment: AWS_*, MLP_SSH_PASSWORD)');
  }
}

export type ModifyResult = { kind: 'set'; secret: boolean } | { kind: 'unset' } | { kind: 'was-not-set' };

/** Sets (or with `unset` removes) `option` of remote `name`, after checking it fits the remote's kind and the secrets rule. */
export function modifyRemote(scope: ConfigScope, name: string, option: string, value: string | undefined, flags: { local?: boolean; unset?: boolean }): ModifyResult {
  const existing = scope.config.remotes?.[name];
  if (!existing) throw notConfigured(name);
  const kind = parseRemoteUrl(option === 'url' && value ? value : String(existing.url ?? ''), scope.root).kind;
  if (!REMOTE_OPTIONS[kind].includes(option)) {
    throw usage(`unknown option '${option}' for ${kind} remote '${name}'`, `options: ${REMOTE_OPTIONS[kind].join(', ')}`);
  }
  const local = flags.local === true;
  const editor = ConfigFileEditor.for(scope.mlpDir, local);
  if (flags.unset) {
    const removed = editor.delete(['remotes', name, option]);
    editor.save();
    return removed ? { kind: 'unset' } : { kind: 'was-not-set' };
  }
  checkSecretPlacement(option, local);
  if (value === undefined) throw usage(`no value given for ${option}`, `mlp remote modify ${name} ${option} <value>`);
  editor.set(['remotes', name, option], parseOptionValue(option, value));
  editor.save();
  return { kind: 'set', secret: SECRET_OPTIONS.has(option) };
}

/** Reads and edits one config file, keeping its comments and layout. */
export class ConfigFileEditor {
  private readonly doc: ReturnType<ReturnType<typeof yaml>['parseDocument']>;
  /** The serializer options that reproduce the file as the user wrote it (see `layoutOf`). */
  private readonly layout: Record<string, unknown>;
  private readonly original: string;

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
    this.original = text;
    this.layout = layoutOf(this.doc, text);
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

  /** Renames key `from` of the mapping at `keys` to `to`, in place (its value, comments and position stay). */
  renameKey(keys: string[], from: string, to: string): boolean {
    const map = this.doc.getIn(keys, true) as { items?: { key: unknown }[] } | undefined;
    for (const pair of map?.items ?? []) {
      const key = pair.key as { value?: unknown } | string | undefined;
      if (key === from) {
        pair.key = to;
        return true;
      }
      if (key && typeof key === 'object' && key.value === from) {
        key.value = to;
        return true;
      }
    }
    return false;
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
    const text = this.doc.contents === null ? '' : keepOriginalLines(this.original, this.doc.toString(this.layout));
    writeFileAtomic(this.file, text, this.mode);
  }
}

/**
 * The yaml serializer re-emits the whole document, so its defaults would restyle what the user
 * wrote (`[reflink, copy]` became `[ reflink, copy ]`). Of the options that decide such style,
 * take those under which the unchanged document prints back exactly as it was read.
 */
function layoutOf(doc: { toString(options?: Record<string, unknown>): string; contents: unknown }, text: string): Record<string, unknown> {
  const candidates: Record<string, unknown>[] = [];
  for (const flowCollectionPadding of [false, true]) for (const indentSeq of [true, false]) candidates.push({ flowCollectionPadding, indentSeq });
  if (doc.contents === null) return candidates[0] as Record<string, unknown>;
  for (const options of candidates) if (keepOriginalLines(text, doc.toString(options)) === text) return options;
  // No exact match (hand-made spacing): the style most of the file uses.
  return { flowCollectionPadding: /[[{] +[^\s\]}]/.test(text), indentSeq: !/^(\s*)[\w"'-]+:\s*\n\1- /m.test(text) };
}

/**
 * The serializer also normalises spacing inside lines (`x  # note` becomes `x # note`, trailing
 * blanks go): an emitted line that differs from a line of the original only there is replaced by
 * the original. Lines with quotes are left alone (spacing inside a quoted string is its value).
 */
function keepOriginalLines(original: string, emitted: string): string {
  const key = (line: string): string => {
    const trimmed = line.trimEnd();
    const comment = /^([^'"#]*?\S)\s+(#.*)$/.exec(trimmed);
    return comment ? `${comment[1]} ${comment[2]}` : trimmed;
  };
  const byKey = new Map<string, string>();
  for (const line of original.split('\n')) if (!/['"]/.test(line) && !byKey.has(key(line))) byKey.set(key(line), line);
  return emitted
    .split('\n')
    .map((line) => byKey.get(key(line)) ?? line)
    .join('\n');
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
