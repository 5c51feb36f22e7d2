/** How `mlp deploy`, `deploy status` and `deploy rollback` results read on a terminal. */
import type { DeployResult } from '../deploy/deploy.js';
import type { ActivateResult, HostStatus, VersionInfo } from '../deploy/protocol.js';
import { plural } from './plural.js';
import { formatBytes } from './render.js';
import { renderTable } from './table.js';

const short = (v: VersionInfo): string => v.id;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const lineage = (v: VersionInfo): string => {
  const s = v.source ?? {};
  const parts = [s.stage ? `stage ${s.stage}` : '', s.commit ? `commit ${s.commit.slice(0, 7)}` : ''].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
};

export function renderSending(files: number, bytes: number, total: number, host: string): string {
  return files === 0 ? `The host ${host} has all ${plural(total, 'model file')}: nothing to send` : `Sending ${files} of ${plural(total, 'model file')} (${formatBytes(bytes)}) to ${host}`;
}

/** The lines of a deploy that went live (or already was); failures are errors, see `deployFailure`. */
export function renderDeployed(result: DeployResult): string {
  const lines: string[] = [];
  if (result.outcome === 'unchanged') {
    lines.push(`${result.target}: version ${short(result.version)} is already live at ${result.url}${result.pid !== undefined ? ` (pid ${result.pid})` : ''}; nothing changed`);
  } else {
    lines.push(`Deployed version ${short(result.version)}${lineage(result.version)} to ${result.target}: ${result.url} answers /ready and /health (pid ${result.pid ?? '?'}, ${seconds(result.waited_ms)})`);
    if (result.previous) lines.push(`Previous version ${short(result.previous)} is kept: \`mlp deploy rollback ${result.target}\` goes back to it`);
  }
  if (result.pruned.length > 0) lines.push(`Removed ${plural(result.pruned.length, 'old version')}: ${result.pruned.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function renderRolledBackTo(result: ActivateResult & { target: string }): string {
  return `Rolled ${result.target} back from version ${result.previous ? short(result.previous) : '?'} to ${short(result.version)}: ${result.url} answers /ready and /health (pid ${result.pid ?? '?'}, ${seconds(result.waited_ms)})\n`;
}

/** The error message and hint for a version that did not become healthy. */
export function deployFailure(result: ActivateResult & { target: string }, what: 'deploy' | 'rollback'): { message: string; hint: string } {
  const log = result.log ? `\n${result.log.split('\n').map((l) => `  | ${l}`).join('\n')}` : '';
  // A failed deploy goes back to the version live before; a failed rollback to the one it left.
  const live = result.previous;
  let after: string;
  if (result.outcome === 'failed') after = 'nothing runs now (there was no earlier version to go back to)';
  else if (result.restored) after = `rolled back: version ${live ? short(live) : '?'} is live again at ${result.url}`;
  else after = `version ${live ? short(live) : '?'} was started again but does not answer either: check the host`;
  if (what === 'rollback' && result.restored) after = `version ${live ? short(live) : '?'} stays live at ${result.url}`;
  return {
    message: `${what === 'rollback' ? 'the rollback failed: ' : ''}version ${result.version.id} of ${result.target} did not become healthy: ${result.reason ?? 'unknown reason'}; ${after}${log}`,
    hint: `the host's log is logs/serve.log in the deploy directory; \`mlp deploy status ${result.target}\` shows the versions`,
  };
}

export function renderStatus(status: HostStatus & { target: string; host: string }): string {
  const lines: string[] = [`${status.target}: ${status.host}:${status.root}`];
  const sup = status.supervisor;
  if (!sup || !sup.running) {
    lines.push(`  not running${status.current ? ` (current: ${status.current})` : ''}${sup?.last_exit ? `; last exit: ${sup.last_exit}` : ''}`);
  } else {
    const h = status.health;
    const health = !h ? 'unknown' : h.error ? `not answering (${h.error})` : `${h.live ? 'healthy' : 'unhealthy'}, ${h.ready ? 'ready' : 'not ready'}`;
    lines.push(`  live: ${sup.version ?? '?'} at ${status.url}, ${health}; pid ${sup.serve_pid ?? '(restarting)'} (supervisor ${sup.pid}, ${plural(sup.restarts, 'restart')}${sup.last_exit ? `, last exit: ${sup.last_exit}` : ''})`);
  }
  if (status.versions.length === 0) {
    lines.push('  no versions');
    return `${lines.join('\n')}\n`;
  }
  const rows = status.versions.map((v) => [
    `${v.id === status.current ? '*' : ' '} ${v.id}`,
    v.deployed_at.replace(/\.\d+Z$/, 'Z'),
    v.status,
    `${plural(v.files, 'file')}, ${formatBytes(v.bytes)}`,
    v.live ? 'live' : v.id === status.current ? 'current' : '',
  ]);
  const table = renderTable({ headers: ['  VERSION', 'DEPLOYED', 'STATUS', 'SIZE', ''], rows }, 'text');
  lines.push(...table.trimEnd().split('\n').map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}
