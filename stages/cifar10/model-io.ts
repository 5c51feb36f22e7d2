/**
 * Saves and loads models in the TensorFlow.js layers format (`model.json` + `weights.bin`, the
 * same files `model.save('file://…')` writes with tfjs-node), plus `cifar10.json` with what
 * prediction needs besides the weights: class names and input standardisation.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { Normalization } from './batches.js';
import type { Tf } from './tf-runtime.js';
import { describeFileError, InputError } from '../common/errors.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const METADATA_JSON = 'cifar10.json';

export interface ModelMetadata {
  format: 'mlp-cifar10-model/1';
  classes: string[];
  normalization: Normalization;
  /** Everything else train records (params, timings, backend) for evaluate and humans. */
  [key: string]: unknown;
}

export class ModelError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'point --model at a directory written by `mlp cifar10 train`' });
    this.name = 'ModelError';
  }
}

export async function saveModel(tf: Tf, model: TF.LayersModel, dir: string, metadata: ModelMetadata): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const buffers = weightData === undefined ? [] : Array.isArray(weightData) ? weightData : [weightData];
      const weights = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(path.join(dir, WEIGHTS_BIN), weights);
      await writeFile(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    }),
  );
  await writeFile(path.join(dir, METADATA_JSON), `${JSON.stringify(metadata, null, 2)}\n`);
}

export async function loadModel(tf: Tf, dir: string): Promise<{ model: TF.LayersModel; metadata: ModelMetadata }> {
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[] };
  let metadata: ModelMetadata;
  try {
    json = JSON.parse(await readFile(path.join(dir, MODEL_JSON), 'utf8'));
    metadata = JSON.parse(await readFile(path.join(dir, METADATA_JSON), 'utf8'));
  } catch (error) {
    throw new ModelError(`${dir} is not a model written by \`mlp cifar10 train\` (${describeFileError(error)})`);
  }
  const specs: TF.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
  return { model, metadata };
}
