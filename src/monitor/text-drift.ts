/**
 * Drift of text inputs, three ways:
 * - a domain classifier (Evidently's `text_content_drift`): half of the pooled reference and
 *   current texts train a classifier to tell them apart — TF-IDF (`sublinear_tf`, `max_df` 0.5,
 *   English stop words, as Evidently) and mlp's own logistic regression (stages/text) — and the
 *   other half scores it. Its ROC-AUC drifts when above the 95th percentile of the ROC-AUCs of
 *   1,000 random classifiers on the same labels: what chance alone reaches on this many texts;
 * - input length in characters (KS);
 * - the out-of-vocabulary rate of each text (KS): the share of its tokens the vocabulary lacks.
 *   The vocabulary must not have seen either side, or the reference looks better than it is: it
 *   is the model's own (unigrams) against the held-out split, or, with no held-out split, one
 *   built from half of the reference against the other half.
 */
import { ExitCode, MlpError } from '../errors.js';
import { Random } from '../../stages/common/random.js';
import { createTokenizer, type Tokenizer } from '../../stages/text/features/tokenizer.js';
import { EmptyVocabularyError, fitTfidf } from '../../stages/text/features/vectorizer.js';
import { defaultTextParams, type TfidfParams } from '../../stages/text/params.js';
import { fitLogisticRegression, predictProbabilities } from '../../stages/text/solver/logistic-regression.js';
import { pValueTest, thresholdTest, type DriftTest, type Thresholds } from './report.js';
import { ksTwoSample, percentile, rocAuc } from './statistics.js';
import type { Distribution } from './distributions.js';

export interface TextDriftInput {
  reference: readonly string[];
  current: readonly string[];
  /** The model's tokenizer settings, so tokens are what the model sees. */
  tokenizer: Pick<TfidfParams, 'lowercase' | 'tokenPattern' | 'stopWords'>;
  /** The model's vocabulary (terms; n-grams contain a space) and the held-out texts it never saw, when there are some. */
  vocabulary?: { terms: readonly string[]; heldOut: readonly string[] };
  thresholds: Thresholds;
}

export function textDrift(input: TextDriftInput): { tests: DriftTest[]; distributions: Distribution[] } {
  const { reference, current, thresholds } = input;
  const tests: DriftTest[] = [];
  const distributions: Distribution[] = [];

  const domain = domainClassifier(reference, current, thresholds);
  tests.push(thresholdTest('text.domain_classifier', 'domain_classifier', domain.auc, domain.threshold));
  distributions.push({ test: 'text.domain_classifier', kind: 'null', observed: domain.auc, samples: domain.randomAucs, label: 'ROC-AUC' });

  const refLengths = reference.map((t) => t.length);
  const curLengths = current.map((t) => t.length);
  tests.push(pValueTest('text.length', 'ks', ksTwoSample(refLengths, curLengths), thresholds.pValue));
  distributions.push({ test: 'text.length', kind: 'numeric', reference: refLengths, current: curLengths, label: 'characters' });

  const tokenize = createTokenizer(input.tokenizer);
  let vocabulary: Set<string>;
  let oovReference: readonly string[];
  const unigrams = input.vocabulary?.terms.filter((t) => !t.includes(' '));
  if (input.vocabulary && unigrams && unigrams.length > 0 && input.vocabulary.heldOut.length > 0) {
    vocabulary = new Set(unigrams);
    oovReference = input.vocabulary.heldOut;
  } else {
    const order = new Random(thresholds.seed + 1).permutation(reference.length);
    const half = Math.floor(reference.length / 2);
    vocabulary = new Set(Array.from(order.subarray(0, half), (i) => tokenize(reference[i]!)).flat());
    oovReference = Array.from(order.subarray(half), (i) => reference[i]!);
  }
  const refRates = oovRates(oovReference, tokenize, vocabulary);
  const curRates = oovRates(current, tokenize, vocabulary);
  if (refRates.length > 0 && curRates.length > 0) {
    tests.push(pValueTest('text.oov_rate', 'ks', ksTwoSample(refRates, curRates), thresholds.pValue));
    distributions.push({ test: 'text.oov_rate', kind: 'numeric', reference: refRates, current: curRates, label: 'share of tokens out of vocabulary' });
  }
  return { tests, distributions };
}

/** The share of each text's tokens not in `vocabulary` (texts without tokens are left out). */
function oovRates(texts: readonly string[], tokenize: Tokenizer, vocabulary: Set<string>): number[] {
  const rates: number[] = [];
  for (const text of texts) {
    const tokens = tokenize(text);
    if (tokens.length === 0) continue;
    let unknown = 0;
    for (const token of tokens) if (!vocabulary.has(token)) unknown++;
    rates.push(unknown / tokens.length);
  }
  return rates;
}

export function domainClassifier(
  reference: readonly string[],
  current: readonly string[],
  thresholds: Pick<Thresholds, 'rocPercentile' | 'randomClassifiers' | 'seed'>,
): { auc: number; threshold: number; randomAucs: number[] } {
  const texts = [...reference, ...current];
  const labels = texts.map((_, i) => (i < reference.length ? 0 : 1));
  const random = new Random(thresholds.seed);
  const order = random.permutation(texts.length);
  // train_test_split(test_size=0.5): the test half gets the odd one.
  const trainSize = Math.floor(texts.length / 2);
  const trainIdx = Array.from(order.subarray(0, trainSize));
  const testIdx = Array.from(order.subarray(trainSize));
  const yTrain = Int32Array.from(trainIdx, (i) => labels[i]!);
  const yTest = Int32Array.from(testIdx, (i) => labels[i]!);
  const bothClasses = (y: Int32Array): boolean => y.includes(0) && y.includes(1);
  if (!bothClasses(yTrain) || !bothClasses(yTest)) {
    throw new MlpError(`too few texts to compare (${reference.length} reference, ${current.length} current)`, {
      hint: 'a window needs a few dozen texts on each side; widen --since/--last',
      exitCode: ExitCode.usage,
    });
  }
  const params = defaultTextParams();
  const tfidf: TfidfParams = { ...params.tfidf, sublinearTf: true, maxDf: { kind: 'fraction', value: 0.5 }, stopWords: 'english' };
  let fit;
  try {
    fit = fitTfidf(trainIdx.map((i) => texts[i]!), tfidf);
  } catch (error) {
    if (!(error instanceof EmptyVocabularyError)) throw error;
    // No word is in at most half the texts (or there are no words): nothing tells the sides apart.
    return { auc: 0.5, threshold: 1, randomAucs: [] };
  }
  const { model } = fitLogisticRegression(fit.matrix, yTrain, 2, params.logreg);
  const probabilities = predictProbabilities(model, fit.transformer.transform(testIdx.map((i) => texts[i]!)));
  const scores = Float64Array.from(testIdx, (_, k) => probabilities[k * 2 + 1]!);
  const auc = rocAuc(yTest, scores);
  const randomAucs: number[] = [];
  const noise = new Float64Array(yTest.length);
  for (let r = 0; r < thresholds.randomClassifiers; r++) {
    for (let k = 0; k < noise.length; k++) noise[k] = random.next();
    randomAucs.push(rocAuc(yTest, noise));
  }
  return { auc, threshold: percentile(randomAucs, thresholds.rocPercentile), randomAucs };
}
