/** NO_COLOR and FORCE_COLOR, in the unit and through the built CLI on a real pseudo-terminal. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { useColour } from '../../src/ui/colour.js';
import { MLP_BIN, makeRepo } from '../helpers/cli.js';

describe('useColour', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  test.each([
    [tty, {}, true],
    [pipe, {}, false],
    [tty, { NO_COLOR: '1' }, false],
    [tty, { NO_COLOR: '' }, true], // no-color.org: present and not empty
    [pipe, { FORCE_COLOR: '1' }, true],
    [pipe, { FORCE_COLOR: '' }, true],
    [tty, { FORCE_COLOR: '0' }, false],
    [tty, { FORCE_COLOR: 'false' }, false],
    [tty, { FORCE_COLOR: '1', NO_COLOR: '1' }, true], // FORCE_COLOR wins, as in Node
    [tty, { TERM: 'dumb' }, false],
  ])('%o with %o → %s', (stream, env, expected) => {
    expect(useColour(stream, env)).toBe(expected);
  });
});

describe('mlp repro stage prefixes', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  const run = (dir: string, env: NodeJS.ProcessEnv): string => {
    // `script` gives mlp a pseudo-terminal: the case where colour is on unless NO_COLOR says no.
    const { FORCE_COLOR: _force, NO_COLOR: _no, ...base } = process.env;
    const result = spawnSync('script', ['-qec', `"${process.execPath}" "${MLP_BIN}" repro -f -j 2`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...base, TERM: 'xterm', ...env } });
    return result.stdout;
  };
  (hasScript ? test : test.skip)('are coloured on a terminal, and not with NO_COLOR', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  a: {cmd: echo hi}\n  b: {cmd: echo ho}\n' });
    expect(run(dir, {})).toMatch(/\x1b\[3\dm\[a\]\x1b\[39m hi/);
    const plain = run(dir, { NO_COLOR: '1' });
    expect(plain).toContain('[a] hi');
    expect(plain).not.toContain('\x1b[');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
