import { readFileSync } from 'node:fs';

/** mlp's name on the npm registry (`mlp` there is an unrelated library); the command stays `mlp`. */
export const MLP_PACKAGE_NAME = 'mlp-pipeline';

let version: string | undefined;

/** mlp's own version, from package.json (two levels up when built into dist/src, one from src/). */
export function mlpVersion(): string {
  if (version) return version;
  for (const relative of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === MLP_PACKAGE_NAME) return (version = pkg.version);
    } catch {
      // try the next layout
    }
  }
  throw new Error('mlp: cannot find its package.json');
}
