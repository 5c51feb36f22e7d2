/** How `checkout`, `pull` and the post-checkout hook report paths they left alone to keep unsaved work. */
import type { CheckoutItem } from '../data/checkout-workspace.js';
import { ExitCode } from '../errors.js';
import { POINTER_SUFFIX } from '../pipeline/schema.js';

/** Files listed before "… and N more". */
const SHOWN = 20;

/**
 * Lines (for stderr) naming the files that were kept, how to keep them for good (record them
 * with `mlp add` / `mlp commit`), and how to discard them (`discard`, e.g. `mlp checkout --force`).
 */
export function renderUnsaved(items: readonly CheckoutItem[], discard: string): string[] {
  const kept = items.filter((i) => i.outcome === 'unsaved');
  if (kept.length === 0) return [];
  const files = kept.flatMap((i) => i.files ?? [i.path]);
  const lines = [`error: left ${files.length === 1 ? '1 file' : `${files.length} files`} as ${files.length === 1 ? 'it is' : 'they are'}: checking out would discard changes that are not saved in the cache:`];
  for (const f of files.slice(0, SHOWN)) lines.push(`  ${f}`);
  if (files.length > SHOWN) lines.push(`  … and ${files.length - SHOWN} more`);
  // Data that nothing tracks any more is kept for good by tracking it here (`mlp add`).
  const add = [...new Set(kept.filter((i) => i.untracked || i.source.endsWith(POINTER_SUFFIX)).map((i) => i.path))];
  const commit = [...new Set(kept.filter((i) => !i.untracked && !i.source.endsWith(POINTER_SUFFIX)).map((i) => i.source))];
  const keep = [...(add.length ? [`\`mlp add ${add.join(' ')}\``] : []), ...(commit.length ? [`\`mlp commit ${commit.join(' ')}\``] : [])];
  lines.push(`hint: to keep them, record them with ${keep.join(' and ')}; to discard them, run \`${discard}\``);
  return lines;
}

/** What a checkout of `items` came to: counts, the paths it could not restore, and its exit code. */
export interface CheckoutTally {
  restored: number;
  unchanged: number;
  /** Data that nothing tracks any more (tracked only on another branch), deleted. */
  removed: number;
  /** Data missing from the cache, or a failure: reported as errors. */
  problems: CheckoutItem[];
  /** Paths left alone to keep unsaved work. */
  kept: number;
  exitCode: number;
}

export function tallyCheckout(items: readonly CheckoutItem[]): CheckoutTally {
  const problems = items.filter((i) => i.outcome === 'missing' || i.outcome === 'failed');
  const kept = items.filter((i) => i.outcome === 'unsaved').length;
  return {
    restored: items.filter((i) => i.outcome === 'restored').length,
    unchanged: items.filter((i) => i.outcome === 'unchanged').length,
    removed: items.filter((i) => i.outcome === 'removed').length,
    problems,
    kept,
    exitCode: kept > 0 ? ExitCode.unsavedChanges : problems.length > 0 ? ExitCode.failure : ExitCode.ok,
  };
}

/** The stderr line after data that could not be restored. */
export const MISSING_DATA_HINT = 'hint: run `mlp pull` to fetch missing data from a remote, or `mlp repro` to rebuild it';
