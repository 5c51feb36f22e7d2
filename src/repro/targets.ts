/** Turns user-given targets (stage names, foreach/matrix group names, output paths) into stages. */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { isSameOrInside } from '../util/fs.js';
import { requirePipeline } from '../pipeline/load.js';
import type { Pipeline } from '../pipeline/types.js';

export function resolveTargets(pipeline: Pipeline, targets: readonly string[], cwd = process.cwd()): string[] {
  if (targets.length > 0) requirePipeline(pipeline);
  const names = [...pipeline.stages.keys()];
  const result: string[] = [];
  for (const target of targets) {
    if (pipeline.stages.has(target)) {
      result.push(target);
      continue;
    }
    const group = names.filter((n) => n.startsWith(`${target}@`));
    if (group.length > 0) {
      result.push(...group);
      continue;
    }
    const rel = path.relative(pipeline.root, path.resolve(cwd, target)).split(path.sep).join('/');
    const producers = [...pipeline.stages.values()].filter((s) => s.outs.some((o) => isSameOrInside(rel, o.path)));
    if (producers.length > 0) {
      result.push(...producers.map((s) => s.name));
      continue;
    }
    const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? ', …' : '');
    throw new MlpError(`unknown target '${target}': no stage of that name, and no stage outputs that path`, {
      hint: names.length > 0 ? `stages in ${pipeline.file}: ${shown}` : `${pipeline.file} defines no stages`,
      exitCode: ExitCode.usage,
    });
  }
  return [...new Set(result)];
}

/** Pointer files that could track `dep` (the dep itself or one of its parent directories). */
export function pointerCandidates(root: string, dep: string): string[] {
  const parts = dep.split('/');
  const found: string[] = [];
  for (let i = parts.length; i >= 1; i--) {
    const candidate = `${parts.slice(0, i).join('/')}.mlp`;
    if (fs.existsSync(path.join(root, candidate))) found.push(candidate);
  }
  return found;
}
