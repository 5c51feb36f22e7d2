/** How `mlp repro` reports each kind of stage failure, through the built CLI. */
import fs from 'node:fs';
import path from 'node:path';
import { count, makeRepo, read, runMlp, writeFiles } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const dir = makeRepo(files);
  dirs.push(dir);
  return dir;
}

/** A stage whose output is a Unix socket: opening it to hash it fails with ENXIO, which mlp does not expect. */
const SOCKET_STAGE = {
  'pipeline.yaml': `
stages:
  sock:
    cmd: node -e "require('net').createServer().listen('s.sock', () => process.exit(0))"
    outs: [s.sock]
  later: {cmd: echo later >> runs.log && touch l.txt, outs: [l.txt]}
`,
};

describe('stage failures', () => {
  test('an unexpected error is an internal error with a bug-report hint; -v shows its stack', () => {
    const dir = repo(SOCKET_STAGE);
    const plain = runMlp(dir, ['repro', '-k', '-j', '1']);
    expect(plain.code).toBe(4);
    expect(plain.stderr).toContain("error: stage 'sock' failed with an internal error: ENXIO: no such device or address");
    expect(plain.stderr).toContain('hint: this is a bug in mlp or a system error it does not handle; rerun with -v for the stack trace and report it');
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    // Even with -k nothing new starts after an internal error, so -k is not suggested either.
    expect(count(dir)).toBe(0);
    expect(runMlp(dir, ['repro', '-j', '1']).stderr).not.toContain('--keep-going');

    for (const args of [['repro', '-v'], ['-v', 'repro']]) {
      const verbose = runMlp(dir, args);
      expect(verbose.code).toBe(4);
      expect(verbose.stderr).toContain("error: stage 'sock' failed with an internal error: ENXIO");
      expect(verbose.stderr).toContain('please report it with the stack trace below');
      expect(verbose.stderr).toMatch(/^Error: ENXIO: no such device or address, open '.*s\.sock'\n\s+at /m);
    }
  });

  test('a missing dep under -s is reported with the stage that produces it, the -s advice in the hint', () => {
    const dir = repo({
      'pipeline.yaml': 'stages:\n  a: {cmd: touch a.txt, outs: [a.txt]}\n  b: {cmd: cp a.txt b.txt, deps: [a.txt], outs: [b.txt]}\n',
    });
    const result = runMlp(dir, ['repro', '-s', 'b']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 'b' failed: dep a.txt is missing\nhint: run stage 'a' first, or drop -s so that mlp runs it\n");
  });

  test('a missing output is reported with what to do', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  s: {cmd: "true", outs: [never.txt]}\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 's' did not create its output never.txt\nhint: make the command write never.txt, or remove it from the stage's outs\n");
  });

  test('a command that cannot start because its wdir is missing says so', () => {
    const dir = repo({ 'pipeline.yaml': 'stages:\n  s: {cmd: "true", wdir: nowhere, always_changed: true}\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 's' failed: its working directory nowhere does not exist\nhint: create nowhere, or fix the stage's `wdir`\n");
  });

  test('a known problem found in a stage keeps its hint, and leaves the outputs in the workspace alone', () => {
    const dir = repo({ 'params.yaml': 'n: 1\n', 'pipeline.yaml': 'stages:\n  s: {cmd: echo made > o.txt, params: [n], outs: [o.txt]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'o.txt'), 'edited by hand\n');
    writeFiles(dir, { 'params.yaml': 'm: 1\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 's' failed: pipeline.yaml:2:3: stage 's': param 'n' is not in params.yaml\nhint: add 'n' to params.yaml");
    expect(read(dir, 'o.txt')).toBe('edited by hand\n');
  });
});
