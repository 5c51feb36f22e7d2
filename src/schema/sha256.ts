/**
 * `Sha256`: a content hash as mlp names objects — exactly 64 lowercase hex digits. Object paths
 * in the cache and on remotes are built only from this type, so a hash read from a file can never
 * name a path (`../../victim.txt`), and a string from a file becomes one only through
 * `isSha256`/`toSha256`.
 */
import { ExitCode, MlpError } from '../errors.js';

declare const sha256Brand: unique symbol;
export type Sha256 = string & { readonly [sha256Brand]: true };

const SHA256 = /^[0-9a-f]{64}$/;

export function isSha256(value: unknown): value is Sha256 {
  return typeof value === 'string' && SHA256.test(value);
}

/** What is wrong with `value` as a hash, for messages. */
export function sha256Problem(value: unknown): string {
  const shown = typeof value === 'string' ? `'${value.length > 80 ? `${value.slice(0, 80)}…` : value}'` : JSON.stringify(value) ?? String(value);
  return `${shown} is not a sha256 hash (64 lowercase hex digits)`;
}

/** Validates a hash from anywhere but a file (files go through the schemas in src/schema). */
export function toSha256(value: string): Sha256 {
  if (!isSha256(value)) throw new MlpError(sha256Problem(value), { exitCode: ExitCode.invalidPipeline });
  return value;
}

/** A digest this process just computed with node:crypto: a hash by construction. */
export function computedSha256(hex: string): Sha256 {
  return hex as Sha256;
}

/** The two hex names a hash is stored under: `<2 hex>/<62 hex>`. */
export function shardOf(hash: Sha256): { shard: string; rest: string } {
  return { shard: hash.slice(0, 2), rest: hash.slice(2) };
}

const SHARD = /^[0-9a-f]{2}$/;
const REST = /^[0-9a-f]{62}$/;

/**
 * The hash stored under the directory entry names `shard`/`rest` (a remote listing, the cache's
 * own directories), or undefined for anything else: temp files of interrupted writes, stray
 * files, and names a hostile remote might list (`..`, `../x`).
 */
export function hashFromNames(shard: string, rest: string): Sha256 | undefined {
  return SHARD.test(shard) && REST.test(rest) ? ((shard + rest) as Sha256) : undefined;
}

export function isShardName(name: string): boolean {
  return SHARD.test(name);
}
