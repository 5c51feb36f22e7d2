/**
 * The drift gauges of `mlp serve --drift-report <drift.json>`: on every scrape of /metrics the
 * report `mlp monitor` last wrote is exposed as gauges, so Prometheus can alert on drift and
 * Grafana can plot the test statistics next to the traffic that produced them.
 *
 *   mlp_drift_detected                    1 if the report found drift, else 0
 *   mlp_drift_test_detected{test}         1 if this test found drift, else 0
 *   mlp_drift_statistic{test}             the test's statistic (KS D, PSI, ROC-AUC, MMD², …)
 *   mlp_drift_threshold{test}             the threshold it was judged against
 *   mlp_drift_p_value{test}               its p-value, for the tests that have one
 *   mlp_drift_report_timestamp_seconds    when the report was written (its `created`, else the file's mtime)
 *
 * `test` is the test's name in the report: a fixed, small set per model kind, so the label stays
 * low-cardinality. The file is read again only when its stat signature changes. A missing or
 * unreadable report means the gauges are absent (not 0: "no drift" must not be claimed without a
 * report), never a failed scrape; `onChange` hears when it becomes unreadable or readable again.
 */
import fs from 'node:fs';
import { Gauge, Registry } from 'prom-client';
import { MlpError } from '../errors.js';
import { parseDriftReport, type DriftReport } from '../schema/drift-report.js';
import { statSignature } from '../util/stat-signature.js';

export type DriftReportStatus = { ok: true; drift: boolean; tests: number } | { ok: false; error: Error };

export class DriftGauges {
  private cached: { signature: string; text: string; status: DriftReportStatus } | undefined;
  private lastStatus: string | undefined;

  constructor(
    readonly file: string,
    private readonly onChange: (status: DriftReportStatus) => void = () => {},
  ) {}

  /** The gauges in Prometheus' text format ('' when the report cannot be read). */
  async metrics(): Promise<string> {
    const { text, status } = await this.read();
    const key = status.ok ? `ok:${status.drift}:${status.tests}` : `error:${status.error.message}`;
    if (key !== this.lastStatus) {
      this.lastStatus = key;
      this.onChange(status);
    }
    return text;
  }

  private async read(): Promise<{ text: string; status: DriftReportStatus }> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.file);
    } catch (error) {
      this.cached = undefined;
      const code = (error as NodeJS.ErrnoException).code;
      const message = code === 'ENOENT' ? `no drift report at ${this.file}` : `cannot read the drift report ${this.file} (${code ?? (error as Error).message})`;
      return { text: '', status: { ok: false, error: new MlpError(message, { hint: 'run `mlp monitor` to write it' }) } };
    }
    const signature = statSignature(stat).join(':');
    if (this.cached?.signature === signature) return this.cached;
    let result: { text: string; status: DriftReportStatus };
    try {
      const report = parseDriftReport(await fs.promises.readFile(this.file, 'utf8'), this.file);
      result = { text: await gaugeText(report, stat.mtimeMs), status: { ok: true, drift: report.drift, tests: report.tests.length } };
    } catch (error) {
      const cause = error as NodeJS.ErrnoException;
      result = { text: '', status: { ok: false, error: error instanceof MlpError ? error : new MlpError(`cannot read the drift report ${this.file} (${cause.code ?? cause.message})`, { cause }) } };
    }
    this.cached = { signature, ...result };
    return result;
  }
}

/** The report as gauges, in a registry of their own (built per report, not per scrape). */
async function gaugeText(report: DriftReport, mtimeMs: number): Promise<string> {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> => new Gauge({ name, help, labelNames, registers: [registry] });
  gauge('mlp_drift_detected', 'Whether the last drift report found drift (1) or not (0)').set(report.drift ? 1 : 0);
  const created = report.created === undefined ? Number.NaN : Date.parse(report.created);
  gauge('mlp_drift_report_timestamp_seconds', 'When the last drift report was written, in seconds since the epoch').set(Number.isFinite(created) ? created / 1000 : mtimeMs / 1000);
  if (report.tests.length > 0) {
    const detected = gauge('mlp_drift_test_detected', 'Whether this drift test found drift (1) or not (0)', ['test']);
    const statistic = gauge('mlp_drift_statistic', "The drift test's statistic", ['test']);
    const threshold = gauge('mlp_drift_threshold', 'The threshold the drift statistic (or p-value) is judged against', ['test']);
    const pValue = gauge('mlp_drift_p_value', "The drift test's p-value, for the tests that have one", ['test']);
    for (const test of report.tests) {
      const labels = { test: test.name };
      detected.set(labels, test.drift ? 1 : 0);
      if (test.statistic !== null) statistic.set(labels, test.statistic);
      if (test.threshold !== undefined && test.threshold !== null) threshold.set(labels, test.threshold);
      if (test.p_value !== undefined && test.p_value !== null) pValue.set(labels, test.p_value);
    }
  }
  return registry.metrics();
}
