/**
 * S3 (and S3-compatible) remote with the AWS SDK v3. Credentials come from the SDK's default
 * chain (environment, profile, instance role) unless keys are set in config.local.yaml. Objects
 * up to `part_size` go in one PutObject with an explicit ContentLength; larger ones as a
 * multipart upload whose parts are sent in parallel and aborted on failure. Large downloads are
 * parallel ranged GETs. S3 writes are atomic, so no temp names are needed on the remote.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { MlpError } from '../errors.js';
import { runWorkers } from '../util/pool.js';
import type { BytesProgress, PutSource, RemoteBackend, RemoteFile } from './backend.js';
import type { RemoteSpec, S3Location } from './remote-config.js';

const DEFAULT_PART_SIZE = 64 * 1024 * 1024;
/** Objects up to this size are read and written with synchronous calls. */
const SYNC_LIMIT = 256 * 1024;
/** Parts of one large object in flight (up and down). */
const PART_JOBS = 8;

interface AwsError extends Error {
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3Backend implements RemoteBackend {
  readonly defaultJobs = 32;

  private constructor(
    readonly label: string,
    private readonly name: string,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly partSize: number,
  ) {}

  static open(spec: RemoteSpec, location: S3Location): S3Backend {
    // The SDK's notice about future Node versions is not for mlp's users to act on.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const o = spec.options;
    const str = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
    const endpoint = str('endpoint_url');
    const checksum = str('checksum') === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    const jobs = typeof o.jobs === 'number' ? o.jobs : 32;
    const config: S3ClientConfig = {
      region: str('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined),
      endpoint,
      forcePathStyle: typeof o.path_style === 'boolean' ? o.path_style : endpoint !== undefined,
      requestChecksumCalculation: checksum,
      responseChecksumValidation: checksum,
      maxAttempts: 3,
      requestHandler: { httpAgent: { keepAlive: true, maxSockets: Math.max(jobs, 64) }, httpsAgent: { keepAlive: true, maxSockets: Math.max(jobs, 64) } } as never,
    };
    const profile = str('profile');
    if (profile) config.profile = profile;
    const keyId = str('access_key_id');
    const secret = str('secret_access_key');
    if (keyId && secret) config.credentials = { accessKeyId: keyId, secretAccessKey: secret, sessionToken: str('session_token') };
    const prefix = location.prefix ? `${location.prefix}/` : '';
    const partSize = typeof o.part_size === 'number' ? o.part_size : DEFAULT_PART_SIZE;
    return new S3Backend(spec.url, spec.name, new S3Client(config), location.bucket, prefix, partSize);
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /** Whether a request has succeeded: from then on, an endpoint that stops answering is a lost connection. */
  private connected = false;

  private async send<T>(what: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.connected = true;
      return result;
    } catch (error) {
      throw this.wrap(error, what, key);
    }
  }

  async list(dir: string): Promise<string[]> {
    const prefix = `${this.key(dir)}/`;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.send('list', dir, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(prefix.length));
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) names.push(p.Prefix.slice(prefix.length).replace(/\/$/, ''));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names;
  }

  async listFiles(dir: string): Promise<RemoteFile[]> {
    const prefix = `${this.key(dir)}/`;
    const files: RemoteFile[] = [];
    let token: string | undefined;
    do {
      const page = await this.send('list', dir, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) if (o.Key) files.push({ name: o.Key.slice(prefix.length), size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  async remove(key: string): Promise<void> {
    // Deleting a key that is not there succeeds in S3.
    await this.send('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) })));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      this.connected = true;
      return true;
    } catch (error) {
      if (isNotFound(error)) {
        this.connected = true;
        return false;
      }
      // A HEAD answer has no body to say why it was refused: a listing says (bad key, denied…).
      if ((error as AwsError).$metadata?.httpStatusCode === 403) await this.list(key.slice(0, key.lastIndexOf('/')));
      throw this.wrap(error, 'check', key);
    }
  }

  async put(key: string, source: PutSource, progress: BytesProgress): Promise<void> {
    const { file, size } = source;
    if (size <= this.partSize) {
      // Small files synchronously: the promise API costs four thread-pool round trips per file.
      const body = source.data ?? (size <= SYNC_LIMIT ? fs.readFileSync(file) : await fs.promises.readFile(file));
      await this.send('upload', key, () =>
        this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body, ContentLength: body.length, ContentType: 'application/octet-stream' })),
      );
      progress(body.length);
      return;
    }
    const created = await this.send('upload', key, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(key), ContentType: 'application/octet-stream' })),
    );
    const uploadId = created.UploadId as string;
    const handle = await fs.promises.open(file, 'r');
    try {
      const count = Math.ceil(size / this.partSize);
      const etags: string[] = new Array<string>(count);
      let next = 0;
      const worker = async (stopped: () => boolean): Promise<void> => {
        while (next < count && !stopped()) {
          const index = next++;
          const start = index * this.partSize;
          const length = Math.min(this.partSize, size - start);
          const body = Buffer.allocUnsafe(length);
          await handle.read(body, 0, length, start);
          const part = await this.send('upload', key, () =>
            this.client.send(
              new UploadPartCommand({ Bucket: this.bucket, Key: this.key(key), UploadId: uploadId, PartNumber: index + 1, Body: body, ContentLength: length }),
            ),
          );
          etags[index] = part.ETag as string;
          progress(length);
        }
      };
      await runWorkers(Math.min(PART_JOBS, count), worker);
      await this.send('upload', key, () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: this.key(key),
            UploadId: uploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        ),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(key), UploadId: uploadId })).catch(() => {});
      throw error;
    } finally {
      await handle.close();
    }
  }

  async get(key: string, dest: string, size: number | undefined, progress: BytesProgress): Promise<false | { hash?: string; readOnly?: boolean }> {
    try {
      if (size !== undefined && size > this.rangeSize) return await this.getRanges(key, dest, size, progress);
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      this.connected = true;
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      for await (const chunk of out.Body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        hash.update(chunk);
        progress(chunk.length);
      }
      const body = Buffer.concat(chunks);
      if (body.length <= SYNC_LIMIT) fs.writeFileSync(dest, body, { mode: 0o444 });
      else await fs.promises.writeFile(dest, body, { mode: 0o444 });
      return { hash: hash.digest('hex'), readOnly: true };
    } catch (error) {
      if (isNotFound(error)) {
        this.connected = true;
        return false;
      }
      if ((error as { code?: string }).code === 'ENOSPC') throw error;
      throw this.wrap(error, 'download', key);
    }
  }

  /**
   * Parallel ranged GETs, each streamed straight to its place in the file (memory stays at a
   * few socket buffers whatever the object's size); the engine then hashes the file.
   */
  private async getRanges(key: string, dest: string, size: number, progress: BytesProgress): Promise<{ hash?: string; readOnly: boolean }> {
    const handle = await fs.promises.open(dest, 'w', 0o444);
    const count = Math.ceil(size / this.rangeSize);
    let next = 0;
    let short = false;
    const worker = async (stopped: () => boolean): Promise<void> => {
      while (next < count && !stopped()) {
        const start = next++ * this.rangeSize;
        const end = Math.min(start + this.rangeSize, size) - 1;
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), Range: `bytes=${start}-${end}` }));
        let position = start;
        for await (const chunk of out.Body as AsyncIterable<Buffer>) {
          await handle.write(chunk, 0, chunk.length, position);
          position += chunk.length;
          progress(chunk.length);
        }
        if (position !== end + 1) short = true;
      }
    };
    try {
      await runWorkers(Math.min(PART_JOBS, count), worker);
    } finally {
      await handle.close();
    }
    // A remote object shorter than recorded gets a hash that cannot match.
    return short ? { hash: 'truncated', readOnly: true } : { readOnly: true };
  }

  /**
   * Downloads have no request-size limit, and each request costs a round trip and the SDK's
   * per-request work: ranges are at least 64 MiB even where uploads use smaller parts.
   */
  private get rangeSize(): number {
    return Math.max(this.partSize, DEFAULT_PART_SIZE);
  }

  /** S3 writes are atomic: no temp objects. (A killed push's multipart upload is left to the bucket's lifecycle rules.) */
  async sweepTemps(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private wrap(error: unknown, what: string, key: string): unknown {
    if (error instanceof MlpError) return error;
    const e = error as AwsError;
    const code = e.name ?? e.Code;
    const where = `s3://${this.bucket}/${this.prefix}`;
    const status = e.$metadata?.httpStatusCode;
    if (code === 'NoSuchBucket') {
      return new MlpError(`the bucket '${this.bucket}' does not exist`, {
        hint: `create it (e.g. \`aws s3 mb s3://${this.bucket}\`) or fix the url: \`mlp remote modify ${this.name} url s3://<bucket>/<prefix>\``,
        cause: error,
      });
    }
    if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'CredentialsProviderError', 'InvalidClientTokenId'].includes(code ?? '') || /Could not load credentials/i.test(e.message)) {
      return new MlpError(`S3 rejected the credentials for ${where} (${code})`, {
        hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE, or set keys with `mlp remote modify --local <name> access_key_id …`',
        cause: error,
      });
    }
    if (code === 'AccessDenied' || status === 403) {
      return new MlpError(`permission denied on ${where}: cannot ${what} ${key}`, {
        hint: `the credentials in use may not ${what === 'upload' ? 's3:PutObject' : what === 'list' ? 's3:ListBucket' : what === 'delete' ? 's3:DeleteObject' : 's3:GetObject'} there: ask for access or use other credentials`,
        cause: error,
      });
    }
    const net = e.code ?? (e as { errno?: string }).errno;
    if (this.connected && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(net ?? '')) {
      return new MlpError(`the connection to the S3 endpoint was lost during the transfer (${net})`, {
        hint: 'rerun the same command when the endpoint is reachable: finished objects are kept and nothing is sent twice',
        cause: error,
      });
    }
    if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(net ?? '')) {
      return new MlpError(`cannot reach the S3 endpoint for ${where} (${net})`, {
        hint: 'check endpoint_url / region (`mlp remote list`) and the network; then rerun the same command',
        cause: error,
      });
    }
    if (['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'].includes(net ?? '') || /socket hang up|aborted|premature close/i.test(e.message)) {
      return new MlpError(`the connection to the S3 endpoint was lost during the transfer (${net ?? e.message})`, {
        hint: 'rerun the same command: finished objects are kept and nothing is sent twice',
        cause: error,
      });
    }
    if (code === 'InvalidRequest' || code === 'XAmzContentSHA256Mismatch' || code === 'BadDigest') {
      return new MlpError(`S3 refused the ${what} of ${key}: ${e.message}`, {
        hint: `for S3-compatible stores without the new checksums: \`mlp remote modify ${this.name} checksum when_required\``,
        cause: error,
      });
    }
    return new MlpError(`S3 ${what} of ${key} failed on ${where}: ${code ?? ''} ${e.message}`.trim(), { hint: 'rerun the same command; add -v for details', cause: error });
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as AwsError;
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket');
}
