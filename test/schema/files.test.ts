/** The file schemas: valid files give typed values; every invalid one a located error (exit 3). */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, PipelineError } from '../../src/errors.js';
import { hashBytes } from '../../src/hash/hash-file.js';
import { Lockfile } from '../../src/lock/lockfile.js';
import { parsePointer, readPointer } from '../../src/pointer/pointer-file.js';
import { linkTypes, loadConfig } from '../../src/repo/config.js';
import { validate } from '../../src/schema/located.js';
import { isValidManifest, manifestSchema, parseManifest } from '../../src/schema/manifest.js';
import { parseRunEntry } from '../../src/schema/run-entry.js';
import { ParseCache } from '../../src/util/parse-cache.js';
import { tempDir } from '../helpers/cli.js';

const H = hashBytes('data');

function error(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PipelineError) {
      expect(e.exitCode).toBe(ExitCode.invalidPipeline);
      return e;
    }
    throw e;
  }
  throw new Error('expected a PipelineError');
}

const pointerText = (out: string): string => `# comment\nouts:\n${out}`;
const goodOut = `- path: data\n  sha256: ${H}\n  size: 4\n  nfiles: 2\n`;

describe('pointer files', () => {
  test('a valid pointer gives typed values; its path is relative to the pointer file', () => {
    expect(parsePointer('data.mlp', pointerText(goodOut))).toEqual({ file: 'data.mlp', path: 'data', info: { hash: H, size: 4, nfiles: 2 } });
    expect(parsePointer('sub/data.mlp', pointerText(goodOut)).path).toBe('sub/data');
  });

  test.each([
    ['a parent path', '- path: ../victim\n  sha256: H\n  size: 4\n', "data.mlp:3:9: outs[0]: path '../victim' climbs out with '..'"],
    ['an absolute path', '- path: /etc\n  sha256: H\n  size: 4\n', "data.mlp:3:9: outs[0]: path '/etc' is absolute"],
    ['a path through a subdirectory', '- path: a/../../x\n  sha256: H\n  size: 4\n', "data.mlp:3:9: outs[0]: path 'a/../../x' climbs out with '..'"],
    ['a path into .git', '- path: .git/hooks\n  sha256: H\n  size: 4\n', "data.mlp:3:9: outs[0]: path '.git/hooks' is inside .git/"],
    ['a hash that is a path', '- path: data\n  sha256: "../../../../victim.txt"\n  size: 4\n', "data.mlp:4:11: outs[0].sha256: '../../../../victim.txt' is not a sha256 hash"],
    ['an uppercase hash', `- path: data\n  sha256: ${H.toUpperCase()}\n  size: 4\n`, 'data.mlp:4:11: outs[0].sha256: '],
    ['a negative size', '- path: data\n  sha256: H\n  size: -1\n', 'data.mlp:5:9: outs[0].size: must be a whole number (0 or more), got -1'],
    ['a misspelt key', '- path: data\n  sha265: H\n  size: 4\n', "data.mlp:4:3: unknown key 'sha265' in outs[0]"],
    ['a missing key', '- path: data\n  size: 4\n', "data.mlp:3:3: missing key 'sha256' in outs[0]"],
    ['two entries', '- path: a\n  sha256: H\n  size: 4\n- path: b\n  sha256: H\n  size: 4\n', 'data.mlp:3:1: outs: must hold exactly one entry'],
  ])('%s is a located error', (_name, out, message) => {
    const e = error(() => parsePointer('data.mlp', pointerText(out.replace(/\bH\b/g, H))));
    expect(e.message).toContain(message);
    expect(e.file).toBe('data.mlp');
    expect(e.hint).toContain(message.includes('unknown key') ? 'known keys: path, sha256, size, nfiles, remote' : 'git checkout data.mlp');
  });

  test('a pointer in a subdirectory may not climb out of it either', () => {
    expect(error(() => parsePointer('sub/x.mlp', pointerText(goodOut.replace('path: data', 'path: ../data')))).message).toContain("climbs out with '..'");
  });

  test('an import pointer records its source (DVC import format); the source is validated too', () => {
    const C = 'c'.repeat(40);
    const imported = `outs:\n${goodOut}  remote: archive\ndeps:\n- path: data/images\n  repo:\n    url: https://example.com/registry\n    rev: v1\n    rev_lock: ${C}\nfrozen: true\n`;
    expect(parsePointer('data.mlp', imported)).toEqual({
      file: 'data.mlp',
      path: 'data',
      info: { hash: H, size: 4, nfiles: 2 },
      remote: 'archive',
      source: { path: 'data/images', repo: { url: 'https://example.com/registry', rev: 'v1', rev_lock: C } },
    });
    expect(error(() => parsePointer('data.mlp', imported.replace(C, 'main'))).message).toContain('data.mlp:12:15: deps[0].repo.rev_lock: must be a git commit id (40 hex digits), got main');
    expect(error(() => parsePointer('data.mlp', imported.replace('path: data/images', 'path: ../x'))).message).toContain("data.mlp:8:9: deps[0]: path '../x' climbs out with '..'");
    expect(error(() => parsePointer('data.mlp', imported.replace('remote: archive', 'remote: -x'))).message).toContain('must be a remote name');
  });

  test('unknown keys list the known ones', () => {
    expect(error(() => parsePointer('data.mlp', pointerText(goodOut.replace('nfiles', 'nfile')))).hint).toBe('known keys: path, sha256, size, nfiles, remote');
  });

  test('the parse cache serves validated values, and a damaged cache entry is not trusted', () => {
    const dir = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'data.mlp'), pointerText(goodOut));
      const cacheFile = path.join(dir, 'parsed.json');
      const first = ParseCache.load(cacheFile, 'test');
      const pointer = readPointer(dir, 'data.mlp', first);
      first.save();
      expect(readPointer(dir, 'data.mlp', ParseCache.load(cacheFile, 'test'))).toEqual(pointer);
      // Rewrite the cached value as an attacker (or a bug) would: the file is read again instead.
      const raw = fs.readFileSync(cacheFile, 'utf8');
      fs.writeFileSync(cacheFile, raw.replace('"path":"data"', '"path":"../victim"').replace(H, '../../x'));
      expect(fs.readFileSync(cacheFile, 'utf8')).toContain('../victim');
      expect(readPointer(dir, 'data.mlp', ParseCache.load(cacheFile, 'test'))).toEqual(pointer);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a bad pointer is not cached', () => {
    const dir = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'data.mlp'), pointerText(goodOut.replace('path: data', 'path: ../x')));
      const cache = ParseCache.load(path.join(dir, 'parsed.json'), 'test');
      expect(error(() => readPointer(dir, 'data.mlp', cache)).message).toContain('data.mlp:3:9:');
      expect(error(() => readPointer(dir, 'data.mlp', cache)).message).toContain('data.mlp:3:9:');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pipeline.lock', () => {
  const lock = (out: string): string => `schema: '1'\nstages:\n  s:\n    cmd: echo\n    outs:\n${out}`;
  const goodLockOut = `    - path: out.txt\n      sha256: ${H}\n      size: 4\n`;

  test('a valid lock gives typed entries', () => {
    expect(Lockfile.parse(lock(goodLockOut)).get('s')).toEqual({ cmd: ['echo'], deps: [], params: {}, outs: [{ path: 'out.txt', hash: H, size: 4 }] });
  });

  test.each([
    ['a hash that is a path', goodLockOut.replace(H, '"../../x"'), "pipeline.lock:7:15: stages.s.outs[0].sha256: '../../x' is not a sha256 hash"],
    ['a short hash', goodLockOut.replace(H, H.slice(0, 12)), 'pipeline.lock:7:15: stages.s.outs[0].sha256: '],
    ['a path outside', goodLockOut.replace('out.txt', '../canary/x'), "pipeline.lock:6:13: stages.s.outs[0]: path '../canary/x' climbs out with '..'"],
    ['a path into .mlp', goodLockOut.replace('out.txt', '.mlp/config.yaml'), "stages.s.outs[0]: path '.mlp/config.yaml' is inside .mlp/"],
    ['an unknown key', `${goodLockOut}      md5: x\n`, "pipeline.lock:9:7: unknown key 'md5' in stages.s.outs[0]"],
  ])('%s is a located error', (_name, out, message) => {
    expect(error(() => Lockfile.parse(lock(out))).message).toContain(message);
  });

  test('another schema version, a cmd that is not a command, and a file label at a revision', () => {
    expect(error(() => Lockfile.parse("schema: '2'\nstages: {}\n")).message).toBe('pipeline.lock:1:9: schema: unsupported schema 2 (this mlp writes 1)');
    expect(error(() => Lockfile.parse('stages:\n  s: {cmd: 3}\n')).message).toContain('stages.s.cmd: must be a command string or a non-empty list of them, got 3');
    expect(error(() => Lockfile.parse('stages:\n  s: {cmd: [x, 3]}\n')).message).toContain('stages.s.cmd[1]: must be a string, got 3');
    expect(error(() => Lockfile.parse('stages: [a]\n', 'pipeline.lock (at HEAD~1)')).message).toBe(
      'pipeline.lock (at HEAD~1):1:9: stages: must be a mapping of stage names to entries, got a list',
    );
  });
});

describe('directory manifests', () => {
  const manifest = (entries: unknown): string => `${JSON.stringify(entries)}\n`;

  test('a valid manifest gives typed entries', () => {
    const entries = [
      { path: 'a', hash: H, size: 4 },
      { path: 'b/.git/c', hash: H, size: 4 },
    ];
    expect(parseManifest(manifest(entries), 'm')).toEqual(entries);
  });

  test.each([
    ['a climbing entry', [{ path: '../../ESCAPE.sh', hash: H, size: 1 }], "m:1:10: entry 1: path '../../ESCAPE.sh' climbs out with '..'"],
    ['an absolute entry', [{ path: '/tmp/x', hash: H, size: 1 }], "entry 1: path '/tmp/x' is absolute"],
    ['an entry through a subdirectory', [{ path: 'a/../../x', hash: H, size: 1 }], "entry 1: path 'a/../../x' climbs out with '..'"],
    ['an empty entry', [{ path: '', hash: H, size: 1 }], "entry 1: path '' is empty"],
    ['a duplicate', [{ path: 'f', hash: H, size: 1 }, { path: 'f', hash: H, size: 1 }], "entry 2: path 'f' is listed more than once"],
    ['a file that is also a directory', [{ path: 'f', hash: H, size: 1 }, { path: 'f/g', hash: H, size: 1 }], "entry 2: path 'f/g' is inside 'f', which is listed as a file"],
    ['a bad hash', [{ path: 'f', hash: '../x', size: 1 }], "entry 1, hash: '../x' is not a sha256 hash"],
    ['an extra key', [{ path: 'f', hash: H, size: 1, mode: 4755 }], "unknown key 'mode' in entry 1"],
    ['not a list', { path: 'f' }, 'm:1:1: a directory manifest must be a list of entries'],
  ])('%s is a located error', (_name, entries, message) => {
    const e = error(() => parseManifest(manifest(entries), 'm'));
    expect(e.message).toContain(message);
    expect(e.hint).toContain(message.startsWith('unknown key') ? 'known keys: path, hash, size' : 'delete it');
  });

  test('the direct check and the schema agree', () => {
    const base = { path: 'a/b', hash: H, size: 1 };
    const variants: unknown[] = [
      [base],
      [base, { ...base, path: 'a/c' }],
      [base, { ...base, path: 'a' }],
      [base, base],
      [{ ...base, size: 1.5 }],
      [{ ...base, size: -1 }],
      [{ ...base, hash: H.toUpperCase() }],
      [{ ...base, extra: 1 }],
      [{ path: 'a', hash: H }],
      [{ ...base, path: 'a/./b' }],
      [{ ...base, path: '.git/x' }],
      [null],
      [[base]],
      {},
      [],
    ];
    for (const value of variants) {
      let schemaAccepts = true;
      try {
        validate(value, manifestSchema(), 'm', { hint: '' });
      } catch {
        schemaAccepts = false;
      }
      expect([value, isValidManifest(value)]).toEqual([value, schemaAccepts]);
    }
  });

  test('broken JSON is a located error too', () => {
    expect(error(() => parseManifest('[{"path": "a",,}]', 'm')).message).toMatch(/^m:1:\d+: invalid JSON: /);
  });
});

describe('run-cache entries', () => {
  test('valid and invalid entries', () => {
    expect(parseRunEntry(JSON.stringify({ outs: [{ path: 'o', hash: H, size: 1 }] }), 'r')).toEqual([{ path: 'o', hash: H, size: 1 }]);
    expect(error(() => parseRunEntry(JSON.stringify({ outs: [{ path: '../o', hash: H, size: 1 }] }), 'r')).message).toContain("r:1:18: outs[0]: path '../o' climbs out");
    expect(error(() => parseRunEntry(JSON.stringify({ outs: [{ path: 'o', hash: 'x', size: 1 }] }), 'r')).message).toContain("outs[0].hash: 'x' is not a sha256 hash");
    expect(error(() => parseRunEntry('{"outs": 3}', 'r')).message).toContain('r:1:10: outs: must be a list of outputs, got 3');
  });
});

describe('.mlp/config.yaml and config.local.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (files: Record<string, string>): void => {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  };
  const load = () => loadConfig(dir);

  test('a valid configuration, with empty sections and a comma-separated cache type', () => {
    write({ 'config.yaml': 'cache:\n  type: reflink, copy\ncore:\nremotes:\n  r:\n    url: s3://b/p\n    region: eu\n    part_size: 10485760\n', 'config.local.yaml': 'remotes:\n  r:\n    secret_access_key: s\n' });
    const config = load();
    expect(linkTypes(config)).toEqual(['reflink', 'copy']);
    expect(config.remotes?.r).toEqual({ url: 's3://b/p', region: 'eu', part_size: 10485760, secret_access_key: 's' });
    expect(config.core).toBeUndefined();
  });

  test.each([
    ['config.yaml', 'core:\n  jbos: 3\n', "config.yaml:2:3: unknown key 'jbos' in core", 'known keys: jobs, remote'],
    ['config.yaml', "core:\n  jobs: '1'\n", "config.yaml:2:9: core.jobs: must be a positive integer, got \"1\" (a string: remove the quotes)", 'e.g. jobs: 4'],
    ['config.yaml', 'core:\n  jobs: 0\n', 'core.jobs: must be a positive integer, got 0', 'e.g. jobs: 4'],
    ['config.yaml', 'cache:\n  type: [teleport]\n', 'config.yaml:2:10: cache.type[0]: must be one of reflink, hardlink, symlink, copy, got "teleport"', 'e.g. type: [reflink, copy]'],
    ['config.yaml', 'cache:\n  type: teleport\n', 'cache.type: must be one or more of reflink, hardlink, symlink, copy, got "teleport"', 'e.g. type: [reflink, copy]'],
    ['config.yaml', 'cache:\n  type: []\n', 'cache.type: must list at least one of', 'e.g. type: [reflink, copy]'],
    ['config.yaml', 'remotes:\n  r:\n    url: /x\n    jbos: 3\n', "config.yaml:4:5: unknown key 'jbos' in remotes.r", 'known keys for a local remote: url, jobs'],
    ['config.local.yaml', 'remotes:\n  r:\n    jbos: 3\n', "config.local.yaml:3:5: unknown key 'jbos' in remotes.r", 'known keys for a remote: url, jobs, user, port'],
    ['config.yaml', 'remotes:\n  r:\n    url: ssh://h/x\n    port: 70000\n', 'remotes.r.port: must be a port number (1 to 65535), got 70000', 'see "Configuration"'],
    ['config.yaml', 'remotes:\n  r:\n    url: s3://b\n    path_style: yes\n', 'remotes.r.path_style: must be true or false, got "yes"', 'see "Configuration"'],
    ['config.yaml', 'remotes: [a]\n', 'config.yaml:1:10: remotes: must be a mapping of remote names to their options, got a list', 'see "Configuration"'],
    ['config.yaml', 'resources:\n  gpu: two\n', 'config.yaml:2:8: resources.gpu: gpu must be a number of at least 0, got "two"', 'e.g. resources: {gpu: 2, memory: 32GB}'],
    ['config.local.yaml', 'resources:\n  memory: lots\n', 'config.local.yaml:2:11: resources.memory: memory must be a size such as 512MB', 'e.g. resources:'],
    ['config.local.yaml', 'cahce: {}\n', "config.local.yaml:1:1: unknown key 'cahce'", 'known keys: cache, core, remotes'],
    ['config.yaml', '- a\n', 'config.yaml:1:1: must be a mapping of sections (cache, core, remotes, resources, executor, slurm, parsing, tracking, monitor, deploy), got a list', 'see "Configuration"'],
  ])('%s %j is a located error', (file, text, message, hint) => {
    write({ [file]: text });
    const e = error(load);
    expect(e.message).toContain(message);
    expect(e.hint).toContain(hint);
  });

  test('an option another kind of remote takes is reported in the file that sets it', () => {
    write({ 'config.yaml': 'remotes:\n  r:\n    url: ssh://host/srv\n', 'config.local.yaml': '# local\nremotes:\n  r:\n    region: eu-west-1\n' });
    const e = error(load);
    expect(e.message).toBe(`${path.basename(dir)}/config.local.yaml:4:5: unknown key 'region' in remotes.r: an SSH remote (ssh://host/srv) has no such option`);
    expect(e.hint).toBe('known keys for an SSH remote: url, jobs, user, port, key_file, known_hosts, password, password_env, timeout');
  });
});
