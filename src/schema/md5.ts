/**
 * `Md5`: a content hash as DVC names its objects — exactly 32 lowercase hex digits — and
 * `DvcHash`, what DVC's files record for a path: an `Md5`, or one with `.dir` after it for a
 * directory (the md5 of its `.dir` manifest). Read only by `mlp migrate`; like `Sha256`, a value
 * from a file becomes one only through `isMd5`/`isDvcHash`, so it can never name a path.
 */
declare const md5Brand: unique symbol;
export type Md5 = string & { readonly [md5Brand]: true };

declare const dvcHashBrand: unique symbol;
/** `<md5>` or `<md5>.dir`. */
export type DvcHash = string & { readonly [dvcHashBrand]: true };

const MD5 = /^[0-9a-f]{32}$/;
const DVC_HASH = /^[0-9a-f]{32}(?:\.dir)?$/;

export function isMd5(value: unknown): value is Md5 {
  return typeof value === 'string' && MD5.test(value);
}

export function isDvcHash(value: unknown): value is DvcHash {
  return typeof value === 'string' && DVC_HASH.test(value);
}

/** What is wrong with `value` as a DVC hash, for messages. */
export function dvcHashProblem(value: unknown): string {
  const shown = typeof value === 'string' ? `'${value.length > 80 ? `${value.slice(0, 80)}…` : value}'` : (JSON.stringify(value) ?? String(value));
  return `${shown} is not an md5 hash (32 lowercase hex digits, with .dir for a directory)`;
}

/** A digest this process just computed with node:crypto. */
export function computedMd5(hex: string): Md5 {
  return hex as Md5;
}

/** The hash of a DVC cache object named `<2 hex>/<30 hex>[.dir]`, or undefined for any other name. */
export function dvcHashFromNames(shard: string, rest: string): DvcHash | undefined {
  const value = shard + rest;
  return /^[0-9a-f]{2}$/.test(shard) && isDvcHash(value) ? value : undefined;
}

export function isDirHash(hash: DvcHash): boolean {
  return hash.endsWith('.dir');
}

/** The md5 of a DVC hash (without `.dir`). */
export function md5Of(hash: DvcHash): Md5 {
  return hash.replace(/\.dir$/, '') as Md5;
}
