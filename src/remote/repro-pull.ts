/**
 * `mlp repro --pull`: before running, fetch what the selected stages need from the remote — the
 * tracked data their deps come from and the outputs their lock entries record — and check out
 * whatever is absent from the workspace, so that up-to-date stages stay up to date instead of
 * rerunning. Data the remote lacks is not an error: the stages rebuild it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildDag } from '../pipeline/dag.js';
import { selectTargetStages } from '../pipeline/targets.js';
import type { Repo } from '../repo/repo.js';
import { isSameOrInside } from '../util/fs.js';
import type { RemoteBackend } from './backend.js';
import type { RecordedPath } from '../lock/recorded-path.js';
import { fetch, type TransferOptions, type TransferSummary } from './transfer.js';

export async function pullForRepro(
  repo: Repo,
  backend: RemoteBackend,
  targets: readonly string[],
  single: boolean,
  options: TransferOptions = {},
): Promise<{ summary: TransferSummary; restored: string[] }> {
  const stages = selectTargetStages(repo.pipeline, buildDag(repo.pipeline), targets, { single, tracked: () => repo.pointers() }).map((n) => repo.pipeline.stages.get(n));
  const wanted: RecordedPath[] = [];
  const deps: string[] = [];
  for (const stage of stages) {
    if (!stage) continue;
    deps.push(...stage.deps);
    const entry = repo.lock.get(stage.name);
    const declared = new Set(stage.outs.map((o) => o.path));
    for (const out of entry?.outs ?? []) if (declared.has(out.path)) wanted.push({ path: out.path, source: stage.name, info: out });
  }
  for (const p of repo.pointers()) {
    if (deps.some((d) => isSameOrInside(d, p.path) || isSameOrInside(p.path, d))) wanted.push({ path: p.path, source: p.file, info: p.info });
  }
  const summary = await fetch(repo, backend, [], { ...options, wanted, allowMissing: true });
  const restored: string[] = [];
  for (const w of wanted) {
    if (fs.existsSync(path.join(repo.root, w.path))) continue;
    try {
      if (!repo.workspace.isComplete(w.info)) continue;
      repo.workspace.checkout(w.path, w.info);
      restored.push(w.path);
    } catch {
      // Left to repro: the stage reruns.
    }
  }
  return { summary, restored };
}
