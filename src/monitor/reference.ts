/**
 * The reference a model is compared with: the training data its lock entry points to. The stage
 * whose outputs include the model directory's hash (src/serve/source.ts) names its dependencies in
 * `pipeline.lock`; the reference is the one that holds the trainer's training split (`train.csv`
 * for text, `train.npz` for CIFAR-10), and its held-out split (`test.csv`, `test.npz`) when there
 * is one. `--reference` names a directory or file instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { Lockfile } from '../lock/lockfile.js';
import type { ModelKind } from '../serve/model.js';
import { repositoryOf } from '../serve/source.js';

export interface ReferenceLocation {
  /** The training split: a CSV of `text,label` rows, or an .npz with `x` (N, 32, 32, 3). */
  train: string;
  /** The held-out split beside it, when there is one. */
  heldOut?: string;
  /** What the lock records: the dependency's hash and the stage. */
  sha256?: string;
  stage?: string;
}

const SPLIT_FILES: Record<ModelKind, { train: string; heldOut: string; ext: string }> = {
  text: { train: 'train.csv', heldOut: 'test.csv', ext: '.csv' },
  cifar10: { train: 'train.npz', heldOut: 'test.npz', ext: '.npz' },
};

export function locateReference(modelDir: string, kind: ModelKind, modelSha256: string, override?: string): ReferenceLocation {
  const files = SPLIT_FILES[kind];
  if (override !== undefined) {
    const abs = path.resolve(override);
    if (isFile(abs)) return { train: abs };
    if (isDirectory(abs)) {
      const split = splitIn(abs, kind);
      if (split) return split;
      throw new MlpError(`--reference ${override} has no ${files.train}`, { hint: `name the directory \`mlp ${kind} prepare\` wrote, or a ${files.ext} file`, exitCode: ExitCode.usage });
    }
    throw new MlpError(`--reference ${override} does not exist`, { hint: `name the training data: the directory \`mlp ${kind} prepare\` wrote, or a ${files.ext} file`, exitCode: ExitCode.usage });
  }
  const noLineage = (why: string): MlpError =>
    new MlpError(`cannot tell which data ${modelDir} was trained on: ${why}`, {
      hint: `pass the training data with --reference <dir> (the directory \`mlp ${kind} prepare\` wrote)`,
      exitCode: ExitCode.usage,
    });
  const root = repositoryOf(path.resolve(modelDir));
  if (!root) throw noLineage('it is not inside an mlp repository');
  const lock = Lockfile.load(root);
  for (const stage of lock.names()) {
    const entry = lock.get(stage)!;
    if (!entry.outs.some((o) => o.hash === modelSha256)) continue;
    for (const dep of entry.deps) {
      const split = splitIn(path.join(root, dep.path), kind);
      if (split) return { ...split, sha256: dep.hash, stage };
    }
    throw noLineage(`stage '${stage}' produced it, but none of its dependencies (${entry.deps.map((d) => d.path).join(', ') || 'none'}) holds a ${files.train}`);
  }
  throw noLineage('no stage in pipeline.lock has it as an output (was it trained outside `mlp repro`, or changed since?)');
}

function splitIn(dir: string, kind: ModelKind): ReferenceLocation | undefined {
  const files = SPLIT_FILES[kind];
  const train = path.join(dir, files.train);
  if (!isFile(train)) return undefined;
  const heldOut = path.join(dir, files.heldOut);
  return isFile(heldOut) ? { train, heldOut } : { train };
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
