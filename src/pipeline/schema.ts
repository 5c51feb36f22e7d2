/**
 * Everything `pipeline.yaml` may contain, in one place. The loader checks keys against these
 * lists and the normalizer checks value types; both report file, line and column.
 */
export const TOP_LEVEL_KEYS = ['vars', 'stages', 'plots', 'metrics', 'params', 'artifacts', 'datasets'] as const;

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
  'executor',
  'slurm',
  'retries',
  'meta',
  'vars',
] as const;

export const FOREACH_KEYS = ['foreach', 'do'] as const;
export const MATRIX_KEY = 'matrix';

/** Flags of an entry of `outs`, `metrics` and `plots` (DVC 3's dvc.yaml names). */
export const OUT_FLAGS = ['cache', 'persist', 'remote', 'push', 'desc', 'type', 'labels', 'meta'] as const;

/** What a `plots` entry may say besides the output flags: how to draw it (DVC's plot props). */
export const PLOT_PROPS = ['x', 'y', 'x_label', 'y_label', 'title', 'template'] as const;

/** Keys of a named plot in the top-level `plots:` section. */
export const TOP_PLOT_KEYS = ['x', 'y', 'x_label', 'y_label', 'title', 'template'] as const;

/** Keys of an entry of the top-level `artifacts:` section (only `path` is required). */
export const ARTIFACT_KEYS = ['path', 'type', 'desc', 'labels', 'meta'] as const;

/** DVC's artifact names: letters and digits, `-` as a separator (not first or last). */
export const ARTIFACT_NAME = /^[a-z0-9]([a-z0-9-/]*[a-z0-9])?$/;

/**
 * A dep or out written as a URL (`s3://b/f.csv`, `https://…`): DVC's external dependencies.
 * mlp refuses them rather than reading `s3://b/f.csv` as the local path `s3:/b/f.csv`.
 */
export const URL_PATH = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Stage names as declared: the `@` suffix is reserved for foreach/matrix expansion. */
export const STAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const DEFAULT_PARAMS_FILE = 'params.yaml';
export const PIPELINE_FILE = 'pipeline.yaml';
export const LOCK_FILE = 'pipeline.lock';
export const POINTER_SUFFIX = '.mlp';

export function describeAllowed(keys: readonly string[]): string {
  return keys.join(', ');
}
