/**
 * `drift.json`, the report `mlp monitor` writes: `{drift, model, tests: [{name, method, statistic,
 * threshold, p_value?, drift}], created}`. This is the reader's view (today `mlp serve
 * --drift-report`): objects are loose, so a report with more fields (a newer mlp) still reads, and
 * only the fields a reader uses are checked.
 */
import type * as V from 'valibot';
import { parseJson, type FileKind } from './located.js';
import { valibot } from './valibot.js';

export interface DriftTest {
  name: string;
  method?: string;
  /** null when the test could not be computed (e.g. too few samples). */
  statistic: number | null;
  threshold?: number | null;
  p_value?: number | null;
  drift: boolean;
}

export interface DriftReport {
  drift: boolean;
  tests: DriftTest[];
  /** ISO 8601 time the report was written. */
  created?: string;
}

const DRIFT_REPORT_KIND: FileKind = { hint: 'run `mlp monitor` again to rewrite it' };

let schema: V.GenericSchema<unknown, DriftReport> | undefined;

function driftReportSchema(): V.GenericSchema<unknown, DriftReport> {
  const v = valibot();
  const bool = v.boolean((issue) => `must be true or false, got ${issue.received}`);
  const num = v.nullable(v.number((issue) => `must be a number or null, got ${issue.received}`));
  const test = v.looseObject(
    {
      name: v.pipe(v.string((issue) => `must be a string, got ${issue.received}`), v.minLength(1, 'must not be empty')),
      method: v.optional(v.string()),
      statistic: num,
      threshold: v.optional(num),
      p_value: v.optional(num),
      drift: bool,
    },
    (issue) => `must be a mapping with name, statistic and drift, got ${issue.received}`,
  );
  return (schema ??= v.looseObject(
    {
      drift: bool,
      tests: v.optional(v.array(test, (issue) => `must be a list of tests, got ${issue.received}`), []),
      created: v.optional(v.string((issue) => `must be an ISO 8601 time, got ${issue.received}`)),
    },
    (issue) => `must be a mapping with \`drift\` and \`tests\`, got ${issue.received}`,
  ) as V.GenericSchema<unknown, DriftReport>);
}

/** Validates the text of a drift report; `file` names it in errors (exit 3, located). */
export function parseDriftReport(text: string, file: string): DriftReport {
  return parseJson(text, file, driftReportSchema(), DRIFT_REPORT_KIND);
}
