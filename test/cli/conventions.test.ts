/** Conventions users expect from a command-line tool, through the built CLI. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLP_BIN, makeRepo, runMlp, tempDir, writeFiles } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
const repo = (files: Record<string, string> = {}, untracked: Record<string, string> = {}): string => {
  const dir = makeRepo(files, untracked);
  made.push(dir);
  return dir;
};

/** Runs mlp with its stderr a pipe whose reader has gone away. */
async function withClosedStderr(cwd: string, args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [MLP_BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.destroy();
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('mlp conventions', () => {
  test('`mlp` alone prints the usage on stdout and exits 1, as `git` alone does', () => {
    const result = runMlp(repo(), []);
    expect(result.stdout).toMatch(/^Usage: mlp \[options\] \[command\]/);
    expect(result.stdout).toContain('repro');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
  });

  test('a usage error exits 2 even when stderr is a closed pipe', async () => {
    const dir = repo();
    expect(runMlp(dir, ['repro', '--no-such-option']).code).toBe(2);
    expect(await withClosedStderr(dir, ['repro', '--no-such-option'])).toBe(2);
    expect(await withClosedStderr(dir, ['--no-such-option'])).toBe(2);
  });

  test('`mlp init` inside an mlp repository says so and does not nest a second .mlp/', () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, 'sub'));
    const result = runMlp(path.join(dir, 'sub'), ['init']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Already inside the mlp repository at ${fs.realpathSync(dir)}: mlp commands here use its .mlp/; nothing to do.\n`);
    expect(fs.existsSync(path.join(dir, 'sub', '.mlp'))).toBe(false);
    expect(runMlp(dir, ['init']).stdout).toBe('.mlp/ already exists; nothing to do.\n');
  });

  test('counts are singular for one: "1 file"', () => {
    const dir = repo({}, { 'data/one/a.txt': 'a\n' });
    const result = runMlp(dir, ['add', 'data/one']);
    expect(result.stdout).toContain('Added data/one (2 B, 1 file) -> data/one.mlp');
  });

  test('`cifar10 train --help` shows where --params comes from by default', () => {
    const result = runMlp(repo(), ['cifar10', 'train', '--help']);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('(default: params.yaml#cifar10 when that file has the section, else the built-in defaults)');
  });

  test('`text train` on data without the split columns hints at `text prepare`, not at options train lacks', () => {
    const dir = repo({}, { 'raw/train.csv': 'review,sentiment\ngood,pos\nbad,neg\n' });
    const result = runMlp(dir, ['text', 'train', '--data', 'raw', '--out', 'models/x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing column "text"');
    expect(result.stderr).toContain('hint: this command reads the columns text,label that `mlp text prepare` writes');
    expect(result.stderr).not.toMatch(/pick the column with --(text|label)-col/);
  });
});

describe('a built-in command interrupted while saving', () => {
  test('leaves no temporary directory next to its output', async () => {
    const dir = tempDir();
    made.push(dir);
    writeFiles(dir, { 'data/train.csv': `text,label\n${Array.from({ length: 400 }, (_, i) => `word${i} other${i % 7} thing,${i % 2 ? 'a' : 'b'}`).join('\n')}\n` });
    // Killed at several moments of a short run (test/util/write-directory.test.ts kills one mid-save for certain).
    for (const delay of [700, 1400, 2100]) {
      const child = spawn(process.execPath, [MLP_BIN, '-q', 'text', 'train', '--data', 'data', '--out', 'models/m'], { cwd: dir, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGINT');
      await exited;
      const models = path.join(dir, 'models');
      const left = fs.existsSync(models) ? fs.readdirSync(models).filter((name) => name !== 'm') : [];
      expect(left).toEqual([]);
    }
  });
});
