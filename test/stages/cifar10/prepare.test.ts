import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseChecksum } from '../../../stages/cifar10/checksum.js';
import { readNpz } from '../../../stages/cifar10/npz.js';
import { chooseSource, prepareCifar10 } from '../../../stages/cifar10/prepare.js';
import { batch, cifarTar, CLASSES, record, tempDir, writeArchive } from './helpers.js';

test('prepare reads a generated archive into channels-last npz files', async () => {
  const dir = await tempDir();
  const archive = await writeArchive(dir, { perBatch: 6, testCount: 4 });
  const out = path.join(dir, 'data');
  const result = await prepareCifar10({ source: archive.file, out, expected: parseChecksum('sha256', archive.sha256) });
  expect(result).toMatchObject({ sourceKind: 'archive', verified: true, trainCount: 30, testCount: 4, classNames: CLASSES });
  expect((await readdir(out)).sort()).toEqual(['info.json', 'test.npz', 'train.npz']);

  const train = await readNpz(path.join(out, 'train.npz'));
  expect(train.x!.shape).toEqual([30, 32, 32, 3]);
  expect(train.y!.shape).toEqual([30]);
  expect(train.classes!.data).toEqual(CLASSES);
  // Record 7 (batch 2, index 1): label 7, and its planes land in the channels of each pixel.
  const rec = record(7, 7);
  const x = train.x!.data as Uint8Array;
  expect(train.y!.data[7]).toBe(7);
  for (const p of [0, 1, 500, 1023]) {
    for (let c = 0; c < 3; c++) expect(x[7 * 3072 + p * 3 + c]).toBe(rec[1 + c * 1024 + p]);
  }
  const info = JSON.parse(await readFile(path.join(out, 'info.json'), 'utf8'));
  expect(info).toMatchObject({ train: 30, test: 4, classes: CLASSES, source_sha256: archive.sha256 });
});

test('prepare reads an extracted directory (or its parent)', async () => {
  const dir = await tempDir();
  const root = path.join(dir, 'extracted', 'cifar-10-batches-bin');
  await mkdir(root, { recursive: true });
  for (let b = 1; b <= 5; b++) await writeFile(path.join(root, `data_batch_${b}.bin`), batch(2, (b - 1) * 2));
  await writeFile(path.join(root, 'test_batch.bin'), batch(3, 100));
  for (const source of [root, path.dirname(root)]) {
    const result = await prepareCifar10({ source, out: path.join(dir, 'out') });
    expect(result).toMatchObject({ sourceKind: 'directory', trainCount: 10, testCount: 3, classNames: CLASSES });
  }
});

describe('failures leave no partial output', () => {
  async function expectFailure(archiveBytes: Buffer, message: RegExp, expected?: string): Promise<void> {
    const dir = await tempDir();
    const file = path.join(dir, 'a.tar.gz');
    await writeFile(file, archiveBytes);
    const out = path.join(dir, 'data');
    await expect(prepareCifar10({ source: file, out, ...(expected ? { expected: parseChecksum('md5', expected) } : {}) })).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(dir)).toEqual(['a.tar.gz']); // no temp directories either
  }

  test('wrong checksum', async () => {
    await expectFailure(zlib.gzipSync(cifarTar({ perBatch: 2 })), /md5 is [0-9a-f]{32}, expected 0{32}/, '0'.repeat(32));
  });

  test('truncated gzip stream', async () => {
    const bytes = zlib.gzipSync(cifarTar({ perBatch: 50 }));
    await expectFailure(bytes.subarray(0, Math.floor(bytes.length * 0.6)), /truncated/);
  });

  test('truncated tar inside a valid gzip stream', async () => {
    const tarBytes = cifarTar({ perBatch: 5 });
    await expectFailure(zlib.gzipSync(tarBytes.subarray(0, 512 * 40)), /truncated/);
  });

  test('not a gzip file', async () => {
    await expectFailure(Buffer.from('this is not an archive'), /not a valid gzip|incorrect header/);
  });

  test('record of the wrong size', async () => {
    await expectFailure(zlib.gzipSync(cifarTar({ perBatch: 2, override: { 'data_batch_3.bin': Buffer.alloc(3073 * 2 - 1) } })), /data_batch_3\.bin.*3073-byte records/);
  });

  test('label out of range', async () => {
    const bad = batch(2, 0);
    bad[3073] = 12;
    await expectFailure(zlib.gzipSync(cifarTar({ perBatch: 2, override: { 'test_batch.bin': bad } })), /label 12/);
  });

  test('missing batch', async () => {
    await expectFailure(zlib.gzipSync(cifarTar({ perBatch: 2, omit: ['data_batch_5.bin'] })), /lacks data_batch_5\.bin/);
  });
});

test('a failed prepare keeps the previous output intact', async () => {
  const dir = await tempDir();
  const good = await writeArchive(dir, { perBatch: 2 });
  const out = path.join(dir, 'data');
  await prepareCifar10({ source: good.file, out });
  const before = await readFile(path.join(out, 'train.npz'));
  await expect(prepareCifar10({ source: good.file, out, expected: parseChecksum('sha256', 'f'.repeat(64)) })).rejects.toThrow(/sha256/);
  expect((await readFile(path.join(out, 'train.npz'))).equals(before)).toBe(true);
});

describe('which source and checksum prepare uses', () => {
  const md5 = 'a'.repeat(32);
  const sha256 = 'b'.repeat(64);
  const fromParams = { source: 'https://example.org/cifar.tar.gz', md5, sha256: undefined };

  test('the params section alone: its source and checksum', () => {
    expect(chooseSource({}, fromParams)).toEqual({ source: fromParams.source, expected: { algorithm: 'md5', hex: md5 } });
  });

  test('a command-line checksum replaces the params one', () => {
    expect(chooseSource({ sha256 }, fromParams)).toEqual({ source: fromParams.source, expected: { algorithm: 'sha256', hex: sha256 } });
  });

  test("another source on the command line is not checked against the params' checksum", () => {
    expect(chooseSource({ source: 'local.tar.gz' }, fromParams)).toEqual({ source: 'local.tar.gz' });
    expect(chooseSource({ source: fromParams.source }, fromParams).expected).toEqual({ algorithm: 'md5', hex: md5 });
  });

  test('usage errors: no source, two checksums, a malformed checksum', () => {
    expect(() => chooseSource({})).toThrow(expect.objectContaining({ message: 'no source given', exitCode: 2 }));
    expect(() => chooseSource({ source: 'x', md5, sha256 })).toThrow(expect.objectContaining({ message: 'give either --md5 or --sha256, not both', exitCode: 2 }));
    expect(() => chooseSource({ source: 'x', sha256: 'xyz' })).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
