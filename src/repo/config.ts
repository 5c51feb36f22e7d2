/**
 * Repository configuration: `.mlp/config.yaml` (committed) overlaid by `.mlp/config.local.yaml`
 * (never committed: credentials, key paths, machine-specific settings). Both are validated by
 * the schema in src/schema/config.ts when loaded — an unknown key, a wrong type or an unknown
 * cache type is a located error (exit 3) before any command acts on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LinkType } from '../cache/object-store.js';
import { readValidatedYaml } from '../schema/cached.js';
import { CONFIG_KIND, checkDeploySecrets, checkRemoteKinds, checkTrackingSecrets, configSchema, type ConfigFile, type ConfigSource, type DeployTargetConfig, type MonitorConfig, type TrackingConfig } from '../schema/config.js';
import { ParseCache } from '../util/parse-cache.js';

export interface Config {
  cache?: { type?: string | LinkType[] | null };
  core?: { jobs?: number; remote?: string };
  remotes?: Record<string, Record<string, unknown>>;
  /** Sizes of resource pools (validated at load; parsed by src/pipeline/resources.ts). */
  resources?: Record<string, unknown> | null;
  /** The default executor (src/executors): local unless set. */
  executor?: 'local' | 'slurm';
  /** sbatch options for every Slurm job (validated at load). */
  slurm?: Record<string, unknown>;
  /** How `${mapping}` in `cmd` becomes arguments (DVC's `parsing` section). */
  parsing?: { bool?: 'store_true' | 'boolean_optional'; list?: 'nargs' | 'append' };
  /** Where stage runs are logged (src/tracking); credentials only from config.local.yaml. */
  tracking?: TrackingConfig;
  /** Defaults of `mlp monitor`'s thresholds. */
  monitor?: MonitorConfig;
  /** Deploy targets (src/deploy); a password only from config.local.yaml. */
  deploy?: Record<string, DeployTargetConfig>;
}

/**
 * Hardlinks and symlinks share the cache object with the workspace, so writing to a checked-out
 * file in place would change the object; only reflink and copy keep them apart for any writer
 * (root ignores the read-only bit). They are therefore opt-in.
 */
export const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];

export const CONFIG_FILE = 'config.yaml';
export const LOCAL_CONFIG_FILE = 'config.local.yaml';

/** A config file's validated content (empty if it does not exist); `shown` names it in errors. */
export function readConfigFile(file: string, cache: ParseCache, shown = file): ConfigFile {
  return readValidatedYaml(cache, file, shown, configSchema, CONFIG_KIND, reviveConfig) ?? {};
}

/** Config values hold no paths or hashes that reach the filesystem: the cached form is the value. */
function reviveConfig(raw: unknown): ConfigFile {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError('invalid cached config');
  return raw as ConfigFile;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * config.local.yaml holds credentials: it is parsed on every command and never copied into the
 * persistent parse cache (.mlp/tmp/parsed.json), where a secret would outlive its removal from
 * the file. An entry left there by an older mlp is dropped.
 */
function privateCache(cache: ParseCache, abs: string): ParseCache {
  cache.forget(abs);
  return ParseCache.inMemory();
}

/** Drops keys whose value is null (`core:` with nothing under it). */
function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

export function loadConfig(mlpDir: string, cache = ParseCache.inMemory()): Config {
  const sources: ConfigSource[] = [CONFIG_FILE, LOCAL_CONFIG_FILE].map((name) => {
    const abs = path.join(mlpDir, name);
    const file = `${path.basename(mlpDir)}/${name}`;
    return { file, value: readConfigFile(abs, name === LOCAL_CONFIG_FILE ? privateCache(cache, abs) : cache, file), text: () => (fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined) };
  });
  const merged = withoutNulls(
    sources.reduce<Record<string, unknown>>((acc, s) => merge(acc, withoutNulls(s.value) as Record<string, unknown>), {}),
  ) as ConfigFile;
  checkRemoteKinds(merged, sources);
  checkTrackingSecrets(sources);
  checkDeploySecrets(sources);
  return merged as Config;
}

/** The link types of `cache.type` (validated at load), in order of preference. */
export function linkTypes(config: Config): LinkType[] {
  const raw = config.cache?.type;
  if (raw === undefined || raw === null) return [...DEFAULT_LINK_TYPES];
  return (Array.isArray(raw) ? raw : raw.split(',').map((t) => t.trim())) as LinkType[];
}
