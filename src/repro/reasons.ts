/** Why a stage is stale: typed reasons, rendered to text by the UI. */

export type StaleReason =
  | { kind: 'never-run' }
  | { kind: 'forced' }
  | { kind: 'always-changed' }
  /** A stage with a command and neither deps nor params (DVC's "callback stage") runs on every repro. */
  | { kind: 'no-deps' }
  | { kind: 'cmd-changed' }
  | { kind: 'dep-modified'; path: string }
  | { kind: 'dep-missing'; path: string }
  | { kind: 'dep-added'; path: string }
  | { kind: 'dep-removed'; path: string }
  | { kind: 'param-changed'; file: string; key: string; old: unknown; new: unknown }
  | { kind: 'param-added'; file: string; key: string; new: unknown }
  | { kind: 'param-removed'; file: string; key: string; old: unknown }
  /** A declared params file that does not exist (DVC: `deleted`); reported, not an error, by status and --dry. */
  | { kind: 'params-missing'; file: string }
  | { kind: 'out-missing'; path: string }
  | { kind: 'out-modified'; path: string }
  | { kind: 'out-added'; path: string }
  | { kind: 'out-removed'; path: string }
  | { kind: 'upstream-stale'; stage: string };
