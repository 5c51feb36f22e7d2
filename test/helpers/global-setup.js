/**
 * One temp folder per test run: every test's temp files (and the servers' state) go under it, and
 * global-teardown.js removes it, so a run leaves nothing behind even when a test forgets to clean
 * up or is killed half-way. Set before the workers start, so they inherit it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function globalSetup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-jest-'));
  process.env.MLP_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
