/**
 * Decodes PNG and JPEG files (pure JS: pngjs, jpeg-js) to 32×32 RGB uint8, channels-last — the
 * layout of the training data. Larger or non-square images are resized with an area (box) filter,
 * which avoids the aliasing a plain bilinear downscale produces on photos.
 */
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { IMAGE_SIZE } from './cifar-format.js';
import { describeFileError, InputError } from '../common/errors.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3, row-major. */
  data: Uint8Array;
}

export class ImageDecodeError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'predict reads PNG and JPEG files' });
    this.name = 'ImageDecodeError';
  }
}

export function decodeImage(bytes: Buffer, name: string): RgbImage {
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      const png = PNG.sync.read(bytes);
      rgba = { width: png.width, height: png.height, data: png.data };
    } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
      rgba = { width: image.width, height: image.height, data: image.data };
    } else {
      throw new ImageDecodeError(`${name}: not a PNG or JPEG file`);
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(`${name}: cannot decode image (${(error as Error).message})`);
  }
  const pixels = rgba.width * rgba.height;
  const data = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    // Transparent pixels are composited on white, which is what viewers show.
    const a = rgba.data[i * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(rgba.data[i * 4 + c]! * a + 255 * (1 - a));
  }
  return { width: rgba.width, height: rgba.height, data };
}

/** Area-averaging resize to size×size (upscaling degrades to nearest neighbour per cell). */
export function resizeArea(image: RgbImage, size = IMAGE_SIZE): Uint8Array {
  if (image.width === size && image.height === size) return image.data;
  const out = new Uint8Array(size * size * 3);
  const sx = image.width / size;
  const sy = image.height / size;
  for (let oy = 0; oy < size; oy++) {
    const y0 = Math.floor(oy * sy);
    const y1 = Math.max(y0 + 1, Math.floor((oy + 1) * sy));
    for (let ox = 0; ox < size; ox++) {
      const x0 = Math.floor(ox * sx);
      const x1 = Math.max(x0 + 1, Math.floor((ox + 1) * sx));
      const acc = [0, 0, 0];
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * image.width + x) * 3;
          acc[0]! += image.data[i]!;
          acc[1]! += image.data[i + 1]!;
          acc[2]! += image.data[i + 2]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (oy * size + ox) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(acc[c]! / n);
    }
  }
  return out;
}

export async function loadImage32(file: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new ImageDecodeError(`cannot read ${file}: ${describeFileError(error)}`);
  }
  return resizeArea(decodeImage(bytes, file));
}
