/**
 * What goes into each layer of a model image, as sorted tar entries:
 *
 * - runtime: this host's Node binary and the shared libraries `ldd` says it loads (at the paths the
 *   loader looks for them), a minimal /etc, /tmp and the working directory — no distribution, no
 *   shell, so the image works offline and stays small;
 * - mlp: its package.json, bin/, dist/ and the production dependency closure of node_modules
 *   (plus TensorFlow.js for CIFAR-10 models, which only they load), without type declarations
 *   and source maps;
 * - model: the model directory under /model.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlpError, fileSystemError } from '../errors.js';
import { MLP_PACKAGE_NAME } from '../version.js';
import type { TarEntry } from './tar.js';

/** Where things live inside the image. */
export const IMAGE_PATHS = {
  node: '/usr/local/bin/node',
  mlpRoot: '/usr/local/lib/mlp',
  mlpBin: '/usr/local/lib/mlp/bin/mlp.js',
  model: '/model',
  workdir: '/srv',
} as const;

/** Files left out of node_modules and dist: nothing loads them at run time. */
const SKIPPED = /(\.d\.[cm]?ts|\.d\.ts\.map|\.map|\.tsbuildinfo)$/;

/** Entries sorted by path (parents before children, byte order), as every layer is written. */
export function sortEntries(entries: TarEntry[]): TarEntry[] {
  const seen = new Map<string, TarEntry>();
  for (const entry of entries) seen.set(entry.path.replace(/\/$/, ''), entry);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

/** The directories above each entry, so that every path in the layer has its parent. */
function withParents(entries: TarEntry[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const entry of entries) {
    for (let dir = path.posix.dirname(entry.path); dir !== '.' && dir !== '/' && dir !== ''; dir = path.posix.dirname(dir)) dirs.add(dir);
  }
  const have = new Set(entries.filter((e) => e.type === 'dir').map((e) => e.path));
  return [...entries, ...[...dirs].filter((d) => !have.has(d)).map((d): TarEntry => ({ type: 'dir', path: d }))];
}

function rel(abs: string): string {
  return abs.replace(/^\/+/, '');
}

function fileEntry(imagePath: string, source: string): TarEntry {
  const stat = fs.statSync(source);
  return { type: 'file', path: rel(imagePath), source, size: stat.size, mode: stat.mode & 0o111 ? 0o755 : 0o644 };
}

/** The shared libraries a binary loads, as `ldd` resolves them: [path the loader asks for, file on this host]. */
export function sharedLibraries(binary: string): Array<{ imagePath: string; source: string }> {
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (ldd.error || ldd.status !== 0) {
    // A statically linked binary: ldd says "not a dynamic executable" and exits 1.
    if (/not a dynamic executable|statically linked/.test(`${ldd.stdout}${ldd.stderr}`)) return [];
    throw new MlpError(`cannot list the shared libraries of ${binary}: ${ldd.error?.message ?? ldd.stderr.trim()}`, {
      hint: 'install ldd (Debian: libc-bin), or build on a base image: --base node:20-slim',
    });
  }
  const libs: Array<{ imagePath: string; source: string }> = [];
  for (const line of ldd.stdout.split('\n')) {
    const arrow = /^\s*\S+ => (\/\S+) \(0x[0-9a-f]+\)/.exec(line);
    const loader = /^\s*(\/\S+) \(0x[0-9a-f]+\)/.exec(line);
    const p = arrow?.[1] ?? loader?.[1];
    if (p) libs.push({ imagePath: p, source: fs.realpathSync(p) });
    else if (/=> not found/.test(line)) throw new MlpError(`${binary} needs a library this host lacks: ${line.trim()}`, { hint: 'install it, or build on a base image: --base node:20-slim' });
  }
  return libs;
}

/** The runtime layer: Node, its libraries, /etc/passwd and /etc/group (root and nobody), /tmp and the working directory. */
export function runtimeEntries(nodeBinary = process.execPath): TarEntry[] {
  const node = fs.realpathSync(nodeBinary);
  const entries: TarEntry[] = [fileEntry(IMAGE_PATHS.node, node)];
  for (const lib of sharedLibraries(node)) entries.push(fileEntry(lib.imagePath, lib.source));
  entries.push(
    { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n') },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: rel(IMAGE_PATHS.workdir) },
    { type: 'dir', path: 'root', mode: 0o700 },
  );
  return sortEntries(withParents(entries));
}

/** mlp's package root: the directory above this file whose package.json names mlp. */
export function mlpPackageRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === MLP_PACKAGE_NAME) return dir;
    } catch {
      // keep looking upwards
    }
    if (path.dirname(dir) === dir) throw new MlpError('cannot find the mlp package this command runs from');
  }
}

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * The production dependency closure of the package at `root` (its `dependencies`, their
 * dependencies and present optional ones, resolved as Node resolves them), plus `extra` packages:
 * each package's directory on disk and its path relative to `root`'s node_modules.
 */
export function productionPackages(root: string, extra: string[] = []): Array<{ dir: string; rel: string }> {
  const nodeModules = fs.realpathSync(path.join(root, 'node_modules'));
  const found = new Map<string, string>();
  const visit = (name: string, from: string, optional: boolean): void => {
    let dir: string | undefined;
    for (let at = from; ; at = path.dirname(at)) {
      const candidate = path.join(at, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) {
        dir = fs.realpathSync(candidate);
        break;
      }
      if (path.dirname(at) === at) break;
    }
    if (!dir) {
      if (optional) return;
      throw new MlpError(`mlp's dependency ${name} is not installed`, { hint: 'run `npm ci --omit=dev` in mlp\'s package directory' });
    }
    if (found.has(dir)) return;
    const relative = path.relative(nodeModules, dir);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return; // a linked package outside node_modules: not part of the install
    found.set(dir, relative);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, root, false);
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, root, true);
  for (const dep of extra) visit(dep, root, false);
  return [...found.entries()].map(([dir, relative]) => ({ dir, rel: relative })).sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/** Every file, directory and relative symlink under `source`, placed under `imageDir`; nested node_modules are left to the caller. */
function treeEntries(source: string, imageDir: string, skip: (relPath: string, isDir: boolean) => boolean): TarEntry[] {
  const out: TarEntry[] = [{ type: 'dir', path: rel(imageDir) }];
  const walk = (dir: string, relDir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (error) {
      throw fileSystemError(error) ?? error;
    }
    for (const name of names) {
      const abs = path.join(dir, name);
      const relPath = relDir ? `${relDir}/${name}` : name;
      const stat = fs.lstatSync(abs);
      const target = `${rel(imageDir)}/${relPath}`;
      if (skip(relPath, stat.isDirectory())) continue;
      if (stat.isDirectory()) {
        out.push({ type: 'dir', path: target });
        walk(abs, relPath);
      } else if (stat.isFile()) {
        out.push({ type: 'file', path: target, source: abs, size: stat.size, mode: stat.mode & 0o111 ? 0o755 : 0o644 });
      } else if (stat.isSymbolicLink()) {
        const link = fs.readlinkSync(abs);
        // A link that stays inside the tree keeps working in the image; any other is copied as what it points to.
        const resolved = path.resolve(dir, link);
        if (!path.isAbsolute(link) && resolved.startsWith(`${source}/`)) out.push({ type: 'symlink', path: target, target: link });
        else if (fs.statSync(abs, { throwIfNoEntry: false })?.isFile()) out.push(fileEntry(`/${target}`, abs));
      }
    }
  };
  walk(source, '');
  return out;
}

/** The mlp layer: package.json, bin/, dist/ and production node_modules under /usr/local/lib/mlp. */
export function mlpEntries(options: { tensorflow: boolean; root?: string }): TarEntry[] {
  const root = options.root ?? mlpPackageRoot();
  if (!fs.existsSync(path.join(root, 'dist'))) throw new MlpError(`${root} has no dist/: mlp is not built`, { hint: 'run `npm run build` in mlp\'s package directory' });
  const base = IMAGE_PATHS.mlpRoot;
  const entries: TarEntry[] = [fileEntry(`${base}/package.json`, path.join(root, 'package.json'))];
  const skipBuilt = (p: string, isDir: boolean): boolean => !isDir && SKIPPED.test(p);
  entries.push(...treeEntries(path.join(root, 'bin'), `${base}/bin`, skipBuilt));
  entries.push(...treeEntries(path.join(root, 'dist'), `${base}/dist`, skipBuilt));
  const extra = options.tensorflow ? ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] : [];
  for (const pkg of productionPackages(root, extra)) {
    // Nested node_modules hold other packages: the closure lists the ones needed.
    const skip = (p: string, isDir: boolean): boolean => (isDir ? p === 'node_modules' || p.endsWith('/node_modules') : SKIPPED.test(p));
    entries.push(...treeEntries(pkg.dir, `${base}/node_modules/${pkg.rel}`, skip));
  }
  return sortEntries(withParents(entries));
}

/** The model layer: the directory's regular files under /model. */
export function modelEntries(modelDir: string): TarEntry[] {
  const entries = treeEntries(path.resolve(modelDir), IMAGE_PATHS.model, () => false);
  return sortEntries(withParents(entries));
}
