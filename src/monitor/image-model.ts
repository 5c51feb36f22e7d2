/**
 * The CIFAR-10 CNN for monitoring: one forward pass gives both the class probabilities and the
 * penultimate layer's activations (the input of the `logits` layer), in batches, the inputs
 * standardised as in training (stages/cifar10/batches.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import { fillBatch } from '../../stages/cifar10/batches.js';
import { CHANNELS, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../stages/cifar10/cifar-format.js';
import { loadModel } from '../../stages/cifar10/model-io.js';
import { loadTf } from '../../stages/cifar10/tf-runtime.js';

export interface ImageOutputs {
  probabilities: Float32Array;
  embeddings: Float32Array;
  dimension: number;
}

export interface ImageModel {
  classes: readonly string[];
  run(images: Uint8Array, count: number): Promise<ImageOutputs>;
  dispose(): void;
}

const BATCH = 256;

export async function loadImageModel(dir: string): Promise<ImageModel> {
  const { tf } = await loadTf({ threads: 1 });
  const { model, metadata } = await loadModel(tf, dir);
  const penultimate = model.layers[model.layers.length - 2]!;
  const both = tf.model({ inputs: model.inputs, outputs: [penultimate.output as TF.SymbolicTensor, model.outputs[0]!] });
  const dimension = (penultimate.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
  const classes = metadata.classes;
  return {
    classes,
    async run(images, count) {
      const probabilities = new Float32Array(count * classes.length);
      const embeddings = new Float32Array(count * dimension);
      const input = new Float32Array(BATCH * PIXELS_PER_IMAGE);
      for (let start = 0; start < count; start += BATCH) {
        const n = Math.min(BATCH, count - start);
        fillBatch(images, Array.from({ length: n }, (_, k) => start + k), metadata.normalization, input);
        const [features, probs] = tf.tidy(() => {
          const [f, logits] = both.predict(tf.tensor4d(input.subarray(0, n * PIXELS_PER_IMAGE), [n, IMAGE_SIZE, IMAGE_SIZE, CHANNELS])) as TF.Tensor[];
          return [f!.reshape([n, dimension]), tf.softmax(logits as TF.Tensor2D)];
        });
        embeddings.set(features!.dataSync() as Float32Array, start * dimension);
        probabilities.set(probs!.dataSync() as Float32Array, start * classes.length);
        features!.dispose();
        probs!.dispose();
      }
      return { probabilities, embeddings, dimension };
    },
    dispose: () => model.dispose(),
  };
}
