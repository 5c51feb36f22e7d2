/** The drift tests on synthetic samples (and on the shared text datasets when present): shifted samples flagged, unshifted not. */
import fs from 'node:fs';
import { Random } from '../../stages/common/random.js';
import { defaultTextParams } from '../../stages/text/params.js';
import { parseCsv } from '../../src/util/csv.js';
import { channelMeans, embeddingDrift, intensityDrift } from '../../src/monitor/image-drift.js';
import { predictionDrift } from '../../src/monitor/prediction-drift.js';
import { DEFAULT_THRESHOLDS, verdict, type DriftTest } from '../../src/monitor/report.js';
import { domainClassifier, textDrift } from '../../src/monitor/text-drift.js';
import { sharedDataset } from '../helpers/datasets.js';

const thresholds = { ...DEFAULT_THRESHOLDS, randomClassifiers: 200 };
const drifted = (tests: DriftTest[]): Record<string, boolean> => Object.fromEntries(tests.map((t) => [t.name, t.drift]));

/** Sentences of random words from a word list. */
function sentences(random: Random, words: string[], n: number): string[] {
  return Array.from({ length: n }, () => Array.from({ length: 5 + random.int(10) }, () => words[random.int(words.length)]!).join(' '));
}

const COMMON = 'meeting lunch tonight call home later work friend dinner weekend movie coffee morning train office'.split(' ');
const OTHER = 'market shares profit quarter earnings stocks investors growth oil prices bank rates economy trade deficit'.split(' ');

describe('text', () => {
  test('texts of one vocabulary: nothing drifts; texts of another: every test drifts', () => {
    const random = new Random(1);
    const reference = sentences(random, COMMON, 300);
    const same = textDrift({ reference, current: sentences(random, COMMON, 200), tokenizer: defaultTextParams().tfidf, thresholds });
    expect(drifted(same.tests)).toEqual({ 'text.domain_classifier': false, 'text.length': false, 'text.oov_rate': false });
    const other = textDrift({ reference, current: sentences(random, OTHER, 200).map((s) => `${s} ${s}`), tokenizer: defaultTextParams().tfidf, thresholds });
    expect(drifted(other.tests)).toEqual({ 'text.domain_classifier': true, 'text.length': true, 'text.oov_rate': true });
  });

  test('the domain classifier threshold is the 95th percentile of random ROC-AUCs: a little above 0.5', () => {
    const random = new Random(2);
    const result = domainClassifier(sentences(random, COMMON, 200), sentences(random, COMMON, 200), thresholds);
    expect(result.randomAucs).toHaveLength(200);
    expect(result.threshold).toBeGreaterThan(0.5);
    expect(result.threshold).toBeLessThan(0.6);
    expect(result.auc).toBeLessThan(result.threshold);
  });

  const sms = sharedDataset('text/sms_spam.csv');
  const ag = sharedDataset('text/ag_news_test.csv');
  (sms && ag ? test : test.skip)('SMS messages against SMS messages: no drift; against AG News: drift', () => {
    const texts = (file: string): string[] => parseCsv(fs.readFileSync(file, 'utf8')).slice(1).map((r) => r.fields[0]!);
    const messages = texts(sms!);
    const reference = messages.slice(0, 400);
    const tokenizer = defaultTextParams().tfidf;
    expect(domainClassifier(reference, messages.slice(2000, 2300), thresholds).auc).toBeLessThan(0.6);
    const news = domainClassifier(reference, texts(ag!).slice(0, 300), thresholds);
    expect(news.auc).toBeGreaterThan(0.95);
    expect(verdict(textDrift({ reference, current: messages.slice(2000, 2300), tokenizer, thresholds }).tests, 0.5)).toBe(false);
    expect(verdict(textDrift({ reference, current: texts(ag!).slice(0, 300), tokenizer, thresholds }).tests, 0.5)).toBe(true);
  });
});

describe('predictions', () => {
  test('the same label shares and confidences: no drift; a label shift: chi-square and PSI drift', () => {
    const random = new Random(3);
    const draw = (n: number, spam: number): { labels: string[]; confidences: number[] } => {
      const labels = Array.from({ length: n }, () => (random.next() < spam ? 'spam' : 'ham'));
      return { labels, confidences: labels.map(() => 0.6 + 0.4 * random.next()) };
    };
    const reference = draw(400, 0.15);
    expect(drifted(predictionDrift(['ham', 'spam'], reference, draw(300, 0.15), thresholds).tests)).toEqual({
      'prediction.label': false,
      'prediction.label_psi': false,
      'prediction.confidence': false,
    });
    expect(drifted(predictionDrift(['ham', 'spam'], reference, draw(300, 0.5), thresholds).tests)).toMatchObject({ 'prediction.label': true, 'prediction.label_psi': true });
  });

  test('a label the reference never predicted is counted, not dropped', () => {
    const ref = { labels: ['ham', 'ham', 'ham', 'ham'], confidences: [0.9, 0.8, 0.7, 0.9] };
    const cur = { labels: ['spam', 'spam', 'spam', 'spam'], confidences: [0.9, 0.8, 0.7, 0.9] };
    const result = predictionDrift(['ham', 'spam'], ref, cur, thresholds);
    expect(drifted(result.tests)).toMatchObject({ 'prediction.label': true, 'prediction.label_psi': true });
    expect(result.distributions[0]).toMatchObject({ categories: ['ham', 'spam'], reference: [4, 0], current: [0, 4] });
  });
});

describe('images', () => {
  /** n noisy 32×32 RGB images (channels last) around a grey level. */
  function images(random: Random, n: number, level: number): Uint8Array {
    const out = new Uint8Array(n * 3072);
    for (let i = 0; i < n; i++) {
      const base = level + random.int(60) - 30;
      // Per-pixel texture from a fixed pattern: the per-image level is what varies at random.
      for (let p = 0; p < 3072; p++) out[i * 3072 + p] = Math.max(0, Math.min(255, base + ((p * 7919 + i * 31) % 40) - 20));
    }
    return out;
  }

  test('channel means are per image and per channel', () => {
    const img = new Uint8Array(3072);
    for (let p = 0; p < 1024; p++) img.set([10, 20, 30], p * 3);
    expect([0, 1, 2].map((c) => channelMeans(img, 1, c))).toEqual([[10], [20], [30]]);
  });

  test('brighter images drift on every channel; images of the same kind do not', () => {
    const random = new Random(4);
    const reference = images(random, 200, 110);
    expect(drifted(intensityDrift(reference, 200, images(random, 150, 110), 150, thresholds).tests)).toEqual({
      'image.intensity.red': false,
      'image.intensity.green': false,
      'image.intensity.blue': false,
    });
    expect(drifted(intensityDrift(reference, 200, images(random, 150, 140), 150, thresholds).tests)).toEqual({
      'image.intensity.red': true,
      'image.intensity.green': true,
      'image.intensity.blue': true,
    });
  });

  test('embedding MMD: the same distribution does not drift, a shifted one does', () => {
    const random = new Random(5);
    const rows = (n: number, shift: number): Float32Array => Float32Array.from({ length: n * 8 }, () => shift + random.next());
    const reference = rows(150, 0);
    expect(embeddingDrift(reference, rows(120, 0), 8, thresholds).tests[0]!.drift).toBe(false);
    const shifted = embeddingDrift(reference, rows(120, 0.15), 8, thresholds).tests[0]!;
    expect(shifted).toMatchObject({ name: 'image.embedding', method: 'mmd', drift: true });
  });
});

test('the verdict: drift when at least the given share of the tests drift', () => {
  const t = (drift: boolean): DriftTest => ({ name: 'x', method: 'ks', statistic: 0, threshold: 0.05, drift });
  expect(verdict([t(true), t(false), t(false)], 0.5)).toBe(false);
  expect(verdict([t(true), t(true), t(false), t(false)], 0.5)).toBe(true);
  expect(verdict([], 0.5)).toBe(false);
});
