/**
 * Everything `pipeline.yaml` may contain, in one place. The loader checks keys against these
 * lists and the normalizer checks value types; both report file, line and column.
 */
export const TOP_LEVEL_KEYS = ['vars', 'stages'] as const;

export const STAGE_KEYS = [
  'cmd',
  'deps',
  'outs',
  'params',
  'metrics',
  'plots',
  'wdir',
  'frozen',
  'always_changed',
  'desc',
  'env',
  'resources',
  'meta',
] as const;

export const FOREACH_KEYS = ['foreach', 'do'] as const;
export const MATRIX_KEY = 'matrix';

export const OUT_FLAGS = ['cache', 'persist', 'desc'] as const;

/** Stage names as declared: the `@` suffix is reserved for foreach/matrix expansion. */
export const STAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const DEFAULT_PARAMS_FILE = 'params.yaml';
export const PIPELINE_FILE = 'pipeline.yaml';
export const LOCK_FILE = 'pipeline.lock';
export const POINTER_SUFFIX = '.mlp';

export function describeAllowed(keys: readonly string[]): string {
  return keys.join(', ');
}
