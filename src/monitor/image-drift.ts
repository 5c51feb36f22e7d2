/**
 * Drift of image inputs (the CIFAR-10 CNN's 32×32 RGB images, channels last):
 * - the mean intensity of each channel of each image (KS, one test per channel);
 * - the maximum mean discrepancy between the CNN's penultimate-layer embeddings of the two sides,
 *   RBF kernel with the median heuristic, permutation p-value (alibi-detect's `MMDDrift`). The
 *   embeddings are the model's own outputs, so their reference is the held-out split when there is
 *   one (on training images a network's features are tighter than on any other image).
 */
import { Random } from '../../stages/common/random.js';
import { PIXELS_PER_IMAGE } from '../../stages/cifar10/cifar-format.js';
import { pValueTest, type DriftTest, type Thresholds } from './report.js';
import { ksTwoSample, mmdPermutationTest } from './statistics.js';
import type { Distribution } from './distributions.js';

const CHANNEL_NAMES = ['red', 'green', 'blue'] as const;

/** The MMD compares at most this many rows a side: its cost grows with the square of the rows. */
export const MMD_MAX_ROWS = 500;

/** Mean intensity (0–255) of channel c of each image. */
export function channelMeans(images: Uint8Array, count: number, channel: number): number[] {
  const means = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    const base = i * PIXELS_PER_IMAGE;
    for (let p = channel; p < PIXELS_PER_IMAGE; p += 3) sum += images[base + p]!;
    means[i] = sum / (PIXELS_PER_IMAGE / 3);
  }
  return means;
}

export function intensityDrift(reference: Uint8Array, refCount: number, current: Uint8Array, curCount: number, thresholds: Thresholds): { tests: DriftTest[]; distributions: Distribution[] } {
  const tests: DriftTest[] = [];
  const distributions: Distribution[] = [];
  CHANNEL_NAMES.forEach((name, c) => {
    const ref = channelMeans(reference, refCount, c);
    const cur = channelMeans(current, curCount, c);
    tests.push(pValueTest(`image.intensity.${name}`, 'ks', ksTwoSample(ref, cur), thresholds.pValue));
    distributions.push({ test: `image.intensity.${name}`, kind: 'numeric', label: `mean ${name} intensity (0–255)`, reference: ref, current: cur });
  });
  return { tests, distributions };
}

export function embeddingDrift(
  reference: Float32Array,
  current: Float32Array,
  dimension: number,
  thresholds: Thresholds,
): { tests: DriftTest[]; distributions: Distribution[] } {
  const random = new Random(thresholds.seed + 2);
  const x = sampleRows(reference, dimension, MMD_MAX_ROWS, random);
  const y = sampleRows(current, dimension, MMD_MAX_ROWS, random);
  const result = mmdPermutationTest(x, y, dimension, { permutations: thresholds.permutations, random: random.next });
  return {
    tests: [pValueTest('image.embedding', 'mmd', result, thresholds.pValue)],
    distributions: [{ test: 'image.embedding', kind: 'null', label: 'MMD²', observed: result.statistic, samples: Array.from(result.permuted) }],
  };
}

/** At most `max` rows (a seeded sample), as float64. */
function sampleRows(rows: Float32Array, dimension: number, max: number, random: Random): Float64Array {
  const count = rows.length / dimension;
  if (count <= max) return Float64Array.from(rows);
  const pick = random.permutation(count).subarray(0, max);
  const out = new Float64Array(max * dimension);
  pick.forEach((row, k) => out.set(rows.subarray(row * dimension, (row + 1) * dimension), k * dimension));
  return out;
}
