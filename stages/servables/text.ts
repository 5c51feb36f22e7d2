/** The text model (TF-IDF + logistic regression) as a `ServableModel`: inputs are strings. */
import { InputRejected, type RawInput, type ServableModel } from '../../src/serve/model.js';
import { TfidfTransformer } from '../text/features/vectorizer.js';
import { loadModel } from '../text/io/model-files.js';
import { predictProbabilities } from '../text/solver/logistic-regression.js';

export async function loadTextServable(dir: string): Promise<ServableModel<string>> {
  const model = await loadModel(dir); // verifies the sha256 of every file the metadata lists
  const transformer = new TfidfTransformer(model.vocabulary, model.tfidf);
  return {
    kind: 'text',
    classes: model.classes,
    inputField: 'text',
    toInput(raw: RawInput): string {
      if ('bytes' in raw) {
        const text = raw.bytes.toString('utf8');
        if (Buffer.byteLength(text) !== raw.bytes.length || text.includes('\uFFFD')) throw new InputRejected(`${raw.name} is not UTF-8 text`);
        return text;
      }
      if (typeof raw.json === 'string') return raw.json;
      if (Array.isArray(raw.json) && raw.json.length === 1 && typeof raw.json[0] === 'string') return raw.json[0]; // one-column rows
      throw new InputRejected(`expected a string (the text to classify), got ${describe(raw.json)}`);
    },
    async predict(inputs: string[]): Promise<Float64Array> {
      return predictProbabilities(model.weights, transformer.transform(inputs));
    },
    dispose(): void {},
  };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
