/** Temp-file ownership (src/util/temp-files.ts): whose a temp file is, and when it is abandoned. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  FOREIGN_TEMP_MAX_AGE_MS,
  HOST_TAG,
  LOCAL_TEMP_MAX_AGE_MS,
  isAbandoned,
  isTempName,
  parseTempOwner,
  removeAbandonedTemps,
  tempOwnerTag,
} from '../../src/util/temp-files.js';
import { tempDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

const now = Date.now();

describe('owners', () => {
  test('this process tags its temp names with the host tag and its pid; the tag is read back in any position', () => {
    const tag = tempOwnerTag();
    expect(tag).toMatch(new RegExp(`^${HOST_TAG}-${process.pid}-[0-9a-f]{8}$`));
    expect(tempOwnerTag()).not.toBe(tag);
    for (const name of [`${tag}.owner`, `${tag}-7`, `abc.${tag}-0.tmp`, `pipeline.lock.${tag}.tmp`]) {
      expect(parseTempOwner(name)).toEqual({ host: HOST_TAG, pid: process.pid });
    }
    expect(parseTempOwner('plain.tmp')).toBeUndefined();
    expect(parseTempOwner('123-0123abcd-0.tmp')).toBeUndefined(); // an older mlp's name: no host
  });

  test('a temp file of this host is abandoned when its process is gone, or after a week', () => {
    const dead = deadPid();
    expect(isAbandoned(`${HOST_TAG}-${dead}-0123abcd-0`, now, now)).toBe(true);
    expect(isAbandoned(`${HOST_TAG}-${process.pid}-0123abcd-0`, now, now)).toBe(false);
    expect(isAbandoned(`${HOST_TAG}-${process.pid}-0123abcd-0`, now - LOCAL_TEMP_MAX_AGE_MS - 1, now)).toBe(true);
  });

  test('another host’s or an untagged temp file is abandoned only after a day', () => {
    for (const name of ['ffffffff-1-0123abcd-0.tmp', 'x.123-0123abcd-0.tmp']) {
      expect(isAbandoned(name, now - FOREIGN_TEMP_MAX_AGE_MS + 60_000, now)).toBe(false);
      expect(isAbandoned(name, now - FOREIGN_TEMP_MAX_AGE_MS - 1, now)).toBe(true);
    }
  });
});

describe('removeAbandonedTemps', () => {
  test('removes (or, dry, counts) only abandoned files the filter accepts; directories and live ones stay', () => {
    const dir = tempDir('mlp-temps-');
    dirs.push(dir);
    const dead = deadPid();
    const file = (name: string, bytes = 10): string => {
      fs.writeFileSync(path.join(dir, name), Buffer.alloc(bytes));
      return name;
    };
    const deadTmp = file(`obj.${HOST_TAG}-${dead}-0123abcd-0.tmp`, 100);
    const liveTmp = file(`obj.${HOST_TAG}-${process.pid}-0123abcd-0.tmp`);
    const deadNotTmp = file(`${HOST_TAG}-${dead}-0123abcd-1`);
    fs.mkdirSync(path.join(dir, `d.${HOST_TAG}-${dead}-0123abcd-2.tmp`));

    expect(removeAbandonedTemps(dir, isTempName, undefined, true)).toEqual({ files: 1, bytes: 100 });
    expect(fs.existsSync(path.join(dir, deadTmp))).toBe(true);
    const into = { files: 1, bytes: 1 };
    expect(removeAbandonedTemps(dir, isTempName, into)).toBe(into);
    expect(into).toEqual({ files: 2, bytes: 101 });
    expect(fs.readdirSync(dir).sort()).toEqual([deadNotTmp, `d.${HOST_TAG}-${dead}-0123abcd-2.tmp`, liveTmp].sort());
    expect(removeAbandonedTemps(path.join(dir, 'missing'), () => true)).toEqual({ files: 0, bytes: 0 });
  });
});
