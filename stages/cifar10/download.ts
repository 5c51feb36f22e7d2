/**
 * HTTP(S) download into a local cache: streamed to a temp file while hashing, verified against
 * the expected checksum, then renamed into place — so an interrupted or corrupt download never
 * leaves a file that a later run would trust. A cached file is reused (after re-verifying it when
 * a checksum is known) instead of downloading again.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { InputError } from '../common/errors.js';
import { ChecksumError, hashFile, type Checksum } from './checksum.js';

export interface DownloadProgress {
  receivedBytes: number;
  /** From Content-Length; undefined when the server does not send it. */
  totalBytes: number | undefined;
}

export interface DownloadOptions {
  cacheDir: string;
  expected?: Checksum;
  onProgress?: (progress: DownloadProgress) => void;
  /** Redirects to follow (default 5). */
  maxRedirects?: number;
}

export interface DownloadResult {
  path: string;
  /** False when the file came from the cache. */
  downloaded: boolean;
  bytes: number;
  sha256: string;
}

export class DownloadError extends InputError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { hint: 'check the URL and your network, or download the archive yourself and pass its path with --source', cause: options.cause });
    this.name = 'DownloadError';
  }
}

/** `$MLP_DOWNLOAD_CACHE`, else `$XDG_CACHE_HOME/mlp/downloads`, else `~/.cache/mlp/downloads`. */
export function defaultDownloadCache(): string {
  if (process.env.MLP_DOWNLOAD_CACHE) return process.env.MLP_DOWNLOAD_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'mlp', 'downloads');
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Cache file name: keyed by the expected checksum when known, else by the URL. */
function cacheName(url: URL, expected: Checksum | undefined): string {
  const base = path.posix.basename(url.pathname) || 'download';
  const key = expected ? `${expected.algorithm}-${expected.hex}` : `url-${createHash('sha256').update(url.href).digest('hex').slice(0, 16)}`;
  return `${key}-${base}`;
}

export async function download(source: string, options: DownloadOptions): Promise<DownloadResult> {
  const url = new URL(source);
  await mkdir(options.cacheDir, { recursive: true });
  const target = path.join(options.cacheDir, cacheName(url, options.expected));

  const cached = await stat(target).catch(() => undefined);
  if (cached?.isFile()) {
    const sha256 = await hashFile(target, 'sha256');
    const ok = !options.expected || (options.expected.algorithm === 'sha256' ? sha256 : await hashFile(target, options.expected.algorithm)) === options.expected.hex;
    if (ok) return { path: target, downloaded: false, bytes: cached.size, sha256 };
    await rm(target, { force: true }); // a cached file that no longer verifies is re-fetched
  }

  const temp = `${target}.part-${process.pid}-${Date.now()}`;
  try {
    const response = await get(url, options.maxRedirects ?? 5);
    const total = Number(response.headers['content-length']);
    const totalBytes = Number.isFinite(total) && total > 0 ? total : undefined;
    const sha = createHash('sha256');
    const check = options.expected && options.expected.algorithm !== 'sha256' ? createHash(options.expected.algorithm) : undefined;
    let received = 0;
    let lastReport = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        sha.update(chunk);
        check?.update(chunk);
        const now = Date.now();
        if (options.onProgress && now - lastReport >= 100) {
          lastReport = now;
          options.onProgress({ receivedBytes: received, totalBytes });
        }
        callback(null, chunk);
      },
    });
    await pipeline(response, meter, createWriteStream(temp));
    options.onProgress?.({ receivedBytes: received, totalBytes });
    if (totalBytes !== undefined && received !== totalBytes) {
      throw new DownloadError(`download of ${url.href} ended after ${received} of ${totalBytes} bytes`);
    }
    const sha256 = sha.digest('hex');
    if (options.expected) {
      const actual = check ? check.digest('hex') : sha256;
      if (actual !== options.expected.hex) {
        throw new ChecksumError(`${url.href}: ${options.expected.algorithm} of the download is ${actual}, expected ${options.expected.hex}`);
      }
    }
    await rename(temp, target);
    return { path: target, downloaded: true, bytes: received, sha256 };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function get(url: URL, redirectsLeft: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new DownloadError(`unsupported URL scheme ${url.protocol} (use http or https)`));
      return;
    }
    const request = client.get(url, { headers: { 'user-agent': 'mlp' }, timeout: 30_000 }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        response.resume();
        if (redirectsLeft <= 0) {
          reject(new DownloadError(`too many redirects fetching ${url.href}`));
          return;
        }
        get(new URL(location, url), redirectsLeft - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new DownloadError(`GET ${url.href} answered HTTP ${status}`));
        return;
      }
      resolve(response);
    });
    request.on('timeout', () => request.destroy(new DownloadError(`GET ${url.href} timed out`)));
    request.on('error', (error) => reject(error instanceof DownloadError ? error : new DownloadError(`GET ${url.href} failed: ${error.message}`, { cause: error })));
  });
}
