/** The drift report as gauges: absent without a readable report, read again only when it changes. */
import fs from 'node:fs';
import path from 'node:path';
import { DriftGauges, type DriftReportStatus } from '../../src/serve/drift-gauges.js';
import { tempDir } from '../helpers/cli.js';

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const report = (drift: boolean, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ drift, model: {}, tests: [{ name: 'length_ks', method: 'ks', statistic: 0.5, threshold: 0.05, p_value: 0.001, drift }, { name: 'oov_rate', statistic: null, drift: false }], ...extra });

describe('DriftGauges', () => {
  test('a report becomes gauges; a test whose statistic is null has no statistic series', async () => {
    const file = path.join(dir, 'drift.json');
    fs.writeFileSync(file, report(true, { created: '2026-11-30T00:00:00Z', future_field: 1 }));
    const text = await new DriftGauges(file).metrics();
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples).toEqual([
      'mlp_drift_detected 1',
      'mlp_drift_report_timestamp_seconds 1795996800',
      'mlp_drift_test_detected{test="length_ks"} 1',
      'mlp_drift_test_detected{test="oov_rate"} 0',
      'mlp_drift_statistic{test="length_ks"} 0.5',
      'mlp_drift_threshold{test="length_ks"} 0.05',
      'mlp_drift_p_value{test="length_ks"} 0.001',
    ]);
  });

  test('without `created` the timestamp is the file time', async () => {
    const file = path.join(dir, 'drift.json');
    fs.writeFileSync(file, report(false));
    fs.utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(await new DriftGauges(file).metrics()).toContain('mlp_drift_report_timestamp_seconds 1700000000\n');
  });

  test('missing or broken: no gauges, and one status change each, not one per scrape', async () => {
    const file = path.join(dir, 'drift.json');
    const changes: DriftReportStatus[] = [];
    const gauges = new DriftGauges(file, (s) => changes.push(s));
    expect(await gauges.metrics()).toBe('');
    expect(await gauges.metrics()).toBe('');
    fs.writeFileSync(file, report(false));
    expect(await gauges.metrics()).toContain('mlp_drift_detected 0\n');
    fs.writeFileSync(file, '{"drift": false, "tests": [{"name": "x"}]}');
    expect(await gauges.metrics()).toBe('');
    expect(await gauges.metrics()).toBe('');
    expect(changes.map((c) => (c.ok ? `ok ${c.drift}` : c.error.message))).toEqual([
      `no drift report at ${file}`,
      'ok false',
      `${file}:1:28: missing key 'statistic' in tests[0]`,
    ]);
  });
});
