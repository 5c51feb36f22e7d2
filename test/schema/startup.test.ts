/**
 * Validation without the startup cost: once pointer files, the lockfile and the config are in the
 * parse cache, `mlp status` re-checks their paths and hashes with the cheap typed constructors and
 * never loads the schema library. (NODE_DEBUG=module logs every CommonJS module Node loads.)
 */
import fs from 'node:fs';
import { makeRepo, runMlp } from '../helpers/cli.js';

describe('startup', () => {
  let dir: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a status whose files all come from the parse cache does not load valibot; a changed file is validated', () => {
    dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: echo a > a.txt, outs: [a.txt]}\n' }, { 'data/x.txt': 'x' });
    expect(runMlp(dir, ['add', 'data']).code).toBe(0);
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const loadsValibot = (): boolean => {
      const result = runMlp(dir, ['status'], { NODE_DEBUG: 'module' });
      expect(result.code).toBe(0);
      return /valibot/.test(result.stderr);
    };
    loadsValibot(); // fills the parse cache
    expect(loadsValibot()).toBe(false);
    fs.appendFileSync(`${dir}/data.mlp`, '# edited\n');
    expect(loadsValibot()).toBe(true); // a changed file is validated by its schema
  });
});
