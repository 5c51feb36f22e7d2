/**
 * `mlp plots modify`: sets or removes the props of one plot (template, x, y, titles) in the
 * pipeline file, through the yaml Document API so that comments and the rest of the file stay.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Document, YAMLSeq } from 'yaml';
import { ExitCode, MlpError } from '../errors.js';
import { definitionOf } from '../pipeline/edit.js';
import { PLOT_PROPS } from '../pipeline/schema.js';
import { unknownTarget } from '../pipeline/targets.js';
import type { PlotProps, Pipeline } from '../pipeline/types.js';
import { writeFileAtomic } from '../util/fs.js';
import { yaml } from '../util/yaml.js';
import { findTemplate } from './templates.js';

export interface ModifyResult {
  id: string;
  file: string;
  changed: boolean;
}

/** A value in a flow mapping: plain where YAML reads it back as the same string, else double-quoted (JSON). */
function flowScalar(value: string): string {
  const plain = /^[A-Za-z_][\w./ -]*$/.test(value) && !value.endsWith(' ') && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

function flowMap(props: ReadonlyArray<[string, string]>): string {
  return `{${props.map(([k, v]) => `${k}: ${flowScalar(v)}`).join(', ')}}`;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function trimmedEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1] as string)) end--;
  return end;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const eol = text.indexOf('\n', offset);
  return eol === -1 ? text.length : eol + 1;
}

/**
 * The text edits that give the entry of `id` in `list` the props `set` minus `unset`: a props
 * mapping in block style is edited line by line; a flow one (or none yet: `- path`) is rewritten
 * as one flow mapping. Undefined when the list has no such entry.
 */
function entryEdits(list: YAMLSeq, id: string, text: string, set: PlotProps, unset: readonly string[]): Edit[] | undefined {
  const y = yaml();
  const wanted = Object.entries(set).filter((e): e is [string, string] => e[1] !== undefined);
  for (const item of list.items) {
    if (y.isScalar(item) && item.value === id && item.range) {
      return wanted.length === 0 ? [] : [{ start: item.range[0], end: item.range[1], text: `${id}: ${flowMap(wanted)}` }];
    }
    if (!y.isMap(item) || item.items.length !== 1) continue;
    const pair = item.items[0];
    if (!pair || !y.isScalar(pair.key) || pair.key.value !== id || !pair.key.range) continue;
    const value = pair.value;
    if (value === null || (y.isScalar(value) && value.value === null)) {
      const colon = text.indexOf(':', pair.key.range[1]) + 1;
      return wanted.length === 0 ? [] : [{ start: colon, end: colon, text: ` ${flowMap(wanted)}` }];
    }
    if (!y.isMap(value) || !value.range) return undefined;
    const entries = value.items.flatMap((p): Array<{ key: string; start: number; valueStart: number; end: number; source: string; value: unknown }> => {
      if (!y.isScalar(p.key) || !p.key.range) return [];
      const node = p.value as { range?: [number, number, number] } | null;
      const valueStart = node?.range?.[0] ?? p.key.range[1];
      const end = trimmedEnd(text, valueStart, node?.range?.[1] ?? p.key.range[1]);
      return [{ key: String(p.key.value), start: p.key.range[0], valueStart, end, source: text.slice(valueStart, end), value: y.isScalar(p.value) ? p.value.value : undefined }];
    });
    if (value.flow) {
      const props = new Map(entries.map((e) => [e.key, e.value === undefined ? e.source : flowScalar(String(e.value))]));
      for (const [k, v] of wanted) props.set(k, flowScalar(v));
      for (const k of unset) props.delete(k);
      return [{ start: value.range[0], end: trimmedEnd(text, value.range[0], value.range[1]), text: `{${[...props].map(([k, v]) => `${k}: ${v}`).join(', ')}}` }];
    }
    const edits: Edit[] = [];
    const first = entries[0];
    const indent = first ? first.start - lineStart(text, first.start) : 0;
    const last = entries[entries.length - 1];
    for (const [k, v] of wanted) {
      const existing = entries.find((e) => e.key === k);
      if (existing) {
        if (existing.value !== v) edits.push({ start: existing.valueStart, end: existing.end, text: flowScalar(v) });
      } else if (last) {
        const at = lineEnd(text, last.end);
        edits.push({ start: at, end: at, text: `${at === text.length && !text.endsWith('\n') ? '\n' : ''}${' '.repeat(indent)}${k}: ${flowScalar(v)}\n` });
      }
    }
    for (const k of unset) {
      const existing = entries.find((e) => e.key === k);
      if (existing) edits.push({ start: lineStart(text, existing.start), end: lineEnd(text, existing.end), text: '' });
    }
    return edits;
  }
  return undefined;
}

export function modifyPlot(pipeline: Pipeline, id: string, set: PlotProps, unset: readonly string[]): ModifyResult {
  for (const prop of unset) {
    if (!(PLOT_PROPS as readonly string[]).includes(prop)) {
      throw new MlpError(`cannot unset '${prop}': not a plot prop`, { hint: `plot props: ${PLOT_PROPS.join(', ')}`, exitCode: ExitCode.usage });
    }
  }
  if (set.template !== undefined) findTemplate(pipeline.root, set.template); // an unknown template fails here, not at the next show
  const stage = [...pipeline.stages.values()].find((s) => s.outs.some((o) => o.kind === 'plot' && o.path === id));
  const topLevel = (pipeline.sections?.plots ?? []).some((p) => p.id === id);
  if (!stage && !topLevel) {
    const ids = [...[...pipeline.stages.values()].flatMap((s) => s.outs.filter((o) => o.kind === 'plot').map((o) => o.path as string)), ...(pipeline.sections?.plots ?? []).map((p) => p.id)];
    throw unknownTarget(id, pipeline, { what: { kind: 'plot', paths: ids } });
  }
  const file = stage && !topLevel ? definitionOf(pipeline, stage.name).file : pipeline.file;
  const abs = path.join(pipeline.root, file);
  const text = fs.readFileSync(abs, 'utf8');
  const y = yaml();
  const doc = y.parseDocument(text) as Document;
  let list: unknown;
  if (topLevel) list = doc.get('plots', true);
  else {
    const { key } = definitionOf(pipeline, (stage as { name: string }).name);
    const definition = doc.getIn(['stages', key], true) as unknown;
    const doBody: unknown = y.isMap(definition) ? definition.get('do', true) : undefined;
    const body = y.isMap(doBody) ? doBody : definition;
    list = y.isMap(body) ? body.get('plots', true) : undefined;
  }
  const edits = y.isSeq(list) ? entryEdits(list, id, text, set, unset) : undefined;
  if (!edits) {
    throw new MlpError(`cannot modify plot '${id}' in ${file}: its entry is not written as \`- ${id}\` or \`- ${id}: {…}\` in a \`plots:\` list`, {
      hint: `edit ${file} by hand (props: ${PLOT_PROPS.join(', ')})`,
      exitCode: ExitCode.usage,
    });
  }
  // Only this entry's text changes: the rest of the file keeps its layout and comments.
  let next = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) next = next.slice(0, edit.start) + edit.text + next.slice(edit.end);
  const changed = next !== text;
  if (changed) writeFileAtomic(abs, next);
  return { id, file, changed };
}
