/**
 * A window of the inference log `mlp serve` writes (src/serve/telemetry.ts): the file and its
 * rotated predecessors (`<file>.1` … `<file>.N`, oldest last), read oldest first, the records of
 * one model, then `--since` (a time or an age) and `--last N`.
 */
import fs from 'node:fs';
import { ExitCode, MlpError, errorCode } from '../errors.js';
import type { InferenceRecord } from '../serve/telemetry.js';

export interface WindowOptions {
  /** The current log file (rotated files beside it are read too). */
  file: string;
  /** Only records of this model (the sha256 the log records). */
  modelSha256: string;
  /** Records at or after this time. */
  since?: Date;
  /** The last N records (after `since`). */
  last?: number;
}

export interface TelemetryWindow {
  records: InferenceRecord[];
  /** Files read, oldest first. */
  files: string[];
  /** Records of other models skipped. */
  otherModels: number;
}

export function readTelemetryWindow(options: WindowOptions): TelemetryWindow {
  const files = logFiles(options.file);
  if (files.length === 0) {
    throw new MlpError(`no telemetry at ${options.file}`, {
      hint: 'run `mlp serve <model-dir> --log-inputs` (it logs to telemetry/inferences.jsonl) and point --telemetry at its log, or compare a CSV or directory of inputs with --inputs',
    });
  }
  const records: InferenceRecord[] = [];
  let otherModels = 0;
  const since = options.since?.getTime();
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const record = parseRecord(line, file, i + 1);
      if (record.model_sha256 !== options.modelSha256) {
        otherModels++;
        return;
      }
      if (since !== undefined && Date.parse(record.ts) < since) return;
      records.push(record);
    });
  }
  const window = options.last !== undefined && records.length > options.last ? records.slice(records.length - options.last) : records;
  if (window.length === 0) {
    const why = otherModels > 0 && records.length === 0 && options.since === undefined ? `its ${otherModels} record${otherModels === 1 ? ' is' : 's are'} of other models` : 'no record is in the window';
    throw new MlpError(`no inferences of model ${options.modelSha256.slice(0, 12)} in ${options.file}: ${why}`, {
      hint: 'serve this model (`mlp serve <model-dir> --log-inputs`) and send it requests, or widen --since/--last',
    });
  }
  return { records: window, files, otherModels };
}

/** `<file>.N` … `<file>.1`, then `<file>`: the order they were written in. */
function logFiles(file: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; fs.existsSync(`${file}.${i}`); i++) rotated.unshift(`${file}.${i}`);
  let current: string[] = [];
  try {
    if (fs.statSync(file).isFile()) current = [file];
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  return [...rotated, ...current];
}

function parseRecord(line: string, file: string, lineNumber: number): InferenceRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw invalid(file, lineNumber, `not JSON (${(error as Error).message})`);
  }
  const r = value as Partial<InferenceRecord> | null;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw invalid(file, lineNumber, 'not a JSON object');
  for (const key of ['ts', 'model_sha256', 'label'] as const) {
    if (typeof r[key] !== 'string') throw invalid(file, lineNumber, `"${key}" is missing or not a string`);
  }
  if (typeof r.confidence !== 'number' || !Number.isFinite(r.confidence)) throw invalid(file, lineNumber, '"confidence" is missing or not a number');
  if (Number.isNaN(Date.parse(r.ts!))) throw invalid(file, lineNumber, `"ts" is not a time: ${JSON.stringify(r.ts)}`);
  if (r.input !== undefined && typeof r.input !== 'string') throw invalid(file, lineNumber, '"input" is not a string');
  return r as InferenceRecord;
}

function invalid(file: string, line: number, message: string): MlpError {
  return new MlpError(`${file}:${line}: ${message}`, {
    hint: 'each line must be an inference record as `mlp serve` writes it (ts, model_sha256, label, confidence, input)',
    exitCode: ExitCode.invalidPipeline,
  });
}

/**
 * `--since`: an ISO time (`2026-11-30T12:00:00Z`, `2026-11-30`) or an age before now
 * (`30m`, `24h`, `7d`, `90s`).
 */
export function parseSince(value: string, now = Date.now()): Date {
  const age = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (age) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[age[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(age[1]) * unit * 1000);
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new MlpError(`--since ${JSON.stringify(value)} is neither a time nor an age`, { hint: 'e.g. --since 24h, --since 7d, --since 2026-11-30T12:00:00Z', exitCode: ExitCode.usage });
  }
  return new Date(time);
}
