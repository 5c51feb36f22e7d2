/**
 * `mlp config`: get, set, unset and list settings like `git config`. Files are edited through the
 * yaml Document API (comments and layout kept) and every change is checked by the config schema
 * (src/schema/config.ts) before it is kept: a file that would not load is never left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { ConfigFileEditor, SECRET_OPTIONS } from '../remote/remote-config.js';
import { TRACKING_SECRETS } from '../schema/config.js';
import { writeFileAtomic } from '../util/fs.js';
import { yaml } from '../util/yaml.js';
import { CONFIG_FILE, LOCAL_CONFIG_FILE, loadConfig } from './config.js';

/** Which file: `project` is the committed config.yaml, `local` config.local.yaml; `merged` both (reads only). */
export type ConfigScope = 'project' | 'local' | 'merged';

export interface ConfigEntry {
  key: string;
  value: unknown;
}

/**
 * `core.jobs` → ['core', 'jobs']. DVC's `remote.<name>.<option>` is accepted for
 * `remotes.<name>.<option>`, so that keys users know from `dvc config` work.
 */
export function configKey(key: string): string[] {
  const parts = key.split('.');
  if (parts.length < 2 || parts.some((p) => p === '')) {
    throw new MlpError(`'${key}' is not a config key`, { hint: 'keys are section.name, e.g. core.jobs, cache.type, remotes.origin.url', exitCode: ExitCode.usage });
  }
  if (parts[0] === 'remote') parts[0] = 'remotes';
  return parts;
}

function fileOf(mlpDir: string, scope: 'project' | 'local'): string {
  return path.join(mlpDir, scope === 'local' ? LOCAL_CONFIG_FILE : CONFIG_FILE);
}

function readScope(mlpDir: string, scope: ConfigScope): Record<string, unknown> {
  if (scope === 'merged') return loadConfig(mlpDir) as Record<string, unknown>;
  return (ConfigFileEditor.for(mlpDir, scope === 'local').get([]) as Record<string, unknown> | undefined) ?? {};
}

export function configGet(mlpDir: string, key: string, scope: ConfigScope = 'merged'): unknown {
  let value: unknown = readScope(mlpDir, scope);
  for (const part of configKey(key)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value ?? undefined;
}

/** Every set value as dotted keys, sorted (the values of sections flattened, lists kept whole). */
export function configList(mlpDir: string, scope: ConfigScope = 'merged'): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const walk = (value: unknown, prefix: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else if (value !== null && value !== undefined && prefix) entries.push({ key: prefix, value });
  };
  walk(readScope(mlpDir, scope), '');
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Whether a key holds a credential (never written to the committed config.yaml). */
export function isSecretKey(key: string): boolean {
  const parts = configKey(key);
  if (parts[0] === 'tracking') return parts.length === 2 && TRACKING_SECRETS.includes(parts[1] as string);
  return parts[0] === 'remotes' && SECRET_OPTIONS.has(parts[parts.length - 1] as string);
}

/**
 * Sets `key` to `text` read as a YAML value (`4` is a number, `true` a boolean, `[reflink, copy]`
 * a list, anything else a string). Returns the value written and the file.
 */
export function configSet(mlpDir: string, key: string, text: string, scope: 'project' | 'local' = 'project'): { file: string; value: unknown } {
  const keys = configKey(key);
  if (scope === 'project' && isSecretKey(key)) {
    throw new MlpError(`${key} is a secret and may not go into the committed ${CONFIG_FILE}`, {
      hint: `set it with --local (it goes to .mlp/${LOCAL_CONFIG_FILE}, which git ignores)`,
      exitCode: ExitCode.usage,
    });
  }
  let value: unknown;
  try {
    value = yaml().parse(text) as unknown;
  } catch {
    value = text;
  }
  if (value === null || value === undefined) value = text;
  return { file: edit(mlpDir, scope, key, (editor) => editor.set(keys, value)), value };
}

/** Removes `key`; false when it was not set in that file. */
export function configUnset(mlpDir: string, key: string, scope: 'project' | 'local' = 'project'): boolean {
  const keys = configKey(key);
  let removed = false;
  edit(mlpDir, scope, key, (editor) => (removed = editor.delete(keys)));
  return removed;
}

/** Applies `change`, then loads the whole configuration; a change that does not load is undone. */
function edit(mlpDir: string, scope: 'project' | 'local', key: string, change: (editor: ConfigFileEditor) => void): string {
  const file = fileOf(mlpDir, scope);
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const editor = ConfigFileEditor.for(mlpDir, scope === 'local');
  change(editor);
  editor.save();
  try {
    loadConfig(mlpDir);
  } catch (error) {
    if (before === undefined) fs.rmSync(file, { force: true });
    else writeFileAtomic(file, before, scope === 'local' ? 0o600 : undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MlpError(`cannot set ${key}: ${reason}`, {
      hint: error instanceof MlpError && error.hint ? error.hint : 'see "Configuration" in the README',
      exitCode: ExitCode.usage,
    });
  }
  return `${path.basename(mlpDir)}/${path.basename(file)}`;
}
