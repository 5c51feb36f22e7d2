/** Malformed remote URLs are refused with the form to write, never taken as a local directory. */
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo, runMlp } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = makeRepo();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mlp remote add with a malformed URL', () => {
  test.each([
    ['ssh:/host/x', "invalid remote URL 'ssh:/host/x': 'ssh:' is not followed by '//'", 'hint: write it as ssh://[user@]host[:port]/absolute/path'],
    ['s3:bucket', "invalid remote URL 's3:bucket': 's3:' is not followed by '//'", 'hint: write it as s3://bucket[/prefix]'],
    ['ssh://', "invalid SSH URL 'ssh://': no host", 'hint: write it as ssh://'],
    ['ssh:///srv/cache', "invalid SSH URL 'ssh:///srv/cache': no host", 'hint: write it as ssh://'],
    ['ssh://host', "invalid SSH URL 'ssh://host': no path on the server", 'hint: write it as ssh://'],
    ['me@models.example.com:/srv/cache', "invalid remote URL 'me@models.example.com:/srv/cache'", 'write ssh://me@models.example.com/srv/cache'],
  ])('%s', (url, message, hint) => {
    const result = runMlp(dir, ['remote', 'add', 'r', url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: ${message}`);
    expect(result.stderr).toContain(hint);
    expect(fs.readFileSync(path.join(dir, '.mlp/config.yaml'), 'utf8')).not.toContain('remotes');
  });

  test('a URL already in the config is checked when it is used', () => {
    fs.appendFileSync(path.join(dir, '.mlp/config.yaml'), 'remotes:\n  r:\n    url: ssh:/host/x\n');
    try {
      const result = runMlp(dir, ['push']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("error: invalid remote URL 'ssh:/host/x'");
      expect(fs.existsSync(path.join(dir, 'ssh:'))).toBe(false);
    } finally {
      fs.writeFileSync(path.join(dir, '.mlp/config.yaml'), fs.readFileSync(path.join(dir, '.mlp/config.yaml'), 'utf8').replace(/remotes:[\s\S]*$/, ''));
    }
  });

  test('a local directory whose name has a colon can be given as ./name', () => {
    const result = runMlp(dir, ['remote', 'add', 'colon', './odd:name']);
    expect(result.code).toBe(0);
    expect(runMlp(dir, ['remote', 'remove', 'colon']).code).toBe(0);
  });
});
