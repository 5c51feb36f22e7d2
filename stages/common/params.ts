/**
 * `--params file#key` of the built-in stage commands: the reference is parsed here, once, and the
 * file is read with mlp's own params parser (src/params/params-file.ts), so a section means the
 * same to `mlp text`, `mlp cifar10` and the pipeline that hashes it.
 */
import { readFileSync } from 'node:fs';
import { errorCode } from '../../src/errors.js';
import { getDotted, isMissing, parseParamsText, type YamlParseOptions } from '../../src/params/params-file.js';
import { paramsError } from './errors.js';

export interface ParamsRef {
  file: string;
  /** Dotted key of the section; '' is the whole file. */
  key: string;
  /** `file#key`, for messages. */
  where: string;
}

/** `params.yaml#models.text` → file and key; without `#`, the stage's own section (`defaultKey`). */
export function parseParamsRef(ref: string, defaultKey: string): ParamsRef {
  const hash = ref.lastIndexOf('#');
  const file = hash >= 0 ? ref.slice(0, hash) : ref;
  const key = hash >= 0 ? ref.slice(hash + 1) : defaultKey;
  return { file, key, where: `${file}#${key}` };
}

export interface LoadSectionOptions extends YamlParseOptions {
  /** Return undefined instead of failing when the file or the section does not exist. */
  optional?: boolean;
}

/**
 * The value of section `ref.key` in `ref.file`. A missing file or section is an error (a typo
 * would otherwise silently train with defaults) unless `optional`.
 */
export function loadParamsSection(ref: ParamsRef, options: LoadSectionOptions = {}): unknown {
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' && options.optional) return undefined;
    throw paramsError(ref.file, code === 'ENOENT' ? 'params file not found' : `cannot read params file (${code ?? String(error)})`);
  }
  const document = parseParamsText(text, ref.file, options);
  if (ref.key === '') return document;
  const value = getDotted(document, ref.key);
  if (!isMissing(value)) return value;
  if (options.optional) return undefined;
  throw paramsError(ref.where, `no such section (${missingPart(document, ref.key, ref.file)})`, `add a "${ref.key}:" section, or point --params at the right key`);
}

/** Which part of a dotted key is missing: `no section b under a in params.yaml`. */
function missingPart(document: Record<string, unknown>, key: string, file: string): string {
  const parts = key.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (!isMissing(getDotted(document, parts.slice(0, i + 1).join('.')))) continue;
    return i === 0 ? `no section ${parts[0]} in ${file}` : `no section ${parts[i]} under ${parts.slice(0, i).join('.')} in ${file}`;
  }
  return `no section ${key} in ${file}`;
}
