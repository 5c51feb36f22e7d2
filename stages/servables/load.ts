/** Which built-in model a directory holds, and loading it as a `ServableModel`. */
import fs from 'node:fs';
import path from 'node:path';
import { MlpError } from '../../src/errors.js';
import type { ModelKind, ServableModel } from '../../src/serve/model.js';
import { METADATA_JSON } from '../cifar10/model-io.js';
import { MODEL_FILE } from '../text/io/model-files.js';

export function detectModelKind(dir: string): ModelKind {
  if (fs.existsSync(path.join(dir, METADATA_JSON))) return 'cifar10';
  let metadata: unknown;
  try {
    metadata = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8'));
  } catch {
    metadata = undefined;
  }
  if ((metadata as { format?: unknown } | undefined)?.format === 'mlp-text-model') return 'text';
  throw new MlpError(`${dir} is not a model directory mlp can serve`, {
    hint: 'point it at the output of `mlp text train` (model.json, vocabulary.json, weights.bin) or `mlp cifar10 train` (cifar10.json, model.json, weights.bin)',
  });
}

export async function loadServable(dir: string, kind = detectModelKind(dir)): Promise<ServableModel> {
  if (kind === 'text') return (await import('./text.js')).loadTextServable(dir) as Promise<ServableModel>;
  return (await import('./cifar10.js')).loadCifar10Servable(dir) as Promise<ServableModel>;
}
