/**
 * Repository configuration: `.mlp/config.yaml` (committed) overlaid by `.mlp/config.local.yaml`
 * (never committed: credentials, key paths, machine-specific settings).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError, errorCode } from '../errors.js';
import { LINK_TYPES, type LinkType } from '../cache/object-store.js';
import { parseYamlText } from '../params/params-file.js';
import { ParseCache } from '../util/parse-cache.js';

export interface Config {
  cache?: { type?: string | string[] };
  core?: { jobs?: number; remote?: string };
  remotes?: Record<string, Record<string, unknown>>;
  [section: string]: unknown;
}

/**
 * Hardlinks and symlinks share the cache object with the workspace, so writing to a checked-out
 * file in place would change the object; only reflink and copy keep them apart for any writer
 * (root ignores the read-only bit). They are therefore opt-in.
 */
export const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];

export const CONFIG_FILE = 'config.yaml';
export const LOCAL_CONFIG_FILE = 'config.local.yaml';

export function readConfigFile(file: string, cache: ParseCache): Config {
  const value = cache.readYaml(file, (text) => parseYamlText(text, file));
  return checkConfig(file, value);
}

/**
 * config.local.yaml holds credentials: it is read straight from the file every time and never
 * copied into the parse cache (.mlp/tmp/parsed.json), where a secret would outlive its removal
 * and be readable by whoever can read .mlp/tmp.
 */
function readLocalConfigFile(file: string, cache: ParseCache): Config {
  cache.forget(file); // an entry written by an older mlp
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return {};
    throw error;
  }
  return checkConfig(file, parseYamlText(text, file));
}

function checkConfig(file: string, value: unknown): Config {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MlpError(`${file}: the configuration must be a mapping`, { hint: 'see "Configuration" in the README' });
  }
  return value as Config;
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

export function loadConfig(mlpDir: string, cache = ParseCache.inMemory()): Config {
  return merge(
    readConfigFile(path.join(mlpDir, CONFIG_FILE), cache) as Record<string, unknown>,
    readLocalConfigFile(path.join(mlpDir, LOCAL_CONFIG_FILE), cache) as Record<string, unknown>,
  ) as Config;
}

/**
 * Settings that are only used deep inside a command (the link types, when a stage's outputs are
 * checked out) are validated when the command starts, so that a typo stops it before anything
 * has run rather than after.
 */
export function validateConfig(config: Config): void {
  linkTypes(config);
}

export function linkTypes(config: Config): LinkType[] {
  const raw = config.cache?.type;
  if (raw === undefined) return [...DEFAULT_LINK_TYPES];
  const list = (Array.isArray(raw) ? raw : String(raw).split(',')).map((t) => String(t).trim());
  const where = `.mlp/${CONFIG_FILE} (or ${LOCAL_CONFIG_FILE})`;
  for (const t of list) {
    if (!(LINK_TYPES as readonly string[]).includes(t)) {
      throw new MlpError(`${where}: cache.type: unknown link type '${t}'`, { hint: `use one or more of ${LINK_TYPES.join(', ')}`, exitCode: ExitCode.invalidPipeline });
    }
  }
  if (list.length === 0) throw new MlpError(`${where}: cache.type is empty`, { hint: `use one or more of ${LINK_TYPES.join(', ')}`, exitCode: ExitCode.invalidPipeline });
  return list as LinkType[];
}
