/**
 * Parsing YAML costs far more than the rest of a no-op `status` or `repro` on a big pipeline, so
 * parsed files — and the resolved pipeline — are cached as JSON in `.mlp/tmp/parsed.json`,
 * keyed by the stat signature (inode, mtime, size; src/util/stat-signature.ts) of every file they
 * were derived from. It is a `SignatureStore` (src/util/signature-store.ts), as the hash state is.
 */
import fs from 'node:fs';
import { errorCode } from '../errors.js';
import { SignatureStore } from './signature-store.js';
import { fingerprint } from './stat-signature.js';

interface Entry {
  files: string[];
  fingerprint: string;
  value: unknown;
}

/** 2: values of mlp's own files are stored only after src/schema validated them. */
const FORMAT = 2;

interface Header {
  format: number;
  /** The mlp version that wrote it: another version may parse differently, so it starts empty. */
  version: string;
}

export class ParseCache {
  private constructor(
    private readonly version: string,
    private readonly entries: SignatureStore<Entry, Header>,
  ) {}

  /** A cache that remembers nothing across processes. */
  static inMemory(): ParseCache {
    return new ParseCache('', SignatureStore.inMemory<Entry, Header>());
  }

  static load(file: string, version: string): ParseCache {
    // Private to its owner like config.local.yaml: it holds parsed copies of the repository's files.
    const store = SignatureStore.load<Entry, Header>(file, { accepts: (h) => h.format === FORMAT && h.version === version, mode: 0o600 });
    return new ParseCache(version, store);
  }

  /** The value stored under `key`, if none of the files it came from changed since. */
  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry || fingerprint(entry.files) !== entry.fingerprint) return undefined;
    return entry.value as T;
  }

  /** Stores `value`, derived from `files` whose fingerprint was taken before they were read. */
  set(key: string, files: string[], fingerprintBefore: string, value: unknown): void {
    this.entries.set(key, { files, fingerprint: fingerprintBefore, value });
  }

  /** Records `value` as the parsed content of `abs`, which this process has just written. */
  remember(abs: string, value: unknown): void {
    this.set(`yaml:${abs}`, [abs], fingerprint([abs]), value);
  }

  /** Drops what is cached for the file `abs` (read through `readYaml`). */
  forget(abs: string): void {
    this.entries.delete(`yaml:${abs}`);
  }

  /** Reads and parses a YAML/JSON file through the cache; undefined if it does not exist. */
  readYaml(abs: string, parse: (text: string) => unknown): unknown {
    const key = `yaml:${abs}`;
    const entry = this.entries.get(key);
    const now = fingerprint([abs]);
    if (entry && entry.fingerprint === now) return entry.value;
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    const value = parse(text);
    this.set(key, [abs], now, value);
    return value;
  }

  save(): void {
    this.entries.save({ format: FORMAT, version: this.version });
  }
}
