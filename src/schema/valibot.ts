import { createRequire } from 'node:module';
import type * as Valibot from 'valibot';

let loaded: typeof Valibot | undefined;

/**
 * The valibot library, loaded on first use (~13 ms). Values served from the parse cache were
 * validated before they were stored and are re-checked by the cheap typed constructors
 * (`isRepoPath`, `isSha256`), so a command whose files are all cached never loads it.
 */
export function valibot(): typeof Valibot {
  return (loaded ??= createRequire(import.meta.url)('valibot') as typeof Valibot);
}
