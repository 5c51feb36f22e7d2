/**
 * Edits of `pipeline.yaml` that commands make (`mlp freeze`, `unfreeze`, `remove`), through the
 * yaml Document API: comments, order and layout of everything else stay as the user wrote them.
 * A stage made by `foreach`/`matrix` has no definition of its own: its group is edited instead,
 * and only when the whole group is meant.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { YAMLMap } from 'yaml';
import { ExitCode, MlpError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { yaml } from '../util/yaml.js';
import { localName, splitAddress, stageAddress } from './address.js';
import { namedStages, unknownTarget } from './targets.js';
import type { Pipeline } from './types.js';

/**
 * The definition key in `stages:` of stage `name` (its group for `train@a`), its file, and the
 * stages (addresses) that definition makes. `name` is a stage or group by address
 * (`sub/pipeline.yaml:train`) or plain name (targets.ts says which stage it means).
 */
export function definitionOf(pipeline: Pipeline, name: string): { file: string; key: string; group: boolean; stages: string[] } {
  const named = namedStages(pipeline, name);
  const first = named[0] === undefined ? undefined : pipeline.stages.get(named[0]);
  if (!first) throw unknownTarget(name, pipeline, { why: `no stage of that name in ${pipeline.files.join(', ') || pipeline.file}`, what: { kind: 'stage', paths: [] } });
  const file = first.location.file;
  const local = localName(first);
  // What the user named, without its file: the stage itself, or its foreach/matrix group.
  const asked = splitAddress(name.includes(':') ? `${file}:${name.slice(name.lastIndexOf(':') + 1)}` : name).name;
  if (named.length === 1 && local === asked) {
    const at = local.indexOf('@');
    if (at !== -1) {
      const group = stageAddress(file, local.slice(0, at));
      throw new MlpError(`stage '${first.name}' is one item of the foreach/matrix stage '${group}' and has no definition of its own`, {
        hint: `name the whole group ('${group}'), or edit ${file} by hand`,
        exitCode: ExitCode.usage,
      });
    }
    return { file, key: local, group: false, stages: named };
  }
  return { file, key: local.slice(0, local.indexOf('@')), group: true, stages: named };
}

/**
 * One pipeline file open for editing. Edits splice the text at the nodes' offsets (a line added,
 * a line or a stage's lines removed) so that nothing else moves: the yaml library's own
 * `toString` would re-pad flow lists and move end-of-line comments. Only where the text is not
 * block-style (a stage written as `{cmd: …}`) is the document re-printed.
 */
export class PipelineFileEditor {
  private text: string;
  private readonly abs: string;

  constructor(
    root: string,
    readonly file: string,
  ) {
    this.abs = path.join(root, file);
    this.text = fs.readFileSync(this.abs, 'utf8');
  }

  private doc(): ReturnType<ReturnType<typeof yaml>['parseDocument']> {
    return yaml().parseDocument(this.text);
  }

  private definition(doc: ReturnType<PipelineFileEditor['doc']>, key: string): YAMLMap {
    const node = doc.getIn(['stages', key], true) as unknown;
    if (!yaml().isMap(node)) throw new MlpError(`${this.file}: stage '${key}' is not a mapping`, { exitCode: ExitCode.invalidPipeline });
    // A foreach group's stage definition is under `do:`.
    const body = node.get('do', true) as unknown;
    return yaml().isMap(body) ? body : node;
  }

  /** Sets `frozen: true`, or removes the key (false is the default, as DVC writes it). Returns whether it changed. */
  setFrozen(key: string, frozen: boolean): boolean {
    const doc = this.doc();
    const definition = this.definition(doc, key);
    const was = definition.get('frozen') === true;
    if (was === frozen) return false;
    const pair = definition.items.find((p) => yaml().isScalar(p.key) && p.key.value === 'frozen');
    if (!definition.flow) {
      if (pair && yaml().isScalar(pair.key) && yaml().isScalar(pair.value) && pair.key.range && pair.value.range) {
        // `frozen: false` → `frozen: true`, or the whole `frozen:` line removed.
        if (frozen) this.splice(pair.value.range[0], pair.value.range[1], 'true');
        else this.splice(this.lineStart(pair.key.range[0]), this.lineEnd(pair.value.range[1]), '');
        return true;
      }
      const first = definition.items[0]?.key;
      if (frozen && yaml().isScalar(first) && first.range && definition.range) {
        const indent = first.range[0] - this.lineStart(first.range[0]);
        let end = definition.range[1];
        while (end > 0 && /\s/.test(this.text[end - 1] as string)) end--;
        const eol = this.text.indexOf('\n', end);
        const at = eol === -1 ? this.text.length : eol;
        this.splice(at, at, `${eol === -1 ? '\n' : '\n'}${' '.repeat(indent)}frozen: true`);
        return true;
      }
    }
    if (frozen) definition.set('frozen', true);
    else definition.delete('frozen');
    this.text = doc.toString();
    return true;
  }

  removeStage(key: string): void {
    const doc = this.doc();
    const stages = doc.get('stages', true) as unknown;
    if (!yaml().isMap(stages)) return;
    const index = stages.items.findIndex((p) => yaml().isScalar(p.key) && p.key.value === key);
    const pair = stages.items[index];
    const keyNode = pair?.key;
    if (!pair || !yaml().isScalar(keyNode) || !keyNode.range || stages.flow) {
      doc.deleteIn(['stages', key]);
      this.text = doc.toString();
      return;
    }
    const next = stages.items[index + 1]?.key;
    const start = this.lineStart(keyNode.range[0]);
    let end: number;
    if (yaml().isScalar(next) && next.range) end = this.lineStart(next.range[0]);
    else {
      const value = pair.value as { range?: [number, number, number] } | null;
      end = this.lineEnd(value?.range?.[1] ?? keyNode.range[1]);
    }
    this.splice(start, end, '');
    if (stages.items.length === 1) this.text = this.text.replace(/^stages:[ \t]*$/m, 'stages: {}');
  }

  save(): void {
    writeFileAtomic(this.abs, this.text);
  }

  private splice(start: number, end: number, insert: string): void {
    this.text = this.text.slice(0, start) + insert + this.text.slice(end);
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** Just past the newline that ends the line holding `offset - 1` (the end of a node). */
  private lineEnd(offset: number): number {
    let end = offset;
    while (end > 0 && /\s/.test(this.text[end - 1] as string)) end--;
    const eol = this.text.indexOf('\n', end);
    return eol === -1 ? this.text.length : eol + 1;
  }
}

export interface FreezeResult {
  /** The stage, or the foreach/matrix group, as written in the pipeline file. */
  name: string;
  file: string;
  changed: boolean;
}

/**
 * `mlp freeze` / `unfreeze`: marks stages (or whole foreach/matrix groups) `frozen`, so that
 * `repro` and `status` leave them as they are, as DVC's do.
 */
export function setFrozen(pipeline: Pipeline, names: readonly string[], frozen: boolean): FreezeResult[] {
  const editors = new Map<string, PipelineFileEditor>();
  const results: FreezeResult[] = [];
  for (const name of names) {
    const { file, key } = definitionOf(pipeline, name);
    let editor = editors.get(file);
    if (!editor) editors.set(file, (editor = new PipelineFileEditor(pipeline.root, file)));
    results.push({ name: key, file, changed: editor.setFrozen(key, frozen) });
  }
  for (const editor of editors.values()) editor.save();
  return results;
}
