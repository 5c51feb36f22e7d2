/** How `mlp repro` reports each kind of stage failure, through the built CLI. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLP_BIN, count, makeRepo, read, runMlp } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const dir = makeRepo(files);
  dirs.push(dir);
  return dir;
}

/** A stage whose output is a Unix socket: mlp stores only regular files and directories. */
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
  // An output that is a socket used to be opened for hashing (ENXIO: an internal error); it is a
  // known problem now, named with its path. Internal errors (bugs) are covered by the unit tests
  // of execute-stage, the scheduler and src/ui/stage-failure.
  test('an output that is a socket is a known failure that names it; -k keeps going', () => {
    const dir = repo(SOCKET_STAGE);
    const plain = runMlp(dir, ['repro', '-k', '-j', '1']);
    expect(plain.code).toBe(4);
    expect(plain.stderr).toContain("error: stage 'sock' failed: s.sock is a socket: mlp tracks only regular files and directories\nhint: move s.sock out of the tracked path");
    expect(plain.stderr).not.toContain('internal error');
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    expect(count(dir)).toBe(1);
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
    const dir = repo({ 'in.txt': 'x\n', 'pipeline.yaml': 'stages:\n  s: {cmd: echo made > o.txt, deps: [in.txt], outs: [o.txt]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'o.txt'), 'edited by hand\n');
    fs.rmSync(path.join(dir, 'in.txt'));
    execFileSync('mkfifo', [path.join(dir, 'in.txt')]);
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 's' failed: in.txt is a FIFO (named pipe): mlp tracks only regular files and directories\nhint: move in.txt out of the tracked path");
    expect(read(dir, 'o.txt')).toBe('edited by hand\n');
  });
});

describe('a reader that stops early', () => {
  test('`mlp repro | head -1` still finishes the run: every stage recorded, no repository lock left', () => {
    const stages = Array.from({ length: 12 }, (_, i) => `  s${i}: {cmd: 'cat in.txt > o${i}.txt', deps: [in.txt], outs: [o${i}.txt]}`);
    const dir = repo({ 'in.txt': 'x\n', 'pipeline.yaml': `stages:\n${stages.join('\n')}\n` });
    const piped = spawnSync('bash', ['-c', `node ${JSON.stringify(MLP_BIN)} repro -j 1 | head -1`], { cwd: dir, encoding: 'utf8' });
    expect(piped.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, '.mlp/tmp/lock'))).toBe(false);
    const status = runMlp(dir, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('up to date');
  });
});
