/**
 * `mlp cifar10 prepare`: turns the CIFAR-10 binary archive (URL, local archive or extracted
 * directory) into `train.npz` / `test.npz` (`x`: uint8 (N, 32, 32, 3), `y`: uint8 (N,),
 * `classes`: unicode (10,)), plus `info.json`. Output is assembled in a temp directory next to
 * `out` and renamed into place, so a failure never leaves partial output behind.
 */
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeDirectoryAtomically } from '../../src/util/fs.js';
import { InputError, ParamsError } from '../common/errors.js';
import { hashFile, parseChecksum, verifyFile, type Checksum } from './checksum.js';
import { readCifarArchive, readCifarDirectory } from './cifar-source.js';
import type { CifarDataset, CifarSplit } from './cifar-format.js';
import { IMAGE_SIZE, CHANNELS } from './cifar-format.js';
import { defaultDownloadCache, download, isUrl, type DownloadProgress } from './download.js';
import { stringArray, uint8Array } from './npy.js';
import { writeNpz } from './npz.js';

export interface PrepareOptions {
  /** http(s) URL, path to a .tar.gz archive, or an extracted directory. */
  source: string;
  out: string;
  expected?: Checksum;
  cacheDir?: string;
  onDownloadProgress?: (progress: DownloadProgress) => void;
}

export interface PrepareResult {
  out: string;
  sourceKind: 'url' | 'archive' | 'directory';
  /** The archive that was read (the cache file for a URL). */
  archive: string | undefined;
  downloaded: boolean;
  /** Whether the archive was checked against a caller-given checksum. */
  verified: boolean;
  trainCount: number;
  testCount: number;
  classNames: string[];
  files: string[];
}

/** What `--source`, `--md5`, `--sha256` and a params section (`--params`) each said. */
export interface SourceOptions {
  source?: string | undefined;
  md5?: string | undefined;
  sha256?: string | undefined;
}

/**
 * The source and checksum prepare uses. Command-line values win over the params section; a
 * command-line checksum replaces the params' one, and a source given on the command line without
 * a checksum is not checked against the params' checksum, which belongs to another source.
 */
export function chooseSource(options: SourceOptions, fromParams?: SourceOptions): { source: string; expected?: Checksum } {
  const source = options.source ?? fromParams?.source;
  if (!source) throw new ParamsError('no source given', { hint: 'pass --source <url|archive|dir> or --params params.yaml#cifar10' });
  if (options.md5 && options.sha256) throw new ParamsError('give either --md5 or --sha256, not both');
  const sameSource = options.source === undefined || options.source === fromParams?.source;
  const md5 = options.md5 ?? (options.sha256 || !sameSource ? undefined : fromParams?.md5);
  const sha256 = options.sha256 ?? (options.md5 || !sameSource ? undefined : fromParams?.sha256);
  const expected = sha256 ? parseChecksum('sha256', sha256) : md5 ? parseChecksum('md5', md5) : undefined;
  return expected ? { source, expected } : { source };
}

export async function prepareCifar10(options: PrepareOptions): Promise<PrepareResult> {
  let dataset: CifarDataset;
  let archive: string | undefined;
  let sourceKind: PrepareResult['sourceKind'];
  let downloaded = false;
  let sourceSha256: string | undefined;

  if (isUrl(options.source)) {
    sourceKind = 'url';
    const result = await download(options.source, {
      cacheDir: options.cacheDir ?? defaultDownloadCache(),
      ...(options.expected ? { expected: options.expected } : {}),
      ...(options.onDownloadProgress ? { onProgress: options.onDownloadProgress } : {}),
    });
    archive = result.path;
    downloaded = result.downloaded;
    sourceSha256 = result.sha256;
    dataset = await readCifarArchive(archive);
  } else {
    const info = await stat(options.source).catch(() => undefined);
    if (!info) {
      throw new InputError(`source ${options.source} does not exist`, {
        hint: 'pass an http(s) URL, a cifar-10-binary.tar.gz archive or an extracted cifar-10-batches-bin directory',
      });
    }
    if (info.isDirectory()) {
      if (options.expected) {
        throw new ParamsError(`a checksum was given but ${options.source} is a directory`, {
          hint: 'checksums apply to archives; drop --md5/--sha256 for an extracted directory',
        });
      }
      sourceKind = 'directory';
      dataset = await readCifarDirectory(options.source);
    } else {
      sourceKind = 'archive';
      archive = options.source;
      if (options.expected) await verifyFile(archive, options.expected);
      dataset = await readCifarArchive(archive);
    }
  }

  if (archive && !sourceSha256) sourceSha256 = await hashFile(archive, 'sha256');
  const files = await writeDirectoryAtomically(options.out, async (dir) => {
    await writeSplit(path.join(dir, 'train.npz'), dataset.train, dataset.classNames);
    await writeSplit(path.join(dir, 'test.npz'), dataset.test, dataset.classNames);
    const info = {
      format: 'mlp-cifar10/1',
      train: dataset.train.count,
      test: dataset.test.count,
      classes: dataset.classNames,
      shape: [IMAGE_SIZE, IMAGE_SIZE, CHANNELS],
      ...(sourceSha256 ? { source_sha256: sourceSha256 } : {}),
    };
    await writeFile(path.join(dir, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
  });

  return {
    out: options.out,
    sourceKind,
    archive,
    downloaded,
    verified: options.expected !== undefined,
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    classNames: dataset.classNames,
    files,
  };
}

async function writeSplit(file: string, split: CifarSplit, classNames: string[]): Promise<void> {
  await writeNpz(file, {
    x: uint8Array(split.images, [split.count, IMAGE_SIZE, IMAGE_SIZE, CHANNELS]),
    y: uint8Array(split.labels, [split.count]),
    classes: stringArray(classNames),
  });
}

