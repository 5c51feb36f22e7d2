/** The `MlpError` a call throws, for tests that check its message, hint and exit code. */
import { MlpError } from '../../src/errors.js';

export function thrownMlpError(fn: () => unknown): MlpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MlpError) return error;
    throw error;
  }
  throw new Error('expected an MlpError');
}

/** The `MlpError` a promise rejects with. */
export async function rejectedMlpError(promise: Promise<unknown>): Promise<MlpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MlpError) return error;
    throw error;
  }
  throw new Error('expected an MlpError');
}
