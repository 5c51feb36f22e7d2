/** Finished stages survive a killed repro (they are journalled, not rewritten into the lock each time). */
import fs from 'node:fs';
import path from 'node:path';
import { count, makeRepo, read, runMlp, startMlp, waitFor } from '../helpers/cli.js';

const PIPELINE = `
stages:
  a: {cmd: echo a >> runs.log && echo a > a.txt, deps: [in.txt], outs: [a.txt]}
  b: {cmd: echo b >> runs.log && cat a.txt > b.txt, deps: [a.txt], outs: [b.txt]}
  slow:
    cmd: echo $$ > slow.pid && exec sleep 60
    deps: [b.txt]
    outs: [slow.txt]
`;

describe('a repro killed with SIGKILL', () => {
  let stagePid: number | undefined;
  afterEach(() => {
    if (stagePid === undefined) return;
    try {
      process.kill(stagePid, 'SIGKILL'); // the stage outlives mlp: nothing was left to stop it
    } catch {
      // already gone
    }
    stagePid = undefined;
  });

  test('keeps every finished stage: status sees them up to date, the next repro runs only the rest', async () => {
    const dir = makeRepo({ 'in.txt': 'in\n', 'pipeline.yaml': PIPELINE });
    const { child, done } = startMlp(dir, ['repro', '-j', '1']);
    await waitFor(() => fs.existsSync(path.join(dir, 'slow.pid')) && read(dir, 'slow.pid').trim() !== '');
    stagePid = Number(read(dir, 'slow.pid').trim());
    child.kill('SIGKILL');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null);
    // The orphaned stage holds mlp's stdout: stop it, so the output streams close.
    process.kill(stagePid, 'SIGKILL');
    await done;
    expect(count(dir)).toBe(2);

    const status = runMlp(dir, ['status', '--json']);
    expect(status.code).toBe(0);
    const stages = (JSON.parse(status.stdout) as { stages: Record<string, { state: string }> }).stages;
    expect(stages.a?.state).toBe('up-to-date');
    expect(stages.b?.state).toBe('up-to-date');
    expect(stages.slow?.state).toBe('stale');

    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), PIPELINE.replace('exec sleep 60', 'touch slow.txt'));
    const repro = runMlp(dir, ['repro']);
    expect(repro.code).toBe(0);
    expect(repro.stderr).toContain('taking over the repository lock'); // the killed run's
    expect(repro.stdout).toContain("Running 'slow'");
    expect(count(dir)).toBe(2); // a and b did not run again
    const lock = read(dir, 'pipeline.lock');
    for (const stage of ['a:', 'b:', 'slow:']) expect(lock).toContain(stage);
    expect(fs.readdirSync(path.join(dir, '.mlp/tmp')).filter((f) => f.includes('journal'))).toEqual([]);
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
  });
});
