import {
  compileTokenPattern,
  createTokenizer,
  defaultTokens,
  translatePythonPattern,
} from '../../../../stages/text/features/tokenizer.js';
import { defaultTextParams } from '../../../../stages/text/params.js';

const defaults = defaultTextParams().tfidf;

describe('default tokenizer: lowercase, then runs of ≥ 2 Unicode word characters', () => {
  test('hand-checked tokens', () => {
    const tokenize = createTokenizer(defaults);
    expect(tokenize("Hello, World! I'm a b2-c3 test_case: 3.14 x")).toEqual([
      'hello',
      'world',
      'b2',
      'c3',
      'test_case',
      '14',
    ]);
  });

  test('Unicode letters and digits are word characters, combining marks are not (like Python re)', () => {
    const tokenize = createTokenizer(defaults);
    expect(tokenize('Naïve CAFÉ – Москва 東京 ٣٤')).toEqual(['naïve', 'café', 'москва', '東京', '٣٤']);
    // "nai\u0308ve" spells naïve with a combining diaeresis (category Mn): Python splits there too.
    expect(tokenize('nai\u0308ve')).toEqual(['nai', 've']);
    expect(tokenize('𝐀𝐁 x')).toEqual(['𝐀𝐁'.toLowerCase()]);
  });

  test('lowercase: false keeps case', () => {
    expect(createTokenizer({ ...defaults, lowercase: false })('Hello World')).toEqual(['Hello', 'World']);
  });

  test('english stop words are removed after lowercasing', () => {
    const tokenize = createTokenizer({ ...defaults, stopWords: 'english' });
    expect(tokenize('The cat is on the mat')).toEqual(['cat', 'mat']);
    expect(createTokenizer({ ...defaults, stopWords: ['cat'] })('the cat')).toEqual(['the']);
  });

  test('the fast default path equals the translated Python pattern', () => {
    const { regex } = compileTokenPattern('(?u)\\b\\w\\w+\\b');
    const text = "it's 2024: naïve façade, Ünïcödé, o'clock, a_b, x1, 東京, nai\u0308ve, 😀ok, __, 9";
    expect(defaultTokens(text)).toEqual(text.match(regex));
  });
});

describe('Python token patterns', () => {
  test('\\w, \\d and \\b are Unicode-aware', () => {
    const { source, flags } = translatePythonPattern('(?u)\\b\\w+\\b');
    expect(flags).toBe('gu');
    expect('é a 1'.match(new RegExp(source, flags))).toEqual(['é', 'a', '1']);
  });

  test('one capturing group selects the token', () => {
    const tokenize = createTokenizer({ ...defaults, tokenPattern: '(?u)\\b(\\w)\\w*\\b' });
    expect(tokenize('Alpha beta')).toEqual(['a', 'b']);
  });

  test('single-character tokens with a custom pattern', () => {
    const tokenize = createTokenizer({ ...defaults, tokenPattern: '(?u)\\b\\w+\\b' });
    expect(tokenize('a bc d')).toEqual(['a', 'bc', 'd']);
  });

  test('named groups and inline ignore-case are translated', () => {
    const tokenize = createTokenizer({ ...defaults, lowercase: false, tokenPattern: '(?i)(?P<w>[a-z]+)' });
    expect(tokenize('Ab-CD')).toEqual(['Ab', 'CD']);
  });

  test('two capturing groups are rejected, like scikit-learn', () => {
    expect(() => compileTokenPattern('(a)(b)')).toThrow(/2 capturing groups/);
  });

  test('an invalid pattern says so', () => {
    expect(() => compileTokenPattern('[unclosed')).toThrow(/not a valid regular expression/);
  });
});
