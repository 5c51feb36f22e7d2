/** The store behind the hash state and the parse cache: lenient loads, atomic saves only when changed. */
import fs from 'node:fs';
import path from 'node:path';
import { SignatureStore } from '../../src/util/signature-store.js';
import { tempDir } from '../helpers/cli.js';

interface Header {
  format: number;
}
const options = { accepts: (h: Partial<Header>) => h.format === 7, mode: 0o600 };

describe('SignatureStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'store.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('entries round-trip with their header, in a file private to its owner', () => {
    const store = SignatureStore.load<number[], Header>(file, options);
    store.set('a', [1, 2, 3]);
    store.save({ format: 7 });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ format: 7, entries: { a: [1, 2, 3] } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = SignatureStore.load<number[], Header>(file, options);
    expect(again.get('a')).toEqual([1, 2, 3]);
    expect(again.loadedHeader).toEqual({ format: 7 });
  });

  test('a damaged file, or one with a header its owner does not accept, reads as empty', () => {
    for (const text of ['{"format": 7, "entries": {"a": 1', '{"format": 6, "entries": {"a": 1}}', '{"format": 7, "entries": 3}', 'null']) {
      fs.writeFileSync(file, text);
      const store = SignatureStore.load<number, Header>(file, options);
      expect([store.size, store.loadedHeader]).toEqual([0, {}]);
    }
  });

  test('save writes only when something changed', () => {
    const store = SignatureStore.load<number, Header>(file, options);
    store.save({ format: 7 });
    expect(fs.existsSync(file)).toBe(false);
    store.set('a', 1);
    store.save({ format: 7 });
    fs.rmSync(file);
    store.save({ format: 7 });
    expect(fs.existsSync(file)).toBe(false); // nothing changed since the last save
    store.delete('missing');
    store.save({ format: 7 });
    expect(fs.existsSync(file)).toBe(false);
    store.delete('a');
    store.save({ format: 7 });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ format: 7, entries: {} });
  });

  test('an in-memory store never writes', () => {
    const store = SignatureStore.inMemory<number, Header>();
    store.set('a', 1);
    store.save({ format: 7 });
    expect(store.get('a')).toBe(1);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
