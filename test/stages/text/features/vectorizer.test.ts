import { csrToDense } from '../../../../stages/text/solver/csr.js';
import { defaultTextParams, type TfidfParams } from '../../../../stages/text/params.js';
import { EmptyVocabularyError, fitTfidf, TfidfTransformer } from '../../../../stages/text/features/vectorizer.js';

const params = (overrides: Partial<TfidfParams> = {}): TfidfParams => ({ ...defaultTextParams().tfidf, ...overrides });
const l2 = (values: number[]): number[] => {
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return values.map((v) => v / norm);
};

describe('fitTfidf against hand-computed values', () => {
  const docs = ['The cat sat', 'the dog sat', 'the cat the cat'];

  test('vocabulary is sorted and idf = ln((1 + n) / (1 + df)) + 1', () => {
    const { vocabulary } = fitTfidf(docs, params());
    expect(vocabulary.terms).toEqual(['cat', 'dog', 'sat', 'the']);
    // df: cat 2, dog 1, sat 2, the 3; n = 3
    const expected = [Math.log(4 / 3) + 1, Math.log(4 / 2) + 1, Math.log(4 / 3) + 1, Math.log(4 / 4) + 1];
    Array.from(vocabulary.idf!).forEach((idf, j) => expect(idf).toBeCloseTo(expected[j]!, 14));
  });

  test('rows are tf × idf, l2-normalised', () => {
    const { matrix } = fitTfidf(docs, params());
    const idfCat = Math.log(4 / 3) + 1;
    const idfDog = Math.log(2) + 1;
    const dense = csrToDense(matrix);
    expectRow(dense[0]!, l2([idfCat, 0, idfCat, 1]));
    expectRow(dense[1]!, l2([0, idfDog, idfCat, 1]));
    expectRow(dense[2]!, l2([2 * idfCat, 0, 0, 2])); // "the" and "cat" twice each
  });

  test('sublinear_tf uses 1 + ln(tf); binary uses 1; no idf, no norm', () => {
    const idfCat = Math.log(4 / 3) + 1;
    const sublinear = csrToDense(fitTfidf(docs, params({ sublinearTf: true })).matrix);
    expectRow(sublinear[2]!, l2([(1 + Math.log(2)) * idfCat, 0, 0, 1 + Math.log(2)]));
    const binary = csrToDense(fitTfidf(docs, params({ binary: true, useIdf: false, norm: null })).matrix);
    expect(binary[2]).toEqual([1, 0, 0, 1]);
    const raw = csrToDense(fitTfidf(docs, params({ useIdf: false, norm: 'l1' })).matrix);
    expectRow(raw[2]!, [0.5, 0, 0, 0.5]);
  });

  test('smooth_idf: false gives ln(n / df) + 1', () => {
    const { vocabulary } = fitTfidf(docs, params({ smoothIdf: false }));
    expect(vocabulary.idf![1]).toBeCloseTo(Math.log(3 / 1) + 1, 14);
    expect(vocabulary.idf![3]).toBeCloseTo(1, 14);
  });

  test('min_df / max_df: integers are document counts, fractions are shares of documents', () => {
    expect(fitTfidf(docs, params({ minDf: { kind: 'count', value: 2 } })).vocabulary.terms).toEqual(['cat', 'sat', 'the']);
    expect(fitTfidf(docs, params({ maxDf: { kind: 'count', value: 2 } })).vocabulary.terms).toEqual(['cat', 'dog', 'sat']);
    expect(fitTfidf(docs, params({ maxDf: { kind: 'fraction', value: 0.5 } })).vocabulary.terms).toEqual(['dog']);
    expect(fitTfidf(docs, params({ minDf: { kind: 'fraction', value: 0.9 } })).vocabulary.terms).toEqual(['the']);
  });

  test('max_features keeps the most frequent terms; ties go to the earlier term', () => {
    // corpus frequencies: aa 1, bb 1, cc 3, dd 1, ee 2 → cc, ee, then the first of the tied aa/bb/dd
    const words = fitTfidf(['bb aa cc ee', 'cc dd cc ee'], params({ maxFeatures: 3 }));
    expect(words.vocabulary.terms).toEqual(['aa', 'cc', 'ee']);
    expect(words.distinctNgrams).toBe(5);
  });

  test('n-grams are words joined by one space; ngram_range (2, 2) has no unigrams', () => {
    expect(fitTfidf(['a1 b1 c1'], params({ ngramRange: [1, 2] })).vocabulary.terms).toEqual([
      'a1',
      'a1 b1',
      'b1',
      'b1 c1',
      'c1',
    ]);
    expect(fitTfidf(['a1 b1 c1', 'b1 c1'], params({ ngramRange: [2, 3] })).vocabulary.terms).toEqual([
      'a1 b1',
      'a1 b1 c1',
      'b1 c1',
    ]);
  });

  test('terms are in code point order (like Python), also beyond the BMP and for n-grams', () => {
    // U+FF41 (fullwidth a) sorts before U+1D41A (bold a) by code point, after it in UTF-16.
    const docs = ['ｂｂ 𝐚𝐚 zz', 'ｂｂ zz 𝐚𝐚'];
    expect(fitTfidf(docs, params()).vocabulary.terms).toEqual(['zz', 'ｂｂ', '𝐚𝐚']);
    expect(fitTfidf(docs, params({ ngramRange: [1, 2] })).vocabulary.terms).toEqual([
      'zz', 'zz 𝐚𝐚', 'ｂｂ', 'ｂｂ zz', 'ｂｂ 𝐚𝐚', '𝐚𝐚', '𝐚𝐚 zz',
    ]);
    // n-grams sort like their texts: a space sorts before any word character
    expect(fitTfidf(['ab c', 'abc', 'ab'], params({ ngramRange: [1, 3], tokenPattern: '(?u)\\b\\w+\\b' })).vocabulary.terms)
      .toEqual(['ab', 'ab c', 'abc', 'c']);
    expect(fitTfidf(['ab cc', 'abc', 'ab'], params({ ngramRange: [1, 3] })).vocabulary.terms).toEqual(['ab', 'ab cc', 'abc', 'cc']);
  });

  test('matches scikit-learn 1.2 on bigrams + sublinear tf', () => {
    // TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) on these four documents.
    const corpus = ['The cat sat on the mat.', 'The dog sat; the dog ran!', 'A cat and a dog', 'Cats? Dogs! 42 cats'];
    const fit = fitTfidf(corpus, params({ ngramRange: [1, 2], sublinearTf: true }));
    expect(fit.vocabulary.terms).toEqual([
      '42', '42 cats', 'and', 'and dog', 'cat', 'cat and', 'cat sat', 'cats', 'cats dogs', 'dog', 'dog ran',
      'dog sat', 'dogs', 'dogs 42', 'mat', 'on', 'on the', 'ran', 'sat', 'sat on', 'sat the', 'the', 'the cat',
      'the dog', 'the mat',
    ]);
    const row = csrToDense(fit.matrix)[1]!;
    const sklearn = [
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0.40153419224166936, 0.30079795447637586, 0.30079795447637586, 0, 0, 0, 0, 0,
      0.30079795447637586, 0.23715256231231885, 0, 0.30079795447637586, 0.40153419224166936, 0, 0.5092952085398746,
      0,
    ];
    expectRow(row, sklearn);
  });

  test('an empty vocabulary is an EmptyVocabularyError', () => {
    expect(() => fitTfidf(['a b', '!!'], params())).toThrow(EmptyVocabularyError);
    expect(() => fitTfidf(['the and'], params({ stopWords: 'english' }))).toThrow(/empty vocabulary/);
    expect(() => fitTfidf(['aa bb', 'cc'], params({ minDf: { kind: 'count', value: 2 } }))).toThrow(/no terms remain/);
    expect(() => fitTfidf(['aa bb', 'aa'], params({ minDf: { kind: 'count', value: 3 } }))).toThrow(/max_df corresponds/);
  });
});

describe('TfidfTransformer', () => {
  test('vectorizes new documents like the training ones and ignores unknown n-grams', () => {
    const p = params({ ngramRange: [1, 2] });
    const docs = ['red apple pie', 'green apple', 'red wine'];
    const fit = fitTfidf(docs, p);
    const transformer = new TfidfTransformer(fit.vocabulary, p);
    expect(csrToDense(transformer.transform(docs))).toEqual(csrToDense(fit.matrix));
    const unseen = csrToDense(transformer.transform(['blue apple pie pie', '', 'zzz']));
    const col = (term: string): number => fit.vocabulary.terms.indexOf(term);
    expect(unseen[0]![col('pie')]!).toBeGreaterThan(unseen[0]![col('apple')]!);
    expect(unseen[0]![col('apple pie')]!).toBeGreaterThan(0);
    expect(unseen[1]!.every((v) => v === 0)).toBe(true);
    expect(unseen[2]!.every((v) => v === 0)).toBe(true);
  });
});

describe('the three ways to vectorize new documents agree', () => {
  test('fitting trie, trie rebuilt from the terms, and joined-string lookup (custom pattern)', () => {
    const p = params({ ngramRange: [1, 3], stopWords: 'english', minDf: { kind: 'count', value: 1 } });
    const docs = ['the red apple pie is red', 'green apple and red wine', 'red wine, red apple', 'pie pie pie'];
    const fit = fitTfidf(docs, p);
    const newDocs = ['a red apple pie with red wine', 'apple red apple green', 'nothing known here', 'the pie'];
    const fromFit = csrToDense(fit.transformer.transform(newDocs));
    expect(csrToDense(new TfidfTransformer(fit.vocabulary, p).transform(newDocs))).toEqual(fromFit);
    // An equivalent custom pattern takes the string-lookup path.
    const custom = { ...p, tokenPattern: '(?u)\\b\\w{2,}\\b' };
    const customFit = fitTfidf(docs, custom);
    expect(customFit.vocabulary.terms).toEqual(fit.vocabulary.terms);
    expect(csrToDense(customFit.transformer.transform(newDocs))).toEqual(fromFit);
    // Stop words are removed before n-grams: "apple pie" spans nothing, "red wine" survives.
    expect(fit.vocabulary.terms).toContain('red wine');
    expect(fit.vocabulary.terms.some((t) => t.split(' ').includes('the'))).toBe(false);
  });
});

function expectRow(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, j) => expect(value).toBeCloseTo(expected[j]!, 12));
}
