/**
 * `mlp plots show|diff|templates|modify` through the built CLI in temporary git repositories.
 * The page and the SVG files need the npm packages vega, vega-lite and vega-embed; the browser
 * test also needs playwright-core and Debian's chromium. Tests that need what is not installed
 * are skipped, and say so (`--json` needs none of it).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findLibraries } from '../../src/plots/render/libraries.js';
import { commitFiles, makeRepo, PROJECT_ROOT, runMlp, writeFiles } from '../helpers/cli.js';

const PIPELINE = `stages:
  train:
    cmd: node train.mjs
    deps: [train.mjs]
    plots:
      - logs/history.csv: {x: epoch, y: loss, title: Training loss}
      - logs/confusion.json: {template: confusion, x: actual, y: predicted, cache: false}
plots:
  - accuracy:
      x: epoch
      y: {logs/history.csv: acc, logs/val.csv: acc}
      y_label: accuracy
  - sample.png
`;

/** A stage that writes a training history (loss falling by \`rate\`) and a confusion matrix. */
const train = (rate: number): string => `import fs from 'node:fs';
fs.mkdirSync('logs', { recursive: true });
const rows = ['epoch,loss,acc'];
for (let e = 1; e <= 3; e++) rows.push(\`\${e},\${(1 / (1 + ${rate} * e)).toFixed(3)},\${(0.5 + 0.1 * e).toFixed(2)}\`);
fs.writeFileSync('logs/history.csv', rows.join('\\n') + '\\n');
fs.writeFileSync('logs/confusion.json', JSON.stringify([{ actual: 'cat', predicted: 'cat' }, { actual: 'dog', predicted: 'cat' }, { actual: 'dog', predicted: 'dog' }]));
`;

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A repository whose `train` stage ran and was committed, then ran again with a faster rate (uncommitted). */
function project(): string {
  const dir = makeRepo({ 'pipeline.yaml': PIPELINE, 'train.mjs': train(1), 'logs/val.csv': 'epoch,loss,acc\n1,1.0,0.45\n2,0.7,0.6\n3,0.6,0.65\n', '.gitignore': 'mlp_plots/\n' });
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'sample.png'), PNG);
  expect(runMlp(dir, ['repro']).code).toBe(0);
  commitFiles(dir, {}, 'first run');
  writeFiles(dir, { 'train.mjs': train(3) });
  expect(runMlp(dir, ['repro']).code).toBe(0);
  return dir;
}

function vegaInstalled(): boolean {
  try {
    findLibraries();
    return true;
  } catch {
    return false;
  }
}
const withVega = vegaInstalled() ? test : test.skip;
if (!vegaInstalled()) console.warn('plots e2e: vega, vega-lite and vega-embed are not installed: the page and SVG tests are skipped');

interface JsonPlot {
  id: string;
  type: string;
  x?: string;
  y?: string;
  data?: Array<Record<string, unknown>>;
  spec?: unknown;
  images?: Array<{ rev: string; path?: string }>;
  problems: unknown[];
}

function showJson(dir: string, args: string[]): { revisions: string[]; plots: JsonPlot[] } {
  const result = runMlp(dir, args);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { revisions: string[]; plots: JsonPlot[] };
}

describe('mlp plots', () => {
  test('show --json: every plot with its spec and data; images written to the output folder', () => {
    const dir = project();
    const out = showJson(dir, ['plots', 'show', '--json']);
    expect(out.revisions).toEqual(['workspace']);
    expect(out.plots.map((p) => [p.id, p.type])).toEqual([
      ['logs/history.csv', 'vega'],
      ['logs/confusion.json', 'vega'],
      ['accuracy', 'vega'],
      ['sample.png', 'image'],
    ]);
    const history = out.plots[0] as JsonPlot;
    expect(history.data?.map((d) => d.loss)).toEqual([0.25, 0.143, 0.1]);
    expect(JSON.stringify(history.spec)).toContain('"Training loss"');
    const image = out.plots[3]?.images?.[0];
    expect(image?.rev).toBe('workspace');
    expect(fs.readFileSync(image?.path as string)).toEqual(PNG);
  });

  test('diff: HEAD (a cached plot, read through its lock and the cache) against the workspace', () => {
    const dir = project();
    const out = showJson(dir, ['plots', 'diff', '--json', '--targets', 'logs/history.csv']);
    expect(out.revisions).toEqual(['HEAD', 'workspace']);
    const history = out.plots[0] as JsonPlot;
    expect(history.problems).toEqual([]);
    expect(history.data?.map((d) => [d.rev, d.loss])).toEqual([
      ['HEAD', 0.5],
      ['HEAD', 0.333],
      ['HEAD', 0.25],
      ['workspace', 0.25],
      ['workspace', 0.143],
      ['workspace', 0.1],
    ]);
  });

  test('a cached directory plot at a revision: its files found through the lock and the directory manifest', () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  curves:\n    cmd: node curves.mjs\n    deps: [curves.mjs]\n    plots: [{curves: {x: epoch}}]\n',
      'curves.mjs': "import fs from 'node:fs'; fs.mkdirSync('curves/val', { recursive: true }); fs.writeFileSync('curves/val/loss.csv', 'epoch,loss\\n1,0.5\\n');\n",
    });
    made.push(dir);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    commitFiles(dir, {}, 'curves');
    writeFiles(dir, { 'curves.mjs': "import fs from 'node:fs'; fs.mkdirSync('curves/val', { recursive: true }); fs.writeFileSync('curves/val/loss.csv', 'epoch,loss\\n1,0.25\\n');\n" });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const out = showJson(dir, ['plots', 'diff', '--json', '--targets', 'curves']);
    expect(out.plots.map((p) => [p.id, p.data?.map((d) => [d.rev, d.loss]), p.problems])).toEqual([
      [
        'curves/val/loss.csv',
        [
          ['HEAD', 0.5],
          ['workspace', 0.25],
        ],
        [],
      ],
    ]);
  });

  test('diff between two commits and an experiment, by name', () => {
    const dir = project();
    commitFiles(dir, {}, 'second run');
    writeFiles(dir, { 'train.mjs': train(9) });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const saved = runMlp(dir, ['exp', 'save', '-n', 'fast']);
    expect(saved.code).toBe(0);
    const out = showJson(dir, ['plots', 'diff', 'HEAD~1', 'HEAD', 'fast', '--json', '--targets', 'train']);
    expect(out.revisions).toEqual(['HEAD~1', 'HEAD', 'fast']);
    const history = out.plots.find((p) => p.id === 'logs/history.csv') as JsonPlot;
    expect(history.data?.filter((d) => d.epoch === 1).map((d) => [d.series, d.loss])).toEqual([
      ['HEAD~1', 0.5],
      ['HEAD', 0.25],
      ['fast', 0.1],
    ]);
    expect(out.plots.map((p) => p.id)).toEqual(['logs/history.csv', 'logs/confusion.json']);
  });

  test('an unknown revision or target is a usage error (exit 2) with a hint', () => {
    const dir = project();
    const badRev = runMlp(dir, ['plots', 'diff', 'no-such-rev', '--json']);
    expect(badRev.code).toBe(2);
    expect(badRev.stderr).toMatch(/unknown experiment or revision 'no-such-rev'/);
    const badTarget = runMlp(dir, ['plots', 'show', 'acuracy', '--json']);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toMatch(/did you mean 'accuracy'/);
  });

  test('templates: the built-ins listed; one printed is a Vega-Lite spec with anchors', () => {
    const dir = project();
    const list = runMlp(dir, ['plots', 'templates']);
    expect(list.code).toBe(0);
    for (const name of ['linear', 'simple', 'scatter', 'smooth', 'confusion', 'confusion_normalized', 'bar_horizontal', 'bar_horizontal_sorted']) expect(list.stdout).toMatch(new RegExp(`^${name} +built-in$`, 'm'));
    const linear = runMlp(dir, ['plots', 'templates', 'linear']);
    expect(JSON.parse(linear.stdout)).toMatchObject({ data: { values: '<MLP_DATA>' }, encoding: { x: { field: '<MLP_X>' } } });
  });

  test('modify: sets and unsets props in pipeline.yaml (comments kept), and show uses them', () => {
    const dir = project();
    writeFiles(dir, { 'pipeline.yaml': `# my pipeline\n${PIPELINE}` });
    const set = runMlp(dir, ['plots', 'modify', 'logs/history.csv', '-t', 'scatter', '--y-label', 'Loss']);
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe("modified plot 'logs/history.csv' in pipeline.yaml\n");
    const text = fs.readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8');
    expect(text).toMatch(/^# my pipeline/);
    expect(text).toMatch(/template: scatter/);
    const top = runMlp(dir, ['plots', 'modify', 'accuracy', '--unset', 'y_label', '--title', 'Accuracy']);
    expect(top.code).toBe(0);
    const out = showJson(dir, ['plots', 'show', '--json', 'logs/history.csv', 'accuracy']);
    expect(JSON.stringify(out.plots[0]?.spec)).toContain('"Loss"');
    expect(out.plots.map((p) => (p.spec as { title?: string }).title)).toEqual(['Training loss', 'Accuracy']);
    const bad = runMlp(dir, ['plots', 'modify', 'logs/history.csv', '-t', 'no-such']);
    expect(bad.code).toBe(2);
  });

  withVega('show -o dir: one offline HTML page holding the libraries and the data, no external URL', () => {
    const dir = project();
    const result = runMlp(dir, ['plots', 'show', '-o', 'out']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`4 plots: logs/history.csv, logs/confusion.json, accuracy, sample.png\nfile://${path.join(fs.realpathSync(dir), 'out/index.html')}\n`);
    const html = fs.readFileSync(path.join(dir, 'out/index.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    expect(html).toContain('"loss":0.143');
    expect(html).toContain(`data:image/png;base64,${PNG.toString('base64')}`);
    expect(html).toMatch(/vega-embed \d+\.\d+\.\d+/);
    // A folder mlp did not write is not replaced.
    fs.mkdirSync(path.join(dir, 'mine'));
    fs.writeFileSync(path.join(dir, 'mine/notes.txt'), 'keep me');
    const refused = runMlp(dir, ['plots', 'show', '-o', 'mine']);
    expect(refused.code).toBe(2);
    expect(fs.readFileSync(path.join(dir, 'mine/notes.txt'), 'utf8')).toBe('keep me');
  });

  withVega('--svg: static SVG files rendered in Node, with marks and axis titles', () => {
    const dir = project();
    const result = runMlp(dir, ['plots', 'diff', '--svg', '-o', 'out']);
    expect(result.code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual(['.mlp-plots', 'HEAD_sample.png', 'accuracy.svg', 'index.html', 'logs_confusion.svg', 'logs_history.svg', 'workspace_sample.png']);
    const svg = fs.readFileSync(path.join(dir, 'out/logs_history.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Training loss');
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>HEAD</text>');
    expect(svg).toMatch(/class="mark-line role-mark/);
  });

  withVega('metrics diff --md --plots: the plots of both revisions as SVG files, embedded after the table', () => {
    const dir = project();
    const result = runMlp(dir, ['metrics', 'diff', '--md', '--plots', 'report']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('\n**Plots** (HEAD vs workspace):\n\n![logs/history.csv](report/logs_history.svg)\n\n![logs/confusion.json](report/logs_confusion.svg)\n\n![accuracy](report/accuracy.svg)\n\n![sample.png](report/HEAD_sample.png)\n\n![sample.png](report/workspace_sample.png)\n');
    expect(fs.readFileSync(path.join(dir, 'report/logs_history.svg'), 'utf8')).toContain('>workspace</text>');
    const alone = runMlp(dir, ['metrics', 'diff', '--plots', 'report']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('error: --plots embeds the plots in Markdown: give it with --md');
  });
});

/** playwright-core where Node finds it (CommonJS: NODE_PATH counts), and Debian's chromium. */
function browserKit(): { chromium: { launch(options: object): Promise<Browser> } } | undefined {
  if (!vegaInstalled() || !fs.existsSync('/usr/bin/chromium')) return undefined;
  // jest's own require leaves NODE_PATH out: its folders are tried by path.
  const nodePath = (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const from of [import.meta.url, ...nodePath.map((dir) => path.join(dir, 'index.js'))]) {
    try {
      return createRequire(from)('playwright-core') as { chromium: { launch(options: object): Promise<Browser> } };
    } catch {
      // not there
    }
  }
  return undefined;
}

interface Page {
  on(event: string, listener: (arg: { type?(): string; text?(): string; url?(): string; message?: string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: string, arg?: unknown, options?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface Browser {
  newPage(options: object): Promise<Page>;
  close(): Promise<void>;
}

const kit = browserKit();
if (!kit) console.warn('plots e2e: playwright-core, chromium or vega missing: the browser test is skipped');

(kit ? test : test.skip)('the page draws in a real headless browser, offline: marks in every chart, no console error, no request', async () => {
  const dir = project();
  expect(runMlp(dir, ['plots', 'diff', '-o', 'out']).code).toBe(0);
  const browser = await (kit as NonNullable<typeof kit>).chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type?.() === 'error') problems.push(m.text?.() ?? '');
    });
    page.on('pageerror', (e) => problems.push(e.message ?? String(e)));
    page.on('request', (r) => {
      const url = r.url?.() ?? '';
      if (!url.startsWith('file:') && !url.startsWith('data:')) requests.push(url);
    });
    await page.goto(`file://${path.join(dir, 'out/index.html')}`);
    await page.waitForFunction("document.querySelectorAll('.vega svg.marks').length === document.querySelectorAll('.vega').length", undefined, { timeout: 20000 });
    const marks = await page.evaluate<number[]>("[...document.querySelectorAll('.vega svg.marks')].map((s) => s.querySelectorAll('path, rect, text').length)");
    expect(marks).toHaveLength(3);
    for (const n of marks) expect(n).toBeGreaterThan(10);
    expect(await page.evaluate<number>("document.querySelectorAll('figure img').length")).toBe(2);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    // Kept for people to look at: test-artifacts/ is git-ignored.
    const artifacts = path.join(PROJECT_ROOT, 'test-artifacts');
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'plots-diff.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});



