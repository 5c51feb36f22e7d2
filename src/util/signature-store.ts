/**
 * The one store behind mlp's caches keyed by stat signatures (src/util/stat-signature.ts): the
 * hash state (`.mlp/tmp/state.json`: a file's hash by its signature, src/hash/state-cache.ts)
 * and the parse cache (`.mlp/tmp/parsed.json`: a file's parsed value by the signatures of the files
 * it came from, src/util/parse-cache.ts). They share this store and the signature definition;
 * what each keeps in an entry, and when an entry is still good, is theirs.
 *
 * They stay apart on purpose: every command reads the small parse cache, while only commands
 * that hash files load the hash state, which can hold a hundred thousand entries (2.5 MB) — and
 * the hash state reads that file only when a directory's own record (a third, small store) does
 * not answer.
 *
 * The store is a map saved as one JSON object `{...header, entries}`. A file that is missing,
 * unreadable, damaged, or has a header its owner does not accept (another format, another mlp
 * version) reads as empty: these are caches, so that only costs a re-read. It is written
 * atomically, and only when something changed.
 */
import fs from 'node:fs';
import { writeFileAtomic } from './fs.js';

export interface StoreOptions<H extends object> {
  /** Whether a file with this header (everything but `entries`) can be used; else it reads as empty. */
  accepts(header: Partial<H>): boolean;
  /** File mode of a new file (the parse cache is private to its owner: it holds parsed copies of config). */
  mode?: number;
}

export class SignatureStore<E, H extends object = object> {
  private dirty = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly options: StoreOptions<H> | undefined,
    private map: Map<string, E>,
    /** The header the file was read with (empty when it was not). */
    readonly loadedHeader: Partial<H>,
  ) {}

  /** A store that remembers nothing across processes. */
  static inMemory<E, H extends object = object>(): SignatureStore<E, H> {
    return new SignatureStore<E, H>(undefined, undefined, new Map(), {});
  }

  static load<E, H extends object>(file: string, options: StoreOptions<H>): SignatureStore<E, H> {
    try {
      const { entries, ...header } = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<H> & { entries?: Record<string, E> };
      if (entries && typeof entries === 'object' && options.accepts(header as Partial<H>)) {
        return new SignatureStore(file, options, new Map(Object.entries(entries)), header as Partial<H>);
      }
    } catch {
      // Missing or unreadable: start empty.
    }
    return new SignatureStore<E, H>(file, options, new Map(), {});
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): E | undefined {
    return this.map.get(key);
  }

  set(key: string, entry: E): void {
    this.map.set(key, entry);
    this.dirty = true;
  }

  delete(key: string): boolean {
    const had = this.map.delete(key);
    if (had) this.dirty = true;
    return had;
  }

  entries(): IterableIterator<[string, E]> {
    return this.map.entries();
  }

  /** Replaces every entry (after a prune). */
  replace(map: Map<string, E>): void {
    this.map = map;
    this.dirty = true;
  }

  /** Marks the header as changed, so the next save writes the file. */
  touch(): void {
    this.dirty = true;
  }

  /** Writes the entries with `header`, if anything changed since the load or the last save. */
  save(header: H): void {
    if (!this.dirty || !this.file || !this.options) return;
    writeFileAtomic(this.file, JSON.stringify({ ...header, entries: Object.fromEntries(this.map) }), this.options.mode);
    this.dirty = false;
  }
}
