/** Renders stale reasons as short phrases for people. */
import type { StaleReason } from '../repro/reasons.js';

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(value);
}

export function describeReason(reason: StaleReason): string {
  switch (reason.kind) {
    case 'never-run':
      return 'never run (no lock entry)';
    case 'forced':
      return 'forced';
    case 'always-changed':
      return 'always_changed is set';
    case 'no-deps':
      return 'no deps (a callback stage: it runs on every repro)';
    case 'cmd-changed':
      return 'cmd changed';
    case 'dep-modified':
      return `dep ${reason.path} modified`;
    case 'dep-missing':
      return `dep ${reason.path} missing`;
    case 'dep-added':
      return `dep ${reason.path} added`;
    case 'dep-removed':
      return `dep ${reason.path} removed`;
    case 'param-changed':
      return `param ${reason.key} changed: ${show(reason.old)} -> ${show(reason.new)}`;
    case 'param-added':
      return `param ${reason.key} added: ${show(reason.new)}`;
    case 'param-removed':
      return `param ${reason.key} removed`;
    case 'params-missing':
      return `params file ${reason.file} deleted`;
    case 'out-missing':
      return `out ${reason.path} missing`;
    case 'out-modified':
      return `out ${reason.path} modified`;
    case 'out-added':
      return `out ${reason.path} added`;
    case 'out-removed':
      return `out ${reason.path} removed`;
    case 'upstream-stale':
      return `upstream stage ${reason.stage} will rerun`;
  }
}
