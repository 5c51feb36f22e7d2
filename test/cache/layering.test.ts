/**
 * cache/ sits below repo/ and repro/ (ARCHITECTURE.md): gc and the run-cache store must not reach
 * up into them again, or the layers blur (and import cycles follow).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../helpers/cli.js';

/** Relative module specifiers imported (statically, dynamically or for types) by `file`. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)['"]/g)].map((m) => m[1] as string);
}

test('no module in src/cache imports src/repo or src/repro', () => {
  const dir = path.join(PROJECT_ROOT, 'src', 'cache');
  const offending = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => importsOf(path.join(dir, f)).filter((s) => /^\.\.\/(repo|repro)\//.test(s)).map((s) => `${f}: ${s}`));
  expect(offending).toEqual([]);
});

test('the remote backend interface imports no backend (each backend imports it)', () => {
  const specs = importsOf(path.join(PROJECT_ROOT, 'src', 'remote', 'backend.ts'));
  expect(specs.filter((s) => /\.\/(local|ssh|s3)\.js$/.test(s))).toEqual([]);
});
