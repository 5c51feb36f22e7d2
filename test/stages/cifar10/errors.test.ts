/** The CIFAR-10 stage follows the stages' one error convention (stages/common/errors.ts). */
import { MlpError } from '../../../src/errors.js';
import { ChecksumError, parseChecksum } from '../../../stages/cifar10/checksum.js';
import { CifarFormatError } from '../../../stages/cifar10/cifar-format.js';
import { DatasetError } from '../../../stages/cifar10/dataset.js';
import { DownloadError } from '../../../stages/cifar10/download.js';
import { ImageDecodeError } from '../../../stages/cifar10/image-decode.js';
import { ModelError } from '../../../stages/cifar10/model-io.js';
import { NpyFormatError } from '../../../stages/cifar10/npy.js';
import { resolveParams } from '../../../stages/cifar10/params.js';
import { TarFormatError } from '../../../stages/cifar10/tar-reader.js';

test.each([ChecksumError, CifarFormatError, DatasetError, DownloadError, ImageDecodeError, ModelError, NpyFormatError, TarFormatError].map((c) => [c.name, c] as const))(
  '%s is an MlpError with its own hint (exit 1)',
  (_name, ErrorClass) => {
    const error = new ErrorClass('something is wrong');
    expect(error).toBeInstanceOf(MlpError);
    expect(error.message).toBe('something is wrong');
    expect(error.hint).toMatch(/\w/);
    expect(error.exitCode).toBe(1);
  },
);

test('bad params and bad checksum values are usage errors (exit 2) with a hint', () => {
  const params = (() => {
    try {
      resolveParams({ train: { epochs: 0 } }, 'params.yaml#cifar10');
    } catch (error) {
      return error;
    }
  })() as MlpError;
  expect(params).toBeInstanceOf(MlpError);
  expect(params.message).toBe('params.yaml#cifar10.train.epochs must be an integer ≥ 1, got 0');
  expect(params.exitCode).toBe(2);
  expect(params.hint).toMatch(/README/);
  expect(() => parseChecksum('md5', 'abc')).toThrow(expect.objectContaining({ exitCode: 2, message: 'md5 must be 32 hex digits, got "abc"' }));
});
