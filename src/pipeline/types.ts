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
  location: SourceLocation;
}

export interface Pipeline {
  /** Absolute repository root. */
  root: string;
  /** Repository-relative path of the pipeline file. */
  file: string;
  /** Stages in declaration order. */
  stages: Map<string, Stage>;
  /** True when the pipeline file does not exist (a repository that only tracks data with `mlp add`). */
  missing?: boolean;
}
