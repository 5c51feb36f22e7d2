/**
 * NumPy `.npy` (format 1.0) encoding and decoding for the few dtypes the CIFAR-10 stage stores:
 * uint8 pixels and labels, int32/float32 arrays, and fixed-width unicode strings for class names
 * (numpy's `<U` dtype, so `np.load` works without `allow_pickle`).
 */
import { InputError } from '../common/errors.js';

export type NpyDtype = '|u1' | '<i4' | '<f4' | `<U${number}`;

export type NpyArray =
  | { dtype: '|u1'; shape: number[]; data: Uint8Array }
  | { dtype: '<i4'; shape: number[]; data: Int32Array }
  | { dtype: '<f4'; shape: number[]; data: Float32Array }
  | { dtype: `<U${number}`; shape: number[]; data: string[] };

export class NpyFormatError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'the .npz file is damaged; rerun `mlp cifar10 prepare`' });
    this.name = 'NpyFormatError';
  }
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function uint8Array(data: Uint8Array, shape: number[]): NpyArray {
  return { dtype: '|u1', shape, data };
}

export function stringArray(values: string[]): NpyArray {
  const width = Math.max(1, ...values.map((v) => [...v].length));
  return { dtype: `<U${width}`, shape: [values.length], data: values };
}

/** The header plus the raw bytes; kept apart so large arrays are never copied into one buffer. */
export function encodeNpy(array: NpyArray): Buffer[] {
  if (count(array.shape) !== array.data.length) {
    throw new NpyFormatError(`shape ${JSON.stringify(array.shape)} does not match ${array.data.length} values`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary.
  const total = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const preamble = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(preamble, 0);
  preamble[6] = 1;
  preamble[7] = 0;
  preamble.writeUInt16LE(header.length, 8);
  return [preamble, Buffer.from(header, 'latin1'), dataBytes(array)];
}

function dataBytes(array: NpyArray): Buffer {
  switch (array.dtype) {
    case '|u1':
    case '<i4':
    case '<f4':
      // Typed arrays are little-endian on every platform Node supports.
      return Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
    default: {
      const width = Number(array.dtype.slice(2));
      const out = Buffer.alloc(array.data.length * width * 4);
      array.data.forEach((value, i) => {
        [...value].slice(0, width).forEach((ch, j) => out.writeUInt32LE(ch.codePointAt(0)!, (i * width + j) * 4));
      });
      return out;
    }
  }
}

export function decodeNpy(bytes: Buffer): NpyArray {
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) throw new NpyFormatError('not a .npy file (bad magic)');
  const major = bytes[6]!;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyFormatError(`unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new NpyFormatError('Fortran-ordered arrays are not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const n = count(shape);
  const body = bytes.subarray(headerStart + headerLength);
  // Copy into a fresh, aligned buffer: typed-array views need alignment and must not pin the zip.
  const copy = (bytesPer: number): ArrayBuffer => {
    if (body.length < n * bytesPer) throw new NpyFormatError(`.npy data is truncated (${body.length} of ${n * bytesPer} bytes)`);
    const buffer = new ArrayBuffer(n * bytesPer);
    new Uint8Array(buffer).set(body.subarray(0, n * bytesPer));
    return buffer;
  };
  if (descr === '|u1' || descr === '<u1') return { dtype: '|u1', shape, data: new Uint8Array(copy(1)) };
  if (descr === '<i4') return { dtype: '<i4', shape, data: new Int32Array(copy(4)) };
  if (descr === '<f4') return { dtype: '<f4', shape, data: new Float32Array(copy(4)) };
  const unicode = /^<U(\d+)$/.exec(descr);
  if (unicode) {
    const width = Number(unicode[1]);
    const raw = Buffer.from(copy(width * 4));
    const data: string[] = [];
    for (let i = 0; i < n; i++) {
      let s = '';
      for (let j = 0; j < width; j++) {
        const cp = raw.readUInt32LE((i * width + j) * 4);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      data.push(s);
    }
    return { dtype: `<U${width}`, shape, data };
  }
  throw new NpyFormatError(`unsupported .npy dtype ${descr}`);
}
