/**
 * `.mlp/config.yaml` and `.mlp/config.local.yaml`: every section and option mlp knows, with its
 * type. Unknown keys are refused with the list of known ones (a typo such as `jbos` must not be
 * silently ignored), and so are options that do not apply to a remote's kind.
 */
import type * as V from 'valibot';
import { integerSchema, stringSchema } from './common.js';
import { PipelineError } from '../errors.js';
import { parseResources, parseSize } from '../pipeline/resources.js';
import { parseSlurmOptions } from '../executors/slurm/options.js';
import { locate, mapOf, strictMap, type FileKind } from './located.js';
import { valibot } from './valibot.js';

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

import { DEPLOY_OPTIONS, REMOTE_OPTIONS, SECRET_OPTIONS, type RemoteKind } from './remote-options.js';

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
  /** Where stages run unless they say (`executor:` in pipeline.yaml) or `--executor` does: local or slurm. */
  executor?: 'local' | 'slurm' | null;
  /** sbatch options every Slurm job gets (partition, account, …); a stage's `slurm:` map wins. */
  slurm?: Record<string, unknown> | null;
  /** DVC's `parsing` options: how `${mapping}` in a stage's `cmd` becomes arguments. */
  parsing?: { bool?: 'store_true' | 'boolean_optional'; list?: 'nargs' | 'append' } | null;
  /** Where every stage run is logged (src/tracking): none, MLflow or W&B. */
  tracking?: TrackingConfig | null;
  /** Thresholds of `mlp monitor` (its flags override them). */
  monitor?: MonitorConfig | null;
  /** Hosts `mlp deploy` rolls models out to (src/deploy), by name. */
  deploy?: Record<string, DeployTargetConfig | null | undefined> | null;
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

/** A deploy target: an SSH host (the SSH remote's options) and how the model runs there. */
export interface DeployTargetConfig {
  url?: string;
  user?: string;
  port?: number;
  key_file?: string;
  known_hosts?: string;
  /** A credential: accepted in config.local.yaml only (checkDeploySecrets). */
  password?: string;
  password_env?: string;
  timeout?: number;
  /** Address and port `mlp serve` (or the container) listens on, on the host. */
  http_host?: string;
  http_port?: number;
  /** Versions kept on the host (the live one included). */
  keep?: number;
  /** The command that runs mlp on the host (process mode), e.g. `/opt/mlp/bin/mlp`. */
  mlp?: string;
  /** Seconds a new version has to answer /ready and /health. */
  health_timeout?: number;
  /** What `mlp deploy <name>` deploys when neither --model nor --image is given. */
  model?: string;
  image?: string;
  /** Inference threads of `mlp serve` on the host. */
  workers?: number;
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
  /**
   * Outputs up to this size (`50MB`, or bytes) are uploaded as artifacts; larger ones, and all
   * of them without it, are logged as a reference to their sha256 in mlp's cache.
   */
  artifacts?: string | number;
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
            artifacts: v.optional(
              v.pipe(
                v.union([v.string(), v.number()], (issue) => `must be a size such as 50MB, got ${issue.received}\ne.g. artifacts: 50MB`),
                v.check((value) => parseSize(value) !== undefined, (issue) => `must be a size such as 50MB or a number of bytes, got ${JSON.stringify(issue.input)}\ne.g. artifacts: 50MB`),
              ),
            ),
            ...Object.fromEntries(TRACKING_SECRETS.map((name) => [name, v.optional(stringSchema(`${name}: ... (in config.local.yaml)`))])),
          },
          'a mapping of tracking options',
        ),
      ),
      executor: v.nullish(v.picklist(['local', 'slurm'], (issue) => `must be local or slurm, got ${issue.received}\ne.g. executor: slurm`)),
      slurm: v.nullish(
        v.pipe(
          mapOf(v.unknown(), 'a mapping of sbatch option names to values'),
          v.rawCheck(({ dataset, addIssue }) => {
            if (!dataset.typed) return;
            for (const [name, value] of Object.entries(dataset.value)) {
              const parsed = parseSlurmOptions({ [name]: value });
              if (!parsed.ok) {
                addIssue({
                  message: `${parsed.message}\ne.g. slurm: {partition: gpu, account: ml-team}`,
                  path: [{ type: 'object', origin: 'value', input: dataset.value, key: name, value }],
                });
              }
            }
          }),
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
      deploy: v.nullish(mapOf(v.nullish(deployTarget()), 'a mapping of deploy target names to their options')),
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
    'a mapping of sections (cache, core, remotes, resources, executor, slurm, parsing, tracking, monitor, deploy)',
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

function deployTarget(): V.GenericSchema<unknown, DeployTargetConfig> {
  const v = valibot();
  const port = (example: string): V.GenericSchema<unknown, number> =>
    v.pipe(integerSchema(1, example), v.maxValue(65535, (issue) => `must be a port number (1 to 65535), got ${issue.received}`));
  const entries: Record<string, V.GenericSchema<unknown, unknown>> = {
    url: v.pipe(
      stringSchema('url: ssh://deploy@model-host/srv/mlp/spam'),
      v.check((s) => s.startsWith('ssh://'), (issue) => `must be an SSH URL, got ${String(issue.input)}\ne.g. url: ssh://deploy@model-host/srv/mlp/spam`),
    ),
    port: port('port: 22'),
    timeout: integerSchema(1, 'timeout: 20'),
    http_host: stringSchema('http_host: 0.0.0.0'),
    http_port: port('http_port: 8080'),
    keep: integerSchema(1, 'keep: 3'),
    mlp: stringSchema('mlp: /opt/mlp/bin/mlp'),
    health_timeout: integerSchema(1, 'health_timeout: 60'),
    model: stringSchema('model: models/text'),
    image: stringSchema('image: registry.example.com/spam:latest'),
    workers: v.pipe(v.number((issue) => `must be a whole number, got ${issue.received}`), v.integer(), v.minValue(0)),
  };
  return strictMap(
    Object.fromEntries(DEPLOY_OPTIONS.map((name) => [name, v.optional(entries[name] ?? stringSchema())])),
    'a mapping of deploy target options',
  ) as V.GenericSchema<unknown, DeployTargetConfig>;
}

/**
 * Deploy targets follow the remotes' rule: a password (or any secret option) only in
 * config.local.yaml, never in the committed config.yaml.
 */
export function checkDeploySecrets(sources: readonly ConfigSource[]): void {
  for (const source of sources) {
    if (!source.file.endsWith('config.yaml') || source.file.endsWith('.local.yaml')) continue;
    for (const [name, target] of Object.entries(source.value.deploy ?? {})) {
      for (const option of Object.keys(target ?? {})) {
        if (!SECRET_OPTIONS.has(option)) continue;
        const text = source.text();
        const at = text === undefined ? undefined : locate(text, source.file, ['deploy', name, option], 'key');
        throw new PipelineError(`deploy.${name}.${option} is a secret and may not be in the committed ${source.file}`, { file: source.file, line: at?.line, column: at?.column }, {
          hint: 'move it to .mlp/config.local.yaml (never committed), or set it in the environment ($MLP_SSH_PASSWORD, or the variable named by password_env)',
        });
      }
    }
  }
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
