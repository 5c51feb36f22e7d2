/** Checksums of downloaded or local archives (md5 for the official archive, sha256 otherwise). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { InputError, ParamsError } from '../common/errors.js';

export type ChecksumAlgorithm = 'md5' | 'sha256';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex digest. */
  hex: string;
}

const HEX_LENGTH: Record<ChecksumAlgorithm, number> = { md5: 32, sha256: 64 };

export class ChecksumError extends InputError {
  constructor(message: string) {
    super(message, { hint: 'the file differs from the one expected: re-download it, or pass the checksum of your copy with --md5/--sha256' });
    this.name = 'ChecksumError';
  }
}

export function parseChecksum(algorithm: ChecksumAlgorithm, value: string): Checksum {
  const hex = value.trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${HEX_LENGTH[algorithm]}}$`).test(hex)) {
    throw new ParamsError(`${algorithm} must be ${HEX_LENGTH[algorithm]} hex digits, got ${JSON.stringify(value)}`, {
      hint: `give the ${algorithm} digest of the archive, e.g. from \`${algorithm}sum cifar-10-binary.tar.gz\``,
    });
  }
  return { algorithm, hex };
}

/** Hashes a file in 64 KiB reads (larger unaligned reads are slower on these machines). */
export async function hashFile(file: string, algorithm: ChecksumAlgorithm): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function verifyFile(file: string, expected: Checksum): Promise<void> {
  const actual = await hashFile(file, expected.algorithm);
  if (actual !== expected.hex) {
    throw new ChecksumError(`${file}: ${expected.algorithm} is ${actual}, expected ${expected.hex}`);
  }
}
