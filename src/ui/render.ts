/** Text, JSON and diagram renderings of core results. Core modules never print; this does. */
import type { Dag } from '../pipeline/dag.js';
import type { StatusReport } from '../repro/status.js';
import { describeReason } from './reasons.js';

export function renderStatus(report: StatusReport): string {
  return statusLines(report);
}

function statusLines(report: StatusReport): string {
  const lines: string[] = [];
  for (const s of report.stages) {
    if (s.state === 'up-to-date') continue;
    if (s.state === 'frozen') {
      lines.push(`${s.name}: frozen`);
      continue;
    }
    lines.push(`${s.name}:`);
    for (const r of s.reasons) lines.push(`    ${describeReason(r)}`);
  }
  for (const d of report.data) {
    if (d.state !== 'up-to-date') lines.push(`${d.pointer}: ${d.path} ${d.state}`);
  }
  if (lines.length === 0 && report.noPipeline) {
    return report.data.length === 0 ? 'No pipeline.yaml, and no data tracked with `mlp add` yet.\n' : 'Tracked data is up to date (no pipeline.yaml).\n';
  }
  if (lines.length === 0) return 'Pipeline and tracked data are up to date.\n';
  const stale = report.stages.some((s) => s.state === 'stale') || report.data.some((d) => d.state !== 'up-to-date');
  if (!stale) {
    // Only frozen stages to list: say in one line that nothing else needs doing (as repro does).
    const upToDate = report.stages.filter((s) => s.state === 'up-to-date').length;
    const frozen = report.stages.length - upToDate;
    lines.push(`Pipeline and tracked data are up to date (${upToDate} up to date, ${frozen} frozen).`);
  }
  return `${lines.join('\n')}\n`;
}

export function statusJson(report: StatusReport): unknown {
  return {
    stages: Object.fromEntries(
      report.stages.map((s) => [s.name, { state: s.state, reasons: s.reasons.map((r) => ({ ...r, text: describeReason(r) })) }]),
    ),
    data: Object.fromEntries(report.data.map((d) => [d.path, { pointer: d.pointer, state: d.state }])),
  };
}

function edges(dag: Dag): Array<[string, string]> {
  return dag.order.flatMap((name) => [...(dag.upstream.get(name) ?? [])].sort().map((up) => [up, name] as [string, string]));
}

export function renderDag(dag: Dag, format: 'text' | 'dot' | 'mermaid' | 'json'): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        { stages: dag.order, edges: edges(dag).map(([from, to]) => ({ from, to })) },
        null,
        2,
      )}\n`;
    case 'dot':
      return `strict digraph {\n${dag.order.map((n) => `  "${n}";\n`).join('')}${edges(dag)
        .map(([a, b]) => `  "${a}" -> "${b}";\n`)
        .join('')}}\n`;
    case 'mermaid': {
      const id = new Map(dag.order.map((n, i) => [n, `s${i}`]));
      return `flowchart TD\n${dag.order.map((n) => `  ${id.get(n)}["${n}"]\n`).join('')}${edges(dag)
        .map(([a, b]) => `  ${id.get(a)} --> ${id.get(b)}\n`)
        .join('')}`;
    }
    case 'text':
      return dag.order
        .map((n) => {
          const ups = [...(dag.upstream.get(n) ?? [])].sort();
          return ups.length > 0 ? `${n} <- ${ups.join(', ')}\n` : `${n}\n`;
        })
        .join('');
  }
}

/** `1.5 MiB`: binary units, one decimal above bytes, whole bytes below a KiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // A rate or an average is rarely a whole number of bytes: never print `104.06111509289397 B`.
  if (unit === 0) return `${Math.round(value)} B`;
  // 1023.96 KiB would round to "1024.0 KiB": show the next unit instead.
  if (value.toFixed(1) === '1024.0' && unit < units.length - 1) return `1.0 ${units[unit + 1]}`;
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `5.2 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** `45s`, `3m07s`, `2h05m`; `?` when unknown (no rate yet). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
