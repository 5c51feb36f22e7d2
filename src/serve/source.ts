/**
 * Where a served model came from: its sha256 as `pipeline.lock` would record it (the hash of the
 * directory's manifest), and — when the directory is inside an mlp repository whose lock has an
 * output with that hash — the stage, the output path and the git commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit } from '../git/git.js';
import { hashStandalone } from '../hash/hash-path.js';
import { Lockfile } from '../lock/lockfile.js';
import { MlpError } from '../errors.js';
import type { ModelSource } from './server.js';

export function modelSource(dir: string): ModelSource {
  const abs = path.resolve(dir);
  const hash = hashStandalone(abs);
  if (!hash) throw new MlpError(`${dir} does not exist`, { hint: 'train the model first (`mlp repro`), or `mlp checkout` it from the cache' });
  const source: ModelSource = { sha256: hash.hash };
  const root = repositoryOf(abs);
  if (!root) return source;
  try {
    const lock = Lockfile.load(root);
    for (const stage of lock.names()) {
      const out = lock.get(stage)!.outs.find((o) => o.hash === hash.hash);
      if (out) {
        Object.assign(source, { stage, path: out.path });
        break;
      }
    }
  } catch {
    // An unreadable lock only means the lineage is unknown; the model itself was verified.
  }
  const head = runGit(root, ['rev-parse', 'HEAD']);
  if (head.code === 0) source.commit = head.stdout.toString('utf8').trim();
  return source;
}

/** The mlp repository (the nearest directory with `.mlp/`) holding `abs`, if any. */
export function repositoryOf(abs: string): string | undefined {
  for (let dir = abs; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.mlp'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
