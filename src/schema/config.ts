/**
 * `.mlp/config.yaml` and `.mlp/config.local.yaml`: every section and option mlp knows, with its
 * type. Unknown keys are refused with the list of known ones (a typo such as `jbos` must not be
 * silently ignored), and so are options that do not apply to a remote's kind.
 */
import type * as V from 'valibot';
import { integerSchema, stringSchema } from './common.js';
import { PipelineError } from '../errors.js';
import { parseResources } from '../pipeline/resources.js';
import { locate, mapOf, strictMap, type FileKind } from './located.js';
import { valibot } from './valibot.js';

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

import { REMOTE_OPTIONS, type RemoteKind } from './remote-options.js';

export { REMOTE_OPTIONS, type RemoteKind } from './remote-options.js';

/** The kind of remote a URL names (its syntax is checked when the remote is used). */
export function remoteKindOf(url: string): RemoteKind {
  if (url.startsWith('ssh://')) return 'ssh';
  if (url.startsWith('s3://')) return 's3';
  return 'local';
}

export interface ConfigFile {
  cache?: { type?: string | LinkType[] | null } | null;
  core?: { jobs?: number; remote?: string } | null;
  remotes?: Record<string, Record<string, unknown> | null | undefined> | null;
  resources?: Record<string, unknown> | null;
  /** DVC's `parsing` options: how `${mapping}` in a stage's `cmd` becomes arguments. */
  parsing?: { bool?: 'store_true' | 'boolean_optional'; list?: 'nargs' | 'append' } | null;
  /** Where every stage run is logged (src/tracking): none, MLflow or W&B. */
  tracking?: TrackingConfig | null;
  /** Thresholds of `mlp monitor` (its flags override them). */
  monitor?: MonitorConfig | null;
}

/** `monitor:` in config.yaml: the defaults of `mlp monitor`'s flags of the same names. */
export interface MonitorConfig {
  p_value?: number;
  psi?: number;
  roc_percentile?: number;
  drift_share?: number;
  permutations?: number;
  sample?: number;
  seed?: number;
}

export type TrackingBackendName = 'none' | 'mlflow' | 'wandb';
export const TRACKING_BACKENDS: readonly TrackingBackendName[] = ['none', 'mlflow', 'wandb'];

export interface TrackingConfig {
  backend?: TrackingBackendName;
  /** MLflow tracking URI, or the W&B base URL of a self-hosted server. */
  uri?: string;
  /** MLflow experiment name; W&B project. */
  experiment?: string;
  /** W&B entity (user or team). */
  entity?: string;
  /** A run that cannot be delivered fails its stage instead of waiting in the outbox. */
  required?: boolean;
  /** Seconds one request to the tracking server may take. */
  timeout?: number;
  /** Stages (names or shell-style patterns) that are never tracked. */
  exclude?: string[];
  /** Credentials: accepted in config.local.yaml only (checkTrackingSecrets). */
  token?: string;
  username?: string;
  password?: string;
  api_key?: string;
}

/** Tracking options that are credentials: never in the committed config.yaml. */
export const TRACKING_SECRETS: readonly string[] = ['token', 'username', 'password', 'api_key'];

export const CONFIG_KIND: FileKind = { hint: 'see "Configuration" and "Remotes" in the README' };

const MIN_PART_SIZE = 5 * 1024 * 1024;

let schema: V.GenericSchema<unknown, ConfigFile> | undefined;

export function configSchema(): V.GenericSchema<unknown, ConfigFile> {
  if (schema) return schema;
  const v = valibot();
  const types = LINK_TYPES.join(', ');
  const linkType = v.picklist(LINK_TYPES, (issue) => `must be one of ${types}, got ${issue.received}\ne.g. type: [reflink, copy]`);
  const cacheType = v.union(
    [
      v.pipe(
        v.string(),
        v.check(
          (s) => s.split(',').every((t) => (LINK_TYPES as readonly string[]).includes(t.trim())),
          (issue) => `must be one or more of ${types}, got ${issue.received}\ne.g. type: [reflink, copy]`,
        ),
      ),
      v.pipe(v.array(linkType), v.minLength(1, `must list at least one of ${types}\ne.g. type: [reflink, copy]`)),
    ],
    (issue) => `must be a list of link types (${types}), got ${issue.received}\ne.g. type: [reflink, copy]`,
  );
  const allOptions = [...new Set(Object.values(REMOTE_OPTIONS).flat())];
  const option = (name: string): V.GenericSchema<unknown, unknown> => {
    switch (name) {
      case 'jobs':
        return integerSchema(1, 'jobs: 8');
      case 'port':
        return v.pipe(integerSchema(1, 'port: 22'), v.maxValue(65535, (issue) => `must be a port number (1 to 65535), got ${issue.received}`));
      case 'timeout':
        return integerSchema(1, 'timeout: 20');
      case 'part_size':
        return integerSchema(MIN_PART_SIZE, 'part_size: 67108864 (or `mlp remote modify <name> part_size 64MiB`)');
      case 'path_style':
        return v.boolean((issue) => `must be true or false, got ${issue.received}`);
      case 'checksum':
        return v.picklist(['when_supported', 'when_required'], (issue) => `must be when_supported or when_required, got ${issue.received}`);
      default:
        return stringSchema();
    }
  };
  // Unknown remote options are refused by checkRemoteKinds, which knows the remote's kind (its
  // URL may be set in the other file) and so which options to list.
  const remote = v.nullish(
    v.pipe(
      mapOf(v.unknown(), 'a mapping of remote options'),
      v.looseObject(Object.fromEntries(allOptions.map((name) => [name, v.optional(option(name))]))),
    ),
  );
  return (schema = strictMap(
    {
      cache: v.nullish(strictMap({ type: v.nullish(cacheType) }, 'a mapping')),
      core: v.nullish(strictMap({ jobs: v.optional(integerSchema(1, 'jobs: 4')), remote: v.optional(stringSchema('remote: origin')) }, 'a mapping')),
      remotes: v.nullish(mapOf(remote, 'a mapping of remote names to their options')),
      parsing: v.nullish(
        strictMap(
          {
            bool: v.optional(v.picklist(['store_true', 'boolean_optional'], (issue) => `must be store_true or boolean_optional, got ${issue.received}`)),
            list: v.optional(v.picklist(['nargs', 'append'], (issue) => `must be nargs or append, got ${issue.received}`)),
          },
          'a mapping',
        ),
      ),
      tracking: v.nullish(
        strictMap(
          {
            backend: v.optional(v.picklist(TRACKING_BACKENDS, (issue) => `must be one of ${TRACKING_BACKENDS.join(', ')}, got ${issue.received}\ne.g. backend: mlflow`)),
            uri: v.optional(stringSchema('uri: http://127.0.0.1:5000')),
            experiment: v.optional(stringSchema('experiment: spam-filter')),
            entity: v.optional(stringSchema('entity: my-team')),
            required: v.optional(v.boolean((issue) => `must be true or false, got ${issue.received}`)),
            timeout: v.optional(integerSchema(1, 'timeout: 10')),
            exclude: v.optional(v.array(stringSchema('exclude: [prepare_data_text]'), (issue) => `must be a list of stage names or patterns, got ${issue.received}\ne.g. exclude: [prepare_*]`)),
            ...Object.fromEntries(TRACKING_SECRETS.map((name) => [name, v.optional(stringSchema(`${name}: ... (in config.local.yaml)`))])),
          },
          'a mapping of tracking options',
        ),
      ),
      monitor: v.nullish(
        strictMap(
          {
            p_value: v.optional(openRange(0, 1, 'p_value: 0.05')),
            psi: v.optional(openRange(0, Infinity, 'psi: 0.1')),
            roc_percentile: v.optional(openRange(0, 100, 'roc_percentile: 95')),
            drift_share: v.optional(openRange(0, 1, 'drift_share: 0.5')),
            permutations: v.optional(integerSchema(1, 'permutations: 100')),
            sample: v.optional(integerSchema(2, 'sample: 1000')),
            seed: v.optional(integerSchema(0, 'seed: 42')),
          },
          'a mapping of monitor thresholds',
        ),
      ),
      resources: v.nullish(
        v.pipe(
          mapOf(v.unknown(), 'a mapping of resource names to amounts'),
          v.rawCheck(({ dataset, addIssue }) => {
            if (!dataset.typed) return;
            for (const [name, amount] of Object.entries(dataset.value)) {
              const parsed = parseResources({ [name]: amount });
              if (!parsed.ok) {
                addIssue({
                  message: `${parsed.message}\ne.g. resources: {gpu: 2, memory: 32GB}`,
                  path: [{ type: 'object', origin: 'value', input: dataset.value, key: name, value: amount }],
                });
              }
            }
          }),
        ),
      ),
    },
    'a mapping of sections (cache, core, remotes, resources, parsing, tracking, monitor)',
  ));
}

/** A number strictly between `lo` and `hi`. */
function openRange(lo: number, hi: number, example: string): V.GenericSchema<unknown, number> {
  const v = valibot();
  const message = (issue: V.BaseIssue<unknown>): string =>
    `must be a number ${hi === Infinity ? `above ${lo}` : `between ${lo} and ${hi} (exclusive)`}, got ${issue.received}\ne.g. ${example}`;
  return v.pipe(
    v.number(message),
    v.check((n) => n > lo && n < hi, message),
  );
}

/** A config file as read, for locating problems found after the files are merged. */
export interface ConfigSource {
  /** As shown in messages: `.mlp/config.yaml`. */
  file: string;
  /** Its text, read again only when there is an error to locate. */
  text: () => string | undefined;
  value: ConfigFile;
}

/**
 * Checks what only the merged configuration shows: each remote's options must be ones its kind
 * (from its URL, wherever that is set) accepts — any kind's, while it has no URL. The error
 * points at the option in the file that sets it (config.local.yaml overrides config.yaml, so it
 * is looked at first) and lists the options that kind takes.
 */
export function checkRemoteKinds(merged: ConfigFile, sources: readonly ConfigSource[]): void {
  const anyKind = [...new Set(Object.values(REMOTE_OPTIONS).flat())];
  for (const [name, options] of Object.entries(merged.remotes ?? {})) {
    if (!options) continue;
    const url = typeof options.url === 'string' ? options.url : undefined;
    const kind = url === undefined ? undefined : remoteKindOf(url);
    const allowed = kind === undefined ? anyKind : REMOTE_OPTIONS[kind];
    const described = kind === undefined ? 'a remote' : kind === 'local' ? 'a local remote' : `an ${kind === 'ssh' ? 'SSH' : 'S3'} remote`;
    for (const option of Object.keys(options)) {
      if (allowed.includes(option)) continue;
      const source = [...sources].reverse().find((s) => s.value.remotes?.[name] && option in (s.value.remotes[name] ?? {}));
      const keys = ['remotes', name, option];
      const text = source?.text();
      const at = source && text !== undefined ? locate(text, source.file, keys, 'key') : undefined;
      const otherKind = anyKind.includes(option) ? `: ${described} (${url ?? ''}) has no such option` : '';
      throw new PipelineError(`unknown key '${option}' in remotes.${name}${otherKind}`, { file: source?.file, line: at?.line, column: at?.column }, {
        hint: `known keys for ${described}: ${allowed.join(', ')}`,
      });
    }
  }
}

/**
 * Tracking credentials live in the environment or in config.local.yaml, never in the committed
 * config.yaml: one found there is an error that points at it (and says where it belongs).
 */
export function checkTrackingSecrets(sources: readonly ConfigSource[]): void {
  for (const source of sources) {
    if (!source.file.endsWith('config.yaml') || source.file.endsWith('.local.yaml')) continue;
    for (const option of TRACKING_SECRETS) {
      if (source.value.tracking?.[option as keyof TrackingConfig] === undefined) continue;
      const text = source.text();
      const at = text === undefined ? undefined : locate(text, source.file, ['tracking', option], 'key');
      throw new PipelineError(`tracking.${option} is a credential and may not be in the committed ${source.file}`, { file: source.file, line: at?.line, column: at?.column }, {
        hint: `move it to .mlp/config.local.yaml (never committed), or use the environment (${option === 'api_key' ? 'WANDB_API_KEY' : `MLFLOW_TRACKING_${option.toUpperCase()}`})`,
      });
    }
  }
}
