/** `mlp remove --outs` deletes the data it tracked, never files outside it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRepo, runMlp } from '../helpers/cli.js';

test('files .mlpignore keeps out of a tracked directory stay when remove --outs deletes the data', () => {
  const dir = makeRepo({ '.mlpignore': '*.swp\n' }, { 'data/a.csv': 'a\n', 'data/sub/b.csv': 'b\n' });
  try {
    expect(runMlp(dir, ['add', 'data']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'data/notes.swp'), 'my unsaved notes'); // not part of the data, not in the cache
    const removed = runMlp(dir, ['remove', '--outs', 'data.mlp']);
    expect(removed.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'data.mlp'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'data/a.csv'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'data/sub'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'data/notes.swp'), 'utf8')).toBe('my unsaved notes');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a symlink that leads outside stops remove --outs before the pointer file is touched', () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-outside-'));
  const dir = makeRepo({}, { 'data/a.csv': 'a\n' });
  try {
    expect(runMlp(dir, ['add', 'data']).code).toBe(0);
    fs.rmSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'a.csv'), 'victim\n');
    fs.symlinkSync(outside, path.join(dir, 'data'));
    const removed = runMlp(dir, ['remove', '--outs', '--force', 'data.mlp']);
    expect(removed.code).toBe(3);
    expect(fs.existsSync(path.join(dir, 'data.mlp'))).toBe(true);
    expect(fs.readFileSync(path.join(outside, 'a.csv'), 'utf8')).toBe('victim\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});
