/**
 * The CIFAR-10 CNN as a `ServableModel`: inputs are 32×32 RGB images (3,072 bytes, channels
 * last), from PNG/JPEG bytes (uploaded, or base64 in JSON) or a 32×32×3 array of 0–255 numbers.
 */
import type * as TF from '@tensorflow/tfjs';
import { InputRejected, type RawInput, type ServableModel } from '../../src/serve/model.js';
import { fillBatch } from '../cifar10/batches.js';
import { CHANNELS, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../cifar10/cifar-format.js';
import { decodeImage, resizeArea } from '../cifar10/image-decode.js';
import { loadModel } from '../cifar10/model-io.js';
import { loadTf } from '../cifar10/tf-runtime.js';
import { describe } from './text.js';

export async function loadCifar10Servable(dir: string): Promise<ServableModel<Uint8Array>> {
  const { tf } = await loadTf({ threads: 1 });
  const { model, metadata } = await loadModel(tf, dir);
  return {
    kind: 'cifar10',
    classes: metadata.classes,
    inputField: 'image',
    toInput: imageInput,
    async predict(inputs: Uint8Array[]): Promise<Float32Array> {
      const pixels = new Uint8Array(inputs.length * PIXELS_PER_IMAGE);
      inputs.forEach((img, i) => pixels.set(img, i * PIXELS_PER_IMAGE));
      const input = new Float32Array(inputs.length * PIXELS_PER_IMAGE);
      fillBatch(pixels, Array.from(inputs.keys()), metadata.normalization, input);
      const output = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input, [inputs.length, IMAGE_SIZE, IMAGE_SIZE, CHANNELS])) as TF.Tensor2D));
      const probabilities = output.dataSync() as Float32Array;
      output.dispose();
      return probabilities;
    },
    dispose: () => model.dispose(),
  };
}

export function imageInput(raw: RawInput): Uint8Array {
  if ('bytes' in raw) return decoded(raw.bytes, raw.name);
  const value = raw.json;
  if (typeof value === 'string') {
    const bytes = Buffer.from(value.replace(/^data:image\/[a-z]+;base64,/, ''), 'base64');
    if (bytes.length === 0) throw new InputRejected('expected a base64-encoded PNG or JPEG image, got an empty string');
    return decoded(bytes, 'the image');
  }
  if (Array.isArray(value)) return pixelArray(value);
  throw new InputRejected(`expected a base64 PNG/JPEG string or a 32×32×3 array of 0–255 values, got ${describe(value)}`);
}

function decoded(bytes: Buffer, name: string): Uint8Array {
  try {
    return resizeArea(decodeImage(bytes, name));
  } catch (error) {
    throw new InputRejected((error as Error).message);
  }
}

/** A 32×32×3 nested array (or a flat 3,072-value one) of integers 0–255, channels last. */
function pixelArray(value: unknown[]): Uint8Array {
  const flat = value.flat(2);
  if (flat.length !== PIXELS_PER_IMAGE) throw new InputRejected(`expected ${IMAGE_SIZE}×${IMAGE_SIZE}×${CHANNELS} = ${PIXELS_PER_IMAGE} pixel values, got ${flat.length}`);
  const out = new Uint8Array(PIXELS_PER_IMAGE);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 255) throw new InputRejected(`pixel ${i} is ${JSON.stringify(v)}: expected a number from 0 to 255`);
    out[i] = Math.round(v);
  }
  return out;
}
