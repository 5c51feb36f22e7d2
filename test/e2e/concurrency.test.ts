/** Parallel stages, interrupts and the repository lock, through the built CLI. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOST_TAG } from '../../src/util/temp-files.js';
import { count, makeRepo, read, runMlp, startMlp, waitFor } from '../helpers/cli.js';

describe('parallel stages', () => {
  test('-j 2 runs independent stages at the same time, with prefixed output', () => {
    // Each stage waits (up to 10 s) for the other to have started: this only finishes quickly in parallel.
    const stage = (me: string, other: string) =>
      `touch started-${me} && i=0; while [ ! -e started-${other} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ` +
      `[ -e started-${other} ] && echo ${me}-saw-${other} && touch ${me}.txt`;
    const dir = makeRepo({
      'pipeline.yaml': `
stages:
  left:
    cmd: ${JSON.stringify(stage('left', 'right'))}
    outs: [left.txt]
  right:
    cmd: ${JSON.stringify(stage('right', 'left'))}
    outs: [right.txt]
  join:
    cmd: cat left.txt right.txt > both.txt
    deps: [left.txt, right.txt]
    outs: [both.txt]
`,
    });
    const result = runMlp(dir, ['repro', '-j', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[left] left-saw-right');
    expect(result.stdout).toContain('[right] right-saw-left');
    expect(read(dir, 'pipeline.lock')).toContain('join:');
  });
});

describe('interrupts', () => {
  test('SIGINT kills running stage processes, keeps finished stages, and leaves the lock consistent', async () => {
    const dir = makeRepo({
      'in.txt': 'in\n',
      'pipeline.yaml': `
stages:
  quick: {cmd: echo quick >> runs.log && touch quick.txt, deps: [in.txt], outs: [quick.txt]}
  slow:
    cmd: echo $$ > slow.pid && sleep 30 && touch slow.txt
    deps: [quick.txt]
    outs: [slow.txt]
`,
    });
    const { child, done } = startMlp(dir, ['repro', '-j', '1']);
    await waitFor(() => fs.existsSync(path.join(dir, 'slow.pid')) && read(dir, 'slow.pid').trim() !== '');
    const shellPid = Number(read(dir, 'slow.pid').trim());
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("interrupted 'slow'");
    expect(() => process.kill(shellPid, 0)).toThrow(); // the stage's shell is gone
    const lock = read(dir, 'pipeline.lock');
    expect(lock).toContain('quick:');
    expect(lock).not.toContain('slow:');
    expect(fs.existsSync(path.join(dir, '.mlp/tmp/lock'))).toBe(false);
    const leftovers = (fs.readdirSync(path.join(dir, '.mlp/cache'), { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    // The next repro picks up where it stopped.
    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), read(dir, 'pipeline.yaml').replace('sleep 30', 'sleep 0'));
    expect(runMlp(dir, ['repro']).code).toBe(0);
    expect(count(dir)).toBe(1);
  });
});

describe('repository lock', () => {
  test('a second mlp process gets a clear error while the first one runs', async () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  slow: {cmd: touch started && sleep 5 && touch o, outs: [o]}\n' });
    const first = startMlp(dir, ['repro']);
    await waitFor(() => fs.existsSync(path.join(dir, 'started')));
    const second = runMlp(dir, ['repro']);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain('another mlp process is working in this repository: `mlp repro`');
    expect(second.stderr).toContain('hint: wait for it to finish');
    first.child.kill('SIGINT');
    await first.done;
    // Read-only commands do not need the lock.
    expect(runMlp(dir, ['status']).code).toBe(0);
  });

  test('a lock left by a dead process is taken over with a warning', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: touch o, outs: [o]}\n' });
    fs.mkdirSync(path.join(dir, '.mlp/tmp'), { recursive: true });
    const deadPid = 2 ** 22 + 12345; // above pid_max's default: never a live process
    fs.writeFileSync(
      path.join(dir, '.mlp/tmp/lock'),
      JSON.stringify({ pid: deadPid, host: os.hostname(), command: 'mlp repro', started: '2026-01-01T00:00:00Z' }),
    );
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: taking over the repository lock left by \`mlp repro\` (pid ${deadPid}`);
    expect(fs.existsSync(path.join(dir, 'o'))).toBe(true);
  });

  test('temp files a killed command left in the cache go when its lock is taken over, even if nothing is written', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: touch o, outs: [o]}\n' });
    expect(runMlp(dir, ['repro']).code).toBe(0); // afterwards there is nothing to store
    const deadPid = 2 ** 22 + 12345;
    // Killed while writing a run-cache entry, before it wrote any object (so it left no owner marker).
    const temp = path.join(dir, '.mlp/cache/runs/ab', `${'c'.repeat(62)}.${HOST_TAG}-${deadPid}-0123abcd.tmp`);
    fs.mkdirSync(path.dirname(temp), { recursive: true });
    fs.writeFileSync(temp, 'half an entry');
    fs.writeFileSync(path.join(dir, '.mlp/tmp/lock'), JSON.stringify({ pid: deadPid, host: os.hostname(), command: 'mlp repro', started: '2026-01-01T00:00:00Z' }));
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('taking over the repository lock');
    expect(fs.existsSync(temp)).toBe(false);
  });
});
