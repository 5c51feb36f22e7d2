/**
 * The shared datasets (/work/shared/datasets/README.md): real data the tests read, never copied
 * into the project. `../shared/datasets` beside the checkout, else `$MLP_TEST_DATASETS`, else
 * /work/shared/datasets. Tests that need a file skip when it is absent — CI has them all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './cli.js';

export function sharedDataset(relative: string): string | undefined {
  const roots = [process.env.MLP_TEST_DATASETS, path.resolve(PROJECT_ROOT, '..', 'shared', 'datasets'), '/work/shared/datasets'];
  for (const root of roots) {
    if (root === undefined) continue;
    const file = path.join(root, relative);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}
