/**
 * The monitoring files in monitoring/: the Prometheus alerting rules (checked and unit-tested by
 * promtool), and the rules and the Grafana dashboard against what a running `mlp serve` really
 * exports — every metric they name exists, and every dashboard query and rule runs on a real
 * Prometheus scraping it.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT, tempDir, writeFiles } from '../helpers/cli.js';
import { havePrometheus, startPrometheus } from '../helpers/prometheus.js';
import { post, startServe, stopAll, trainModel, type Server } from '../helpers/serve.js';

jest.setTimeout(120_000);

const RULES = path.join(PROJECT_ROOT, 'monitoring', 'prometheus', 'alerts.yml');
const DASHBOARD = path.join(PROJECT_ROOT, 'monitoring', 'grafana', 'mlp-serve.json');

interface Rule {
  alert: string;
  expr: string;
}

function ruleExprs(): Rule[] {
  const doc = parse(fs.readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function dashboardExprs(): { title: string; expr: string }[] {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const all = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...all(p.panels ?? [])]);
  return all(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
}

/** The dashboard's variables as Grafana would fill them for one server scraped as job mlp-serve. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'mlp-serve').replaceAll('$instance', '.*');
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression selects (strings, label matchers, ranges, grouping and functions taken out). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ');
  return [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:]*\s*\()/g)].map((m) => m[1]!).filter((n) => !KEYWORDS.has(n.toLowerCase()));
}

/** Every series name `/metrics` text can hold: counters and gauges as typed, histograms' parts. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name! + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name! + suffix);
    else names.add(name!);
  }
  return names;
}

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await stopAll(servers);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('monitoring/', () => {
  test('metricNames finds the metrics of an expression and nothing else', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route=~"/x|y{2}", job="j"}[5m] offset 1h))) > 0.5 and on (instance) b_total')).toEqual(['a_bucket', 'b_total']);
    expect(metricNames('time() - max(c_seconds{x="y"}) > 2 * 86400 unless up == 0')).toEqual(['c_seconds', 'up']);
  });

  test('the alerting rules pass `promtool check rules` and their unit tests (`promtool test rules`)', () => {
    if (!havePrometheus()) return; // promtool comes with Debian's prometheus; CI installs it
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect([check.status, check.stdout]).toEqual([0, expect.stringContaining(`SUCCESS: ${ruleExprs().length} rules found`)]);
    const unit = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml', 'alerts.daily.test.yml'], { cwd: path.dirname(RULES), encoding: 'utf8' });
    expect(unit.stdout + unit.stderr).toBe('Unit Testing:  alerts.test.yml\n  SUCCESS\n\nUnit Testing:  alerts.daily.test.yml\n  SUCCESS\n\n');
    // The example configuration loads them.
    const config = spawnSync('promtool', ['check', 'config', path.join(path.dirname(RULES), 'prometheus.yml')], { encoding: 'utf8' });
    expect(config.status).toBe(0);
  });

  test('every metric the rules and the dashboard name is exported by mlp serve, and each query and rule runs on a real Prometheus', async () => {
    const dir = tempDir();
    dirs.push(dir);
    trainModel(dir);
    writeFiles(dir, {
      'drift.json': JSON.stringify({ drift: true, model: {}, tests: [{ name: 'confidence_ks', method: 'ks', statistic: 0.4, threshold: 0.05, p_value: 0.001, drift: true }], created: new Date().toISOString() }),
    });
    const server = await startServe(dir, ['model', '--drift-report', 'drift.json'], servers);
    // Traffic on the routes the rules and panels select, so their histograms have buckets.
    await post(`${server.url}/predict`, { texts: ['win free cash now', 'see you at lunch mom'] });
    await post(`${server.url}/v2/models/text/infer`, { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['free prize'] }] });
    await post(`${server.url}/predict`, { nothing: 1 });
    const exported = exportedNames(await (await fetch(`${server.url}/metrics`)).text());
    exported.add('up'); // written by Prometheus for every target

    const rules = ruleExprs();
    const panels = dashboardExprs();
    const named = (list: { expr: string }[]): Set<string> => new Set(list.flatMap((r) => metricNames(r.expr)));
    const missing = (list: { expr: string }[]): string[] => [...named(list)].filter((n) => !exported.has(n));
    expect(missing(rules)).toEqual([]);
    expect(missing(panels)).toEqual([]);
    // The check sees what it should: each alert's and panel's main metrics.
    expect([...named(rules)].sort()).toEqual(
      ['mlp_drift_detected', 'mlp_drift_report_timestamp_seconds', 'mlp_http_request_duration_seconds_bucket', 'mlp_http_requests_total', 'mlp_prediction_confidence_count', 'mlp_prediction_confidence_sum', 'up'].sort(),
    );
    expect(named(panels)).toEqual(new Set([...named(panels)].filter((n) => exported.has(n))));
    expect(panels.length).toBeGreaterThanOrEqual(15);

    if (!havePrometheus()) return;
    const prometheus = await startPrometheus(path.join(dir, 'prometheus'), [server.url.replace('http://', '')], { ruleFiles: [RULES] });
    try {
      await prometheus.poll('mlp_model_info', (s) => s.length === 1);
      // Grafana's variables: the job and instance lists come from mlp_model_info's labels.
      const jobs = (await (await fetch(`${prometheus.url}/api/v1/label/job/values?match[]=mlp_model_info`)).json()) as { data: string[] };
      expect(jobs.data).toEqual(['mlp-serve']);
      for (const { title, expr } of panels) {
        await expect(prometheus.query(substitute(expr)).then(() => title)).resolves.toBe(title);
      }
      // Two scrapes later the rate-based panels have data: the route regex matches the v2 route too.
      const routes = await prometheus.poll(substitute(panels.find((p) => p.title === 'Requests per second by route')!.expr), (s) => s.length >= 2);
      expect(routes.map((s) => s.metric.route).sort()).toEqual(expect.arrayContaining(['/predict', '/v2/models/{name}/infer']));
      // A quantile of rates needs requests between two scrapes.
      let sending = true;
      const traffic = (async () => {
        while (sending) {
          await post(`${server.url}/predict`, { text: 'free prize' });
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        await prometheus.poll(substitute(panels.find((p) => p.title === 'Prediction latency')!.expr), (s) => s.length === 1 && s[0]!.value[1] !== 'NaN');
      } finally {
        sending = false;
        await traffic;
      }

      // Every rule loads and evaluates without error; the drift alert goes pending on the report.
      const rulesApi = async (): Promise<{ name: string; health: string; lastError?: string }[]> =>
        ((await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } }).data.groups.flatMap((g) => g.rules);
      const deadline = Date.now() + 20_000;
      let loaded = await rulesApi();
      while (loaded.some((r) => r.health !== 'ok') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300));
        loaded = await rulesApi();
      }
      expect(loaded.map((r) => [r.name, r.health, r.lastError ?? ''])).toEqual(rules.map((r) => [r.alert, 'ok', '']));
      await prometheus.poll('ALERTS{alertname="MlpDriftDetected"}', (s) => s.length === 1);
      expect(await prometheus.query('ALERTS{alertname!="MlpDriftDetected"}')).toEqual([]);
    } finally {
      await prometheus.stop();
    }
  });
});
