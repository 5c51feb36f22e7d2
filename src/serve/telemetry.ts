/**
 * The inference log: one JSON line per prediction (time, endpoint, model hash, label,
 * confidence, inference time, input size and sha256 — the raw input only with `--log-inputs`),
 * for `mlp monitor` and for people. When the file passes `maxBytes` it is renamed to `<file>.1`
 * (older ones shift to `.2`, … up to `keep`) and a new one starts, as logrotate would.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface InferenceRecord {
  ts: string;
  endpoint: string;
  model_sha256: string;
  label: string;
  confidence: number;
  inference_time_ms: number;
  input_bytes: number;
  input_sha256: string;
  input?: string;
}

export interface TelemetryOptions {
  file: string;
  maxBytes: number;
  keep: number;
  logInputs: boolean;
}

export class TelemetryLog {
  private fd: number;
  private size: number;

  constructor(private readonly options: TelemetryOptions) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.fd = fs.openSync(options.file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  /** A request's inputs as the log records them: size and hash, and the input itself when asked. */
  describeInput(input: string | Uint8Array): Pick<InferenceRecord, 'input_bytes' | 'input_sha256' | 'input'> {
    const bytes = typeof input === 'string' ? Buffer.from(input) : input;
    return {
      input_bytes: bytes.length,
      input_sha256: createHash('sha256').update(bytes).digest('hex'),
      ...(this.options.logInputs ? { input: typeof input === 'string' ? input : Buffer.from(input).toString('base64') } : {}),
    };
  }

  write(records: InferenceRecord[]): void {
    if (records.length === 0) return;
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    // One append per request: lines from concurrent requests never interleave.
    fs.writeSync(this.fd, text);
    this.size += Buffer.byteLength(text);
    if (this.size >= this.options.maxBytes) this.rotate();
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    const { file, keep } = this.options;
    fs.rmSync(`${file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    fs.renameSync(file, `${file}.1`);
    this.fd = fs.openSync(file, 'a');
    this.size = 0;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
