/**
 * Metrics files of the built-in stages. Both trainers write them here, from the stage module
 * (not the command), in one format: readable JSON (see json.ts) written atomically, so a pipeline
 * never hashes half a file and `mlp metrics diff` sees the same layout from every stage.
 */
import { writeFileAtomic } from '../../src/util/fs.js';
import { formatJson } from './json.js';

/** Writes `metrics` to `file` (its directory is created), replacing it in one rename. */
export function writeMetricsFile(file: string, metrics: object): void {
  writeFileAtomic(file, formatJson(metrics));
}
