/** Removes the run's temp folder made by global-setup.js. */
import fs from 'node:fs';

export default function globalTeardown() {
  const dir = process.env.MLP_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
