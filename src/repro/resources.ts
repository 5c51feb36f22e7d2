/**
 * The resource limits of a repro: how much of each resource there is (this machine's cpus and
 * memory, overridden or extended by `resources:` in the config) and what each selected stage
 * asks for. A stage that asks for more than there is, or for a pool nobody declared, is refused
 * here, before anything runs, instead of waiting forever.
 */
import os from 'node:os';
import { MlpError, PipelineError } from '../errors.js';
import { describeAmount, parseResources } from '../pipeline/resources.js';
import type { Stage } from '../pipeline/types.js';
import type { Config } from '../repo/config.js';
import type { ResourceLimits } from './scheduler.js';

/** This machine's cpus and memory, then the config's `resources:` (sizes of pools, or overrides). */
export function resourceCapacity(config: Config): Record<string, number> {
  const capacity: Record<string, number> = { cpu: os.availableParallelism(), memory: os.totalmem() };
  if (config.resources === undefined || config.resources === null) return capacity;
  const parsed = parseResources(config.resources);
  if (!parsed.ok) {
    throw new MlpError(`.mlp/config.yaml: resources: ${parsed.message}`, { hint: 'see "Configuration" in the README' });
  }
  return { ...capacity, ...parsed.amounts };
}

/** Limits for the scheduler; throws when a stage could never start. Frozen stages never run. */
export function resourceLimits(stages: readonly Stage[], capacity: Readonly<Record<string, number>>): ResourceLimits | undefined {
  const demand = new Map<string, Record<string, number>>();
  for (const stage of stages) {
    if (!stage.resources || stage.frozen) continue;
    for (const [resource, amount] of Object.entries(stage.resources)) {
      const available = capacity[resource];
      if (available === undefined) {
        throw new PipelineError(`stage '${stage.name}' asks for ${describeAmount(resource, amount)}, but no '${resource}' pool is configured`, stage.location, {
          hint: `declare how many there are in .mlp/config.yaml (or .mlp/config.local.yaml for this machine only): resources: {${resource}: N}`,
        });
      }
      if (amount > available) {
        const where = resource === 'cpu' || resource === 'memory' ? 'this machine has' : 'the configured pool has';
        throw new PipelineError(
          `stage '${stage.name}' asks for ${describeAmount(resource, amount)}, but ${where} ${describeAmount(resource, available).replace(`${resource}: `, '')}`,
          stage.location,
          { hint: `lower it, or set resources.${resource} in .mlp/config.local.yaml if mlp should assume more` },
        );
      }
    }
    demand.set(stage.name, stage.resources);
  }
  return demand.size > 0 ? { capacity, demand } : undefined;
}
