/**
 * The README's console blocks as runnable checks: each "$ command" line with the output lines that
 * follow it. A line `…` in the README stands for any number of output lines (progress, timings).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLP_BIN, PROJECT_ROOT } from './cli.js';

export interface ConsoleStep {
  command: string;
  output: string[];
}

/** The text of the README from the heading `start` (inclusive) to the next heading of the same level or above. */
export function readmeSection(start: string): string {
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8').split('\n');
  const from = lines.indexOf(start);
  if (from < 0) throw new Error(`README has no heading ${start}`);
  const level = /^#+/.exec(start)![0].length;
  let fenced = false;
  let to = lines.length;
  for (let i = from + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) fenced = !fenced;
    // A `#` line inside a code block is a comment, not a heading.
    else if (!fenced && new RegExp(`^#{1,${level}} `).test(line)) {
      to = i;
      break;
    }
  }
  return lines.slice(from + 1, to).join('\n');
}

/** The ```console blocks of a README section, as steps. A command may continue on lines ending in `\`. */
export function consoleSteps(section: string): ConsoleStep[] {
  const steps: ConsoleStep[] = [];
  for (const block of section.matchAll(/```console\n([^]*?)```/g)) {
    const lines = (block[1] ?? '').replace(/\n$/, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('$ ')) {
        let command = line.slice(2);
        // Kept as written: bash reads a backslash before a newline as a line continuation.
        while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[++i]!}`;
        steps.push({ command, output: [] });
      } else {
        steps.at(-1)?.output.push(line);
      }
    }
  }
  return steps;
}

/** Whether `actual` matches `expected`, where an expected line `…` matches any run of lines. */
export function matchesOutput(expected: readonly string[], actual: readonly string[]): boolean {
  const memo = new Map<string, boolean>();
  const match = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (e === expected.length) result = a === actual.length;
    else if (expected[e] === '…') result = match(e + 1, a) || (a < actual.length && match(e, a + 1));
    else result = a < actual.length && expected[e] === actual[a] && match(e + 1, a + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

/**
 * Runs a README command in `cwd` with bash, stdout and stderr together, `mlp` (and `npx mlp`)
 * being the built CLI under test.
 */
export function runReadmeCommand(cwd: string, command: string, shimDir: string): { code: number; lines: string[] } {
  if (!fs.existsSync(path.join(shimDir, 'mlp'))) {
    fs.mkdirSync(shimDir, { recursive: true });
    fs.writeFileSync(path.join(shimDir, 'mlp'), `#!/bin/sh\nexec "${process.execPath}" "${MLP_BIN}" "$@"\n`, { mode: 0o755 });
  }
  const result = spawnSync('bash', ['-c', `${command.replace(/\bnpx mlp\b/g, 'mlp')} 2>&1`], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { code: result.status ?? -1, lines: result.stdout.replace(/\n$/, '').split('\n').filter((line, i, all) => !(all.length === 1 && line === '')) };
}
