/** How `checkout`, `pull` and the post-checkout hook report paths they left alone to keep unsaved work. */
import type { CheckoutItem } from '../data/checkout-workspace.js';
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
  const add = [...new Set(kept.filter((i) => i.source.endsWith(POINTER_SUFFIX)).map((i) => i.path))];
  const commit = [...new Set(kept.filter((i) => !i.source.endsWith(POINTER_SUFFIX)).map((i) => i.source))];
  const keep = [...(add.length ? [`\`mlp add ${add.join(' ')}\``] : []), ...(commit.length ? [`\`mlp commit ${commit.join(' ')}\``] : [])];
  lines.push(`hint: to keep them, record them with ${keep.join(' and ')}; to discard them, run \`${discard}\``);
  return lines;
}
