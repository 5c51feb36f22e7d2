/**
 * Vega, Vega-Lite and vega-embed, found where Node would find them from mlp's own files (its
 * `node_modules`, the folders above, `NODE_PATH`). The HTML page inlines their browser builds so
 * that it draws offline; `--svg` imports their ES modules to render in Node. Read by file path:
 * their packages export neither `package.json` nor the `build/*.min.js` files.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MlpError } from '../../errors.js';

export const VEGA_PACKAGES = ['vega', 'vega-lite', 'vega-embed'] as const;
export type VegaPackage = (typeof VEGA_PACKAGES)[number];

/** The browser build of each package, inlined in this order (vega-embed needs the other two). */
const BROWSER_BUILDS: Record<VegaPackage, string> = {
  vega: 'build/vega.min.js',
  'vega-lite': 'build/vega-lite.min.js',
  'vega-embed': 'build/vega-embed.min.js',
};

/** The ES module each package's `exports` names, for rendering in Node. */
const MODULES: Partial<Record<VegaPackage, string>> = {
  vega: 'build/vega.module.js',
  'vega-lite': 'build/index.js',
};

export interface Library {
  name: VegaPackage;
  version: string;
  dir: string;
}

function findPackage(name: VegaPackage): Library | undefined {
  // NODE_PATH is part of Node's own lookup; listed again for hosts whose `createRequire` leaves it out (jest's).
  const nodePath = (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean);
  const candidates = [...new Set([...(createRequire(import.meta.url).resolve.paths(name) ?? []), ...nodePath])];
  for (const modules of candidates) {
    const dir = path.join(modules, name);
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string };
      return { name, version: pkg.version ?? 'unknown', dir };
    } catch {
      // not in this folder: try the next one up, as Node does
    }
  }
  return undefined;
}

export class MissingLibraryError extends MlpError {}

/** The packages, or an error naming those that are missing. */
export function findLibraries(names: readonly VegaPackage[] = VEGA_PACKAGES): Library[] {
  const found = names.map((name) => ({ name, library: findPackage(name) }));
  const missing = found.filter((f) => !f.library).map((f) => f.name);
  if (missing.length > 0) {
    throw new MissingLibraryError(`cannot draw plots: the npm package${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed`, {
      hint: `install them where mlp is installed (\`npm install ${missing.join(' ')}\`), or use \`mlp plots show --json\`, which needs none`,
    });
  }
  return found.map((f) => f.library as Library);
}

/** The text of each browser build, in the order a page must load them. */
export function browserBuilds(): Array<{ library: Library; code: string }> {
  return findLibraries().map((library) => {
    const file = path.join(library.dir, BROWSER_BUILDS[library.name]);
    try {
      return { library, code: fs.readFileSync(file, 'utf8') };
    } catch (error) {
      throw new MissingLibraryError(`cannot read ${file} (${library.name} ${library.version})`, {
        hint: `reinstall the npm package ${library.name}`,
        cause: error,
      });
    }
  });
}

/** The ES module of `name` (by file path: see the note at the top). */
export async function importLibrary<T>(name: 'vega' | 'vega-lite'): Promise<T> {
  const [library] = findLibraries([name]) as [Library];
  const file = path.join(library.dir, MODULES[name] as string);
  const { pathToFileURL } = await import('node:url');
  return (await import(pathToFileURL(file).href)) as T;
}
