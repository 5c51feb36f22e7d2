import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { decodeNpy, encodeNpy, stringArray, uint8Array } from '../../../stages/cifar10/npy.js';
import { decodeNpz, readNpz, writeNpz } from '../../../stages/cifar10/npz.js';
import { crc32, crc32Js } from '../../../stages/cifar10/crc32.js';
import { tempDir } from './helpers.js';

test('npy round-trips uint8, int32, float32 and unicode arrays', () => {
  const arrays = [
    uint8Array(Uint8Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
    { dtype: '<i4' as const, shape: [3], data: Int32Array.from([-1, 0, 7]) },
    { dtype: '<f4' as const, shape: [2], data: Float32Array.from([0.5, -2]) },
    stringArray(['cat', 'é', 'automobile']),
  ];
  for (const a of arrays) {
    const bytes = Buffer.concat(encodeNpy(a));
    expect((bytes.readUInt16LE(8) + 10) % 64).toBe(0); // data aligned like numpy writes it
    expect(decodeNpy(bytes)).toEqual(a);
  }
});

test('npz round-trips and detects corruption', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'a.npz');
  await writeNpz(file, { x: uint8Array(Uint8Array.from([9, 8, 7, 6]), [2, 2]), classes: stringArray(['a', 'bb']) });
  const back = await readNpz(file);
  expect(back.x).toEqual(uint8Array(Uint8Array.from([9, 8, 7, 6]), [2, 2]));
  expect(back.classes!.data).toEqual(['a', 'bb']);
  const bytes = await readFile(file);
  const corrupt = Buffer.from(bytes);
  corrupt[100] = corrupt[100]! ^ 0xff;
  expect(() => decodeNpz(corrupt)).toThrow(/CRC|corrupt|npy/);
  expect(() => decodeNpz(bytes.subarray(0, bytes.length - 30))).toThrow(/npz/);
});

test('crc32 matches the reference value', () => {
  const data = Buffer.from('123456789');
  expect(crc32Js(data)).toBe(0xcbf43926);
  expect(crc32(data)).toBe(0xcbf43926);
  if ('crc32' in zlib) expect(crc32Js(Buffer.alloc(100000, 3))).toBe(crc32(Buffer.alloc(100000, 3)));
});

const python = ['/usr/bin/python3', 'python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

(python ? test : test.skip)('numpy reads our npz and we read numpy.savez_compressed', async () => {
  const dir = await tempDir();
  const ours = path.join(dir, 'ours.npz');
  await writeNpz(ours, { x: uint8Array(Uint8Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3]), classes: stringArray(['cat', 'dog']) });
  const theirs = path.join(dir, 'theirs.npz');
  const out = execFileSync(python!, [
    '-c',
    `import numpy as np
d = np.load(${JSON.stringify(ours)})
print(d['x'].shape, d['x'].dtype, d['x'].sum(), d['classes'].tolist())
np.savez_compressed(${JSON.stringify(theirs)}, x=np.arange(12, dtype=np.uint8).reshape(3, 4), classes=np.array(['ship', 'truck']))`,
  ]).toString();
  expect(out.trim()).toBe("(1, 2, 3) uint8 21 ['cat', 'dog']");
  expect(existsSync(theirs)).toBe(true);
  const back = await readNpz(theirs);
  expect(back.x!.shape).toEqual([3, 4]);
  expect(Array.from(back.x!.data as Uint8Array)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  expect(back.classes!.data).toEqual(['ship', 'truck']);
});
