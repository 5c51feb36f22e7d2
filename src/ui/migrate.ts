/** The summary of `mlp migrate`: one line per file, the cache import, what was left out, what to do next. */
import type { MigrationReport, MigrationStep } from '../migrate/migrate.js';
import { plural } from './plural.js';
import { describeReason } from './reasons.js';
import { formatBytes } from './render.js';

const WORDS: Record<MigrationStep['action'], [done: string, dry: string]> = {
  write: ['wrote', 'would write'],
  import: ['imported', 'would import'],
  unchanged: ['unchanged', 'unchanged'],
  kept: ['kept', 'would keep'],
  skipped: ['skipped', 'would skip'],
  remove: ['removed', 'would remove'],
  'add-remote': ['added', 'would add'],
  'update-remote': ['updated', 'would update'],
};

export function renderMigration(report: MigrationReport): string {
  const lines: string[] = [];
  const dry = report.dryRun;
  const word = (action: MigrationStep['action']): string => WORDS[action][dry ? 1 : 0];
  const shown = report.changes === 0 ? report.steps.filter((s) => s.action === 'kept' || s.action === 'skipped') : report.steps.filter((s) => s.action !== 'unchanged');
  const width = Math.max(0, ...shown.map((s) => word(s.action).length));
  const targetWidth = Math.max(0, ...shown.map((s) => s.target.length));
  const c = report.cache;
  const detail = (s: MigrationStep): string =>
    s.action === 'import' && c
      ? `${plural(c.imported, 'object')} (${formatBytes(c.bytes)}), re-hashed to sha256, each checked against its md5${c.present > 0 ? `; ${c.present} already there` : ''}`
      : s.detail;
  for (const s of shown) lines.push(`  ${word(s.action).padEnd(width)}  ${s.target.padEnd(targetWidth)}  ${detail(s)}`);
  for (const left of report.leftOut) lines.push(`  left out  ${left.lock}: stage '${left.stage}' will rerun: ${left.reason}`);
  for (const stale of report.wouldRerun) lines.push(`  stale     stage '${stale.stage}' is recorded but would rerun: ${stale.reasons.map(describeReason).join('; ')}`);
  let head: string;
  if (report.changes === 0) head = 'Nothing to do: the DVC project is already migrated.';
  else if (dry) head = `Dry run: ${plural(report.changes, 'change')} would be made in ${report.root} (nothing was written).`;
  else head = `Migrated the DVC project in ${report.root}: ${plural(report.changes, 'change')}.`;
  const out = [head, ...lines];
  if (report.changes > 0 && !dry) {
    out.push(
      'Next: `mlp status` (should say up to date), commit the new files (pipeline.yaml, pipeline.lock, *.mlp, .mlp/config.yaml, .mlpignore),',
      '      and `mlp push` to fill the remote: mlp stores objects by sha256, next to DVC\'s md5 ones.',
    );
    if (!report.steps.some((s) => s.action === 'remove')) out.push('      The DVC files are left in place; `mlp migrate --remove-dvc` removes them.');
  }
  return `${out.join('\n')}\n`;
}
