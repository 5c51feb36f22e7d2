/**
 * Runs waiting in the tracking outbox (`.mlp/tracking/outbox/*.json`, src/tracking/outbox.ts):
 * validated when read, so that a damaged file is a located error naming it, never a run sent
 * half-read to a tracking server.
 */
import type * as V from 'valibot';
import { parseJson, strictMap, mapOf, type FileKind } from './located.js';
import { valibot } from './valibot.js';
import type { RunRecord } from '../tracking/run-record.js';

const RECORD_KIND: FileKind = {
  hint: 'move the file out of .mlp/tracking/outbox/ (the run is then not sent), or fix it; `mlp track status` lists what is pending',
};

let schema: V.GenericSchema<unknown, RunRecord> | undefined;

function recordSchema(): V.GenericSchema<unknown, RunRecord> {
  if (schema) return schema;
  const v = valibot();
  const str = v.string();
  const num = v.pipe(v.number(), v.finite());
  const int = v.pipe(v.number(), v.integer(), v.minValue(0));
  const strings = mapOf(str, 'a mapping of names to strings');
  const step = v.picklist(['start', 'params', 'metrics', 'tags', 'artifacts', 'end'] as const);
  return (schema = strictMap(
    {
      version: v.literal(1),
      uid: v.pipe(str, v.regex(/^[0-9a-f-]{36}$/, 'must be a UUID')),
      pid: int,
      host: str,
      stage: str,
      runName: str,
      destination: strictMap({
        backend: v.picklist(['mlflow', 'wandb'] as const),
        uri: str,
        experiment: str,
        entity: v.optional(str),
      }),
      status: v.picklist(['RUNNING', 'FINISHED', 'FAILED', 'KILLED'] as const),
      startTime: int,
      endTime: v.optional(int),
      params: strings,
      summary: mapOf(num, 'a mapping of metric names to numbers'),
      series: v.array(strictMap({ key: str, value: num, timestamp: int, step: int })),
      tags: strings,
      artifacts: v.array(
        strictMap({
          path: str,
          sha256: v.pipe(str, v.regex(/^[0-9a-f]{64}$/, 'must be a sha256')),
          size: v.optional(int),
          upload: v.optional(v.boolean()),
          files: v.optional(v.array(strictMap({ path: str, sha256: v.pipe(str, v.regex(/^[0-9a-f]{64}$/, 'must be a sha256')), size: int }))),
        }),
      ),
      delivery: strictMap({
        done: v.array(step),
        remote: v.optional(strictMap({ id: str, experimentId: v.optional(str), entity: v.optional(str) })),
        attempts: int,
        lastError: v.optional(str),
      }),
    },
    'a tracked run',
  ) as unknown as V.GenericSchema<unknown, RunRecord>);
}

export function parseRunRecord(text: string, file: string): RunRecord {
  return parseJson(text, file, recordSchema(), RECORD_KIND);
}
