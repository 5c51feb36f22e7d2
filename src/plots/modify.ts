/**
 * `mlp plots modify`: sets or removes the props of one plot (template, x, y, titles) in the
 * pipeline file, through the yaml Document API so that comments and the rest of the file stay.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Document, YAMLMap, YAMLSeq } from 'yaml';
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

type Prop = keyof PlotProps;

/** The entry of `list` for `id`: `- id` or `- id: {…}`; its index and its props map (created on demand). */
function findEntry(list: YAMLSeq, id: string): { index: number; props: YAMLMap | undefined; scalar: boolean } | undefined {
  const y = yaml();
  for (const [index, item] of list.items.entries()) {
    if (y.isScalar(item) && item.value === id) return { index, props: undefined, scalar: true };
    if (y.isMap(item) && item.items.length === 1) {
      const pair = item.items[0];
      if (pair && y.isScalar(pair.key) && pair.key.value === id) return { index, props: y.isMap(pair.value) ? pair.value : undefined, scalar: false };
    }
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
  const cannot = (why: string): MlpError =>
    new MlpError(`cannot modify plot '${id}' in ${file}: ${why}`, { hint: `edit ${file} by hand (props: ${PLOT_PROPS.join(', ')})`, exitCode: ExitCode.usage });
  if (y.isMap(list) && topLevel) {
    // The older layout: `plots: {id: {x: …}}`.
    let props = list.get(id, true) as unknown;
    if (!y.isMap(props)) {
      props = doc.createNode({});
      list.set(id, props);
    }
    return finish(props as YAMLMap);
  }
  if (!y.isSeq(list)) throw cannot('its `plots` list is not written as a list');
  const entry = findEntry(list, id);
  if (!entry) throw cannot('its entry is written with ${…} or another spelling of the path');
  let props = entry.props;
  if (!props) {
    props = doc.createNode({}) as YAMLMap;
    const item = doc.createNode({ [id]: null }) as YAMLMap;
    (item.items[0] as { value: unknown }).value = props;
    list.items[entry.index] = item;
  }
  return finish(props);

  function finish(props: YAMLMap): ModifyResult {
    let changed = false;
    for (const [prop, value] of Object.entries(set) as Array<[Prop, string]>) {
      if (props.get(prop) !== value) {
        props.set(prop, value);
        changed = true;
      }
    }
    for (const prop of unset) {
      if (props.has(prop)) {
        props.delete(prop);
        changed = true;
      }
    }
    if (props.items.length === 0) props.flow = true; // `- path: {}` reads better than `- path:` with nothing
    if (changed) writeFileAtomic(abs, doc.toString());
    return { id, file, changed };
  }
}
