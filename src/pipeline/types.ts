/** The resolved pipeline model: what `pipeline.yaml` means after templating and validation. */
import type { RepoPath } from '../schema/repo-path.js';

export type OutKind = 'out' | 'metric' | 'plot';

export interface OutSpec {
  /** Repository-relative POSIX path. */
  path: RepoPath;
  kind: OutKind;
  /** Stored in the cache (and git-ignored); false means tracked by git. */
  cache: boolean;
  /** Kept (not deleted) before the stage runs. */
  persist: boolean;
  /** `push: false`: never sent to (nor fetched from) a remote. Set only when false. */
  push?: false;
  /** The remote this output goes to instead of the default one. */
  remote?: string;
  /** DVC's annotations (`desc`, `type`, `labels`, `meta`): recorded, not interpreted. */
  annotations?: OutAnnotations;
  /** How a `plots` entry is drawn (`x`, `y`, `title`, `template`, …): recorded for plot tools. */
  plot?: PlotProps;
}

export interface OutAnnotations {
  desc?: string;
  type?: string;
  labels?: string[];
  meta?: unknown;
}

export interface PlotProps {
  x?: string;
  y?: string;
  x_label?: string;
  y_label?: string;
  title?: string;
  template?: string;
}

/**
 * A named plot of the top-level `plots:` section. `x`/`y` are a field name, a list of them, or
 * a mapping from data file to field(s) (plots across files); an entry that is just a path is a
 * plot of that file with `y` unset.
 */
export interface TopLevelPlot {
  id: string;
  x?: string | Record<string, string>;
  y?: string | string[] | Record<string, string | string[]>;
  x_label?: string;
  y_label?: string;
  title?: string;
  template?: string;
}

export interface Artifact {
  path: string;
  type?: string;
  desc?: string;
  labels?: string[];
  meta?: unknown;
}

export interface ParamsSpec {
  /** Repository-relative params file (YAML or JSON). */
  file: RepoPath;
  /** Dotted keys; empty means every top-level key of the file. */
  keys: string[];
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** Where a stage's commands run: this machine, or a Slurm cluster (src/executors). */
export type ExecutorName = 'local' | 'slurm';
export const EXECUTOR_NAMES: readonly ExecutorName[] = ['local', 'slurm'];

export interface Stage {
  name: string;
  /** Commands run in order through the shell; the first failure stops the stage. */
  cmd: string[];
  /** Working directory, repository-relative ('.' for the root). */
  wdir: string;
  /** Repository-relative paths. */
  deps: RepoPath[];
  outs: OutSpec[];
  params: ParamsSpec[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc: string | undefined;
  env: Record<string, string>;
  /**
   * What the stage holds while it runs (`cpu`, `memory` in bytes, named pools); `repro` never
   * runs stages together that need more than there is. Undefined: only `-j` limits it.
   */
  resources?: Record<string, number>;
  /** `resources: {time: 2h}`: the longest the stage may run, in seconds (a cluster's job time limit). */
  time?: number;
  /** `executor:` where the commands run; undefined: the run's default (`--executor`, the config, local). */
  executor?: ExecutorName;
  /** `slurm:` extra sbatch options (validated names; values are passed as arguments, never to a shell). */
  slurm?: Record<string, string | number | boolean>;
  /** `retries:` how often a job the cluster ended (node failure, preemption, time limit) is resubmitted. */
  retries?: number;
  location: SourceLocation;
}

export interface Pipeline {
  /** Absolute repository root. */
  root: string;
  /** Repository-relative path of the root pipeline file (`pipeline.yaml`). */
  file: string;
  /**
   * Every pipeline file loaded, repository-relative: the root one first (when it exists), then
   * those in subdirectories, sorted. Stages of `sub/pipeline.yaml` are addressed
   * `sub/pipeline.yaml:name` (address.ts).
   */
  files: string[];
  /** Stages in declaration order. */
  stages: Map<string, Stage>;
  /** True when no pipeline file exists (a repository that only tracks data with `mlp add`). */
  missing?: boolean;
  /** The top-level sections besides `stages` (DVC 3's dvc.yaml); absent when none is written. */
  sections?: PipelineSections;
}

export interface PipelineSections {
  /** Top-level `metrics:`: metrics files no stage produces, read by `metrics show/diff`. */
  metrics: RepoPath[];
  /** Top-level `params:`: params files read by `params diff` (every key). */
  params: RepoPath[];
  plots: TopLevelPlot[];
  artifacts: Record<string, Artifact>;
  /** `datasets:` entries, kept as written (mlp has no dataset registry). */
  datasets: unknown[];
}
