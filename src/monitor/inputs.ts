/**
 * Reading what is compared: texts from CSV files (a `text` column) or `.txt` files, images from
 * `.npz` files (`x`: uint8 (N, 32, 32, 3), as `mlp cifar10 prepare` writes) or PNG/JPEG files.
 * A directory is every such file in it, in name order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, MlpError } from '../errors.js';
import { readDocumentsCsv, readUtf8File } from '../../stages/text/io/labelled-csv.js';
import { CHANNELS, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../stages/cifar10/cifar-format.js';

export interface Images {
  pixels: Uint8Array;
  count: number;
}

export async function readTexts(target: string, textColumn: string): Promise<string[]> {
  const files = listInputs(target, ['.csv', '.txt'], 'texts (a CSV file with a text column, .txt files, or a directory of them)');
  const texts: string[] = [];
  for (const file of files) {
    if (file.toLowerCase().endsWith('.txt')) texts.push(await readUtf8File(file, 'text file'));
    else texts.push(...(await readDocumentsCsv(file, { textColumn })).texts);
  }
  return texts;
}

export async function readImages(target: string): Promise<Images> {
  const files = listInputs(target, ['.npz', '.png', '.jpg', '.jpeg'], 'images (.npz of uint8 (N, 32, 32, 3), PNG or JPEG files, or a directory of them)');
  const parts: Uint8Array[] = [];
  const { loadImage32 } = await import('../../stages/cifar10/image-decode.js');
  for (const file of files) {
    if (file.toLowerCase().endsWith('.npz')) parts.push(await readNpzImages(file));
    else parts.push(await loadImage32(file));
  }
  const count = parts.reduce((n, p) => n + p.length / PIXELS_PER_IMAGE, 0);
  const pixels = new Uint8Array(count * PIXELS_PER_IMAGE);
  let offset = 0;
  for (const p of parts) {
    pixels.set(p, offset);
    offset += p.length;
  }
  return { pixels, count };
}

async function readNpzImages(file: string): Promise<Uint8Array> {
  const { readNpz } = await import('../../stages/cifar10/npz.js');
  let arrays;
  try {
    arrays = await readNpz(file);
  } catch (error) {
    throw new MlpError(`${file}: ${(error as Error).message}`, { hint: 'write images as an .npz with x: uint8 (N, 32, 32, 3), as `mlp cifar10 prepare` does' });
  }
  const x = arrays.x;
  if (!x || x.dtype !== '|u1' || x.shape.length !== 4 || x.shape[1] !== IMAGE_SIZE || x.shape[2] !== IMAGE_SIZE || x.shape[3] !== CHANNELS) {
    throw new MlpError(`${file}: expected an array x of uint8 (N, ${IMAGE_SIZE}, ${IMAGE_SIZE}, ${CHANNELS})`, { hint: 'images are 32×32 RGB, channels last, as `mlp cifar10 prepare` writes them' });
  }
  return x.data as Uint8Array;
}

function listInputs(target: string, extensions: string[], what: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new MlpError(`${target} does not exist`, { hint: `--inputs takes ${what}`, exitCode: ExitCode.usage });
  }
  const matches = (name: string): boolean => extensions.includes(path.extname(name).toLowerCase());
  if (stat.isFile()) {
    if (!matches(target)) throw new MlpError(`${target} is not one of ${extensions.join(', ')}`, { hint: `--inputs takes ${what}`, exitCode: ExitCode.usage });
    return [target];
  }
  const files = fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => e.isFile() && matches(e.name))
    .map((e) => path.join(target, e.name))
    .sort();
  if (files.length === 0) throw new MlpError(`${target} has no ${extensions.join(', ')} files`, { hint: `--inputs takes ${what}`, exitCode: ExitCode.usage });
  return files;
}
