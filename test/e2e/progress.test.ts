/**
 * Progress on a terminal, driven through a real pseudo-terminal (`script` from util-linux):
 * `mlp repro` and `mlp checkout` draw their status line there, and add nothing to their output
 * in a pipe. Skipped where `script` is missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLP_BIN, makeRepo, runMlp } from '../helpers/cli.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const repos: string[] = [];

afterEach(() => {
  for (const dir of repos.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs mlp with a pseudo-terminal of 100 columns as stdin/stdout/stderr; the text with escapes removed. */
function onTerminal(cwd: string, args: string[]): { code: number; text: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', FORCE_COLOR: '0' };
  delete env.CI; // CI means "no interactive display"
  const command = `stty cols 100 2>/dev/null; '${process.execPath}' '${MLP_BIN}' ${args.map((a) => `'${a}'`).join(' ')}`;
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, env, encoding: 'utf8' });
  const text = (result.stdout ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');
  return { code: result.status ?? -1, text };
}

const PIPELINE = ['stages:', '  a:', '    cmd: echo a > a.txt', '    outs: [a.txt]', '  b:', '    cmd: cat a.txt > b.txt', '    deps: [a.txt]', '    outs: [b.txt]', ''].join('\n');

(hasScript ? describe : describe.skip)('progress on a terminal', () => {
  test('repro shows the stages settled on a terminal, and nothing extra in a pipe', () => {
    const repo = makeRepo({ 'pipeline.yaml': PIPELINE });
    repos.push(repo);
    const tty = onTerminal(repo, ['repro', '-j', '2']);
    expect(tty.code).toBe(0);
    expect(tty.text).toContain('repro');
    expect(tty.text).toMatch(/0\/2 stages/);
    expect(tty.text).toContain('2 ran.');
    const piped = runMlp(repo, ['repro', '-f', '-j', '2']);
    expect(piped.code).toBe(0);
    expect(`${piped.stdout}${piped.stderr}`).not.toMatch(/stages/);
  });

  test('checkout shows bytes and recorded paths on a terminal, and nothing extra in a pipe', () => {
    const repo = makeRepo({ 'pipeline.yaml': PIPELINE });
    repos.push(repo);
    expect(runMlp(repo, ['repro']).code).toBe(0);
    fs.rmSync(path.join(repo, 'a.txt'));
    fs.rmSync(path.join(repo, 'b.txt'));
    const tty = onTerminal(repo, ['checkout']);
    expect(tty.code).toBe(0);
    expect(tty.text).toMatch(/checkout .*B\/4 B  \d\/2 paths/); // redrawn at most every 100 ms: some state of it
    expect(tty.text).toContain('2 restored');
    fs.rmSync(path.join(repo, 'a.txt'));
    const piped = runMlp(repo, ['checkout']);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/paths/);
  });
});
