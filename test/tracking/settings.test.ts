/**
 * Tracking settings (src/tracking/settings.ts). The MLflow and W&B clients load only when a run
 * is sent: every `repro` reads the settings, and heavy modules load lazily (ARCHITECTURE.md).
 * Checked on the built modules (dist/) in a child process, whose module loads a resolve hook reports.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { PROJECT_ROOT } from '../helpers/cli.js';

const HOOK = `
let port;
export function initialize(data) { port = data.port; port.on('message', () => port.postMessage('flushed')); }
export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }
`;

/** The tracking modules loaded by the time each of `steps` (code run in the child) is done. */
function modulesLoaded(steps: string[]): string[][] {
  const settings = path.join(PROJECT_ROOT, 'dist/src/tracking/settings.js');
  const script = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const loaded = [];
let flushed;
port1.on('message', (m) => (m === 'flushed' ? flushed() : loaded.push(m)));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] });
const flush = () => new Promise((resolve) => { flushed = resolve; port1.postMessage('flush'); });
const settings = await import(${JSON.stringify(settings)});
const config = {};
const out = [];
${steps.map((step) => `${step}\nawait flush(); out.push(loaded.filter((u) => u.includes('/dist/src/tracking/')).map((u) => u.slice(u.lastIndexOf('/') + 1)));`).join('\n')}
port1.close();
console.log(JSON.stringify(out));
`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as string[][];
}

describe('tracking settings', () => {
  test('reading the settings loads no tracking client; sending to MLflow loads its client only', () => {
    const [afterSettings, afterOpen] = modulesLoaded([
      `settings.trackingSettings('/repo', config, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' }, 'mlflow');`,
      `await settings.openTracker({ backend: 'mlflow', uri: 'http://127.0.0.1:9', experiment: 'x' }, config, {}, 1000);`,
    ]);
    expect(afterSettings).not.toContain('mlflow.js');
    expect(afterSettings).not.toContain('wandb.js');
    expect(afterOpen).toContain('mlflow.js');
    expect(afterOpen).not.toContain('wandb.js');
  });
});
