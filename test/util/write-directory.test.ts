/** writeDirectoryAtomically: a signal while building, and temp directories that killed builds left. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeDirectoryAtomically } from '../../src/util/fs.js';
import { HOST_TAG } from '../../src/util/temp-files.js';
import { PROJECT_ROOT, tempDir } from '../helpers/cli.js';

const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((name) => name !== 'out');

describe('writeDirectoryAtomically', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s while the directory is being built removes the temp directory, then ends the process', async (signal) => {
    const script = `
      import { writeDirectoryAtomically } from ${JSON.stringify(path.join(PROJECT_ROOT, 'dist/src/util/fs.js'))};
      await writeDirectoryAtomically(${JSON.stringify(path.join(dir, 'out'))}, async (temp) => {
        const fs = await import('node:fs');
        fs.writeFileSync(temp + '/weights.bin', Buffer.alloc(1024));
        process.stdout.write('building\\n');
        await new Promise((resolve) => setTimeout(resolve, 60000));
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(leftovers(dir)).toHaveLength(1); // the temp directory, while building
    child.kill(signal);
    const [code, killedBy] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    expect(killedBy).toBe(signal); // the signal still ends the process as it would have
    expect(code).toBeNull();
    expect(leftovers(dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('sweeps temp and old directories whose owner is dead; keeps those of live processes', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = [`.out.tmp.${HOST_TAG}-${dead}-0badc0de`, `.out.old.${HOST_TAG}-${dead}-0badc0de`, `.out.tmp-${dead}-0badc0de`];
    const live = `.out.tmp.${HOST_TAG}-${process.pid}-0badc0de`;
    for (const name of [...stale, live, '.other.tmp-1-0badc0de']) fs.mkdirSync(path.join(dir, name));
    await writeDirectoryAtomically(path.join(dir, 'out'), async (temp) => fs.writeFileSync(path.join(temp, 'a'), 'a'));
    expect(leftovers(dir).sort()).toEqual([live, '.other.tmp-1-0badc0de'].sort());
    expect(fs.readFileSync(path.join(dir, 'out', 'a'), 'utf8')).toBe('a');
  });

  test('an old output moved aside by a build killed mid-swap is put back, and survives a failing rebuild', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const aside = path.join(dir, `.out.old.${HOST_TAG}-${dead}-0badc0de`);
    fs.mkdirSync(aside);
    fs.writeFileSync(path.join(aside, 'a'), 'v1');
    await expect(writeDirectoryAtomically(path.join(dir, 'out'), async () => {
      throw new Error('build failed');
    })).rejects.toThrow('build failed');
    expect(fs.readFileSync(path.join(dir, 'out', 'a'), 'utf8')).toBe('v1');
    expect(leftovers(dir)).toEqual([]);
  });
});
