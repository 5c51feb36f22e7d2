/** DVC's files as `mlp migrate` reads them: md5 hashes, paths that stay inside, located errors. */
import { ExitCode } from '../../src/errors.js';
import { dvcTarget, parseDvcConfig, parseDvcDirManifest, parseDvcFile, parseDvcLock } from '../../src/schema/dvc.js';
import { dvcHashFromNames, isDvcHash, isMd5 } from '../../src/schema/md5.js';
import { thrownMlpError } from '../helpers/errors.js';

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

describe('md5 hashes', () => {
  test('only 32 lowercase hex digits (with .dir for a DVC directory hash) are hashes', () => {
    expect(isMd5(MD5)).toBe(true);
    expect(isMd5(`${MD5}.dir`)).toBe(false);
    expect(isDvcHash(`${MD5}.dir`)).toBe(true);
    for (const bad of [MD5.toUpperCase(), MD5.slice(1), `../${MD5.slice(3)}`, `${MD5}.dirx`, 42]) expect(isDvcHash(bad)).toBe(false);
    expect(dvcHashFromNames('d4', MD5.slice(2))).toBe(MD5);
    expect(dvcHashFromNames('..', MD5.slice(2))).toBeUndefined();
    expect(dvcHashFromNames('d4', `${MD5.slice(2)}.tmp`)).toBeUndefined();
  });
});

describe('.dvc files and dvc.lock', () => {
  test('a hash that is not an md5 is a located error', () => {
    const error = thrownMlpError(() => parseDvcFile('outs:\n- md5: ../../etc/passwd\n  path: x\n', 'x.dvc'));
    expect(error.exitCode).toBe(ExitCode.invalidPipeline);
    expect(error.message).toBe("x.dvc:2:8: outs[0].md5: '../../etc/passwd' is not an md5 hash (32 lowercase hex digits, with .dir for a directory)");
  });

  test('absolute paths and URLs are refused; a path that climbs out once joined is refused with its location', () => {
    expect(thrownMlpError(() => parseDvcFile(`outs:\n- md5: ${MD5}\n  path: /etc/passwd\n`, 'a.dvc')).message).toBe("a.dvc:3:9: outs[0]: path '/etc/passwd' is absolute: it is outside the repository");
    expect(thrownMlpError(() => parseDvcFile(`outs:\n- md5: ${MD5}\n  path: s3://b/k\n`, 'a.dvc')).message).toContain('is an external URL');
    const text = `outs:\n- md5: ${MD5}\n  path: ../../x\n`;
    const parsed = parseDvcFile(text, 'data/a.dvc');
    const error = thrownMlpError(() => dvcTarget('data', (parsed.outs[0] as { path: string }).path, { file: 'data/a.dvc', text, keys: ['outs', 0, 'path'] }));
    expect(error.message).toBe("data/a.dvc:3:9: path '../../x' is outside the repository (it resolves to data/../../x)");
    expect(error.exitCode).toBe(ExitCode.invalidPipeline);
    // `..` that stays inside is what DVC writes for a .dvc file next to its data's directory.
    expect(dvcTarget('data/sub', '../x', { file: 'f', text, keys: [] })).toBe('data/x');
    expect(thrownMlpError(() => dvcTarget('.', '.git/config', { file: 'f', text, keys: [] })).message).toContain('is inside .git/');
  });

  test('dvc.lock needs schema 2.x', () => {
    expect(parseDvcLock(`schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: o\n      md5: ${MD5}\n      size: 0\n      isexec: true\n`, 'dvc.lock').stages.a?.outs?.[0]?.md5).toBe(MD5);
    expect(thrownMlpError(() => parseDvcLock('prepare:\n  cmd: x\n', 'dvc.lock')).message).toBe("dvc.lock:1:1: no `schema: '2.0'`: this dvc.lock was written by DVC 1, whose format mlp does not read");
    expect(thrownMlpError(() => parseDvcLock("schema: '3.0'\n", 'dvc.lock')).message).toBe('dvc.lock:1:9: schema: unsupported dvc.lock schema 3.0 (mlp reads 2.x)');
  });

  test('a .dir listing with a path that climbs out is refused', () => {
    expect(parseDvcDirManifest(`[{"md5": "${MD5}", "relpath": "a/b.txt"}]`, 'o.dir')).toEqual([{ md5: MD5, relpath: 'a/b.txt' }]);
    expect(() => parseDvcDirManifest(`[{"md5": "${MD5}", "relpath": "../b.txt"}]`, 'o.dir')).toThrow("climbs out with '..'");
    expect(() => parseDvcDirManifest(`[{"md5": "${MD5}", "relpath": "b"}, {"md5": "${MD5}", "relpath": "b"}]`, 'o.dir')).toThrow('listed more than once');
  });
});

describe('.dvc/config', () => {
  test('sections, quoted remote names, values; a stray line is a located error', () => {
    const config = parseDvcConfig("[core]\n    remote = s\n    # comment\n['remote \"s\"']\n    url = s3://b/p\n[remote \"t\"]\n  url = '/x y'\n", '.dvc/config');
    expect(config.get('core')?.get('remote')).toEqual({ value: 's', line: 2 });
    expect(config.get('remote "s"')?.get('url')?.value).toBe('s3://b/p');
    expect(config.get('remote "t"')?.get('url')?.value).toBe('/x y');
    const error = thrownMlpError(() => parseDvcConfig('[core]\n  remote\n', '.dvc/config'));
    expect(error.message).toBe('.dvc/config:2:3: expected `key = value`');
    expect(error.exitCode).toBe(ExitCode.invalidPipeline);
  });
});
