/** End-to-end: the built CLI in temporary git repositories. Stage commands append to runs.log. */
import fs from 'node:fs';
import path from 'node:path';
import { count, makeRepo, read, runMlp, tempDir, writeFiles } from '../helpers/cli.js';

const TWO_STAGE = {
  'data/in.txt': 'hello\n',
  'params.yaml': 'lr: 0.1\nmodel: {width: 8}\nunused: 1\n',
  'pipeline.yaml': `
stages:
  upper:
    cmd: echo upper >> runs.log && tr a-z A-Z < data/in.txt > out/upper.txt
    deps: [data/in.txt]
    params: [lr]
    outs: [out/upper.txt]
  count:
    cmd: echo count >> runs.log && wc -c < out/upper.txt > metrics.txt
    deps: [out/upper.txt]
    params: [model.width]
    metrics: [metrics.txt]
`,
};

describe('mlp repro', () => {
  test('runs every stage once, then nothing until something changes', () => {
    const dir = makeRepo(TWO_STAGE);
    const first = runMlp(dir, ['repro']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Running 'upper' (never run (no lock entry)");
    expect(count(dir)).toBe(2);
    expect(read(dir, 'out/upper.txt')).toBe('HELLO\n');
    expect(read(dir, 'out/.gitignore')).toBe('/upper.txt\n');
    expect(fs.existsSync(path.join(dir, '.gitignore')) ? read(dir, '.gitignore') : '').not.toContain('metrics.txt');

    const again = runMlp(dir, ['repro']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Pipeline is up to date');
    expect(count(dir)).toBe(2);
  });

  test('a param change reruns exactly the stage that declares it, and says why', () => {
    const dir = makeRepo(TWO_STAGE);
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'params.yaml': 'lr: 0.1\nmodel: {width: 16}\nunused: 2\n' });
    const status = runMlp(dir, ['status']);
    expect(status.stdout).toBe('count:\n    param model.width changed: 8 -> 16\n');
    const result = runMlp(dir, ['repro']);
    expect(result.stdout).toContain("Running 'count' (param model.width changed: 8 -> 16)");
    expect(fs.readFileSync(path.join(dir, 'runs.log'), 'utf8')).toBe('upper\ncount\ncount\n');
    expect(read(dir, 'pipeline.lock')).toContain('model.width: 16');
  });

  test('an upstream stage that reruns with identical output does not rerun its dependants', () => {
    const dir = makeRepo(TWO_STAGE);
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'params.yaml': 'lr: 0.5\nmodel: {width: 8}\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.stdout).toContain("Running 'upper' (param lr changed: 0.1 -> 0.5)");
    expect(fs.readFileSync(path.join(dir, 'runs.log'), 'utf8')).toBe('upper\ncount\nupper\n');
  });

  test('a modified dep reruns the stage and its dependants', () => {
    const dir = makeRepo(TWO_STAGE);
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'data/in.txt': 'hello world\n' });
    expect(runMlp(dir, ['status']).stdout).toContain('dep data/in.txt modified');
    runMlp(dir, ['repro']);
    expect(count(dir)).toBe(4);
    expect(read(dir, 'metrics.txt').trim()).toBe('12');
  });

  test('a changed cmd, a deleted output and a modified output each make a stage stale', () => {
    const dir = makeRepo(TWO_STAGE);
    runMlp(dir, ['repro']);
    fs.rmSync(path.join(dir, 'out/upper.txt'));
    expect(runMlp(dir, ['status']).stdout).toContain('out out/upper.txt missing');
    runMlp(dir, ['repro', '--no-run-cache']);
    fs.writeFileSync(path.join(dir, 'metrics.txt'), 'tampered');
    expect(runMlp(dir, ['status']).stdout).toContain('out metrics.txt modified');
    writeFiles(dir, { 'pipeline.yaml': TWO_STAGE['pipeline.yaml'].replace('wc -c <', 'wc -c  <') });
    expect(runMlp(dir, ['status']).stdout).toContain('cmd changed');
  });

  test('the run-cache restores outputs of a run seen before instead of running', () => {
    const dir = makeRepo(TWO_STAGE);
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'params.yaml': 'lr: 0.1\nmodel: {width: 32}\n' });
    runMlp(dir, ['repro']);
    expect(count(dir)).toBe(3);
    writeFiles(dir, { 'params.yaml': 'lr: 0.1\nmodel: {width: 8}\n' });
    const back = runMlp(dir, ['repro']);
    expect(back.stdout).toContain("Restoring 'count' from the run-cache");
    expect(count(dir)).toBe(3);
    expect(read(dir, 'pipeline.lock')).toContain('model.width: 8');
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
    const forced = runMlp(dir, ['repro', '--no-run-cache', '-f', 'count']);
    expect(forced.stdout).toContain("Running 'count'");
    expect(count(dir)).toBe(5); // -f runs the target and its upstream stage
  });

  test('-s runs only the target; --dry runs nothing and tells what would run', () => {
    const dir = makeRepo(TWO_STAGE);
    const dry = runMlp(dir, ['repro', '--dry']);
    expect(dry.stdout).toContain("Would run 'upper'");
    expect(dry.stdout).toContain("Would run 'count'");
    expect(count(dir)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'pipeline.lock'))).toBe(false);
    runMlp(dir, ['repro', 'upper']);
    expect(count(dir)).toBe(1);
    writeFiles(dir, { 'data/in.txt': 'changed\n' });
    runMlp(dir, ['repro', '-s', 'count', '-f']);
    expect(fs.readFileSync(path.join(dir, 'runs.log'), 'utf8')).toBe('upper\ncount\n');
  });

  test('stage commands run in wdir with MLP_STAGE, MLP_ROOT, env, and mlp itself on PATH', () => {
    const dir = makeRepo({
      'sub/.keep': '',
      'pipeline.yaml': `
stages:
  info:
    wdir: sub
    cmd: echo "$MLP_STAGE $(pwd) $MLP_ROOT $GREETING" > info.txt && mlp --version > version.txt
    env: {GREETING: hi}
    outs: [info.txt, version.txt]
`,
    });
    const result = runMlp(dir, ['repro'], { PATH: '/usr/bin:/bin' });
    expect(result.stderr).toBe('');
    const real = fs.realpathSync(dir);
    expect(read(dir, 'sub/info.txt').trim()).toBe(`info ${real}/sub ${real} hi`);
    expect(read(dir, 'sub/version.txt').trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('list commands run in order and stop at the first failure', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s:\n    cmd: [echo one >> runs.log, "false", echo two >> runs.log]\n    outs: [o]\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("stage 's' failed: command exited with code 1: false");
    expect(count(dir)).toBe(1);
  });

  test('targets may be foreach group names or output paths; unknown targets list the stages', () => {
    const dir = makeRepo({
      'pipeline.yaml': `
stages:
  gen:
    foreach: [a, b]
    do:
      cmd: echo \${item} >> runs.log && echo \${item} > \${item}.txt
      outs:
        - \${item}.txt
  other: {cmd: echo other >> runs.log && touch other.txt, outs: [other.txt]}
`,
    });
    runMlp(dir, ['repro', 'gen']);
    expect(count(dir)).toBe(2);
    runMlp(dir, ['repro', 'other.txt']);
    expect(count(dir)).toBe(3);
    const badJobs = runMlp(dir, ['repro', '-j', '0']);
    expect(badJobs.code).toBe(2);
    expect(badJobs.stderr).toContain("option '-j, --jobs <n>' argument '0' is invalid. expected a positive integer, got '0'");
    const bad = runMlp(dir, ['repro', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown target 'nope'");
    expect(bad.stderr).toContain('gen@a, gen@b, other');
  });

  test('lock entries of stages removed from the pipeline are dropped on the next repro', () => {
    const dir = makeRepo(TWO_STAGE);
    runMlp(dir, ['repro']);
    writeFiles(dir, { 'pipeline.yaml': TWO_STAGE['pipeline.yaml'].split('  count:')[0] as string });
    runMlp(dir, ['repro']);
    expect(read(dir, 'pipeline.lock')).not.toContain('count:');
    expect(read(dir, 'pipeline.lock')).toContain('upper:');
  });

  test('params may come from a JSON file; --explain reports up-to-date stages and run times', () => {
    const dir = makeRepo({
      'config.json': '{"train": {"lr": 0.1, "layers": [64, 32]}}',
      'pipeline.yaml': 'stages:\n  s:\n    cmd: echo s >> runs.log && touch o\n    outs: [o]\n    params: [{config.json: [train.layers]}]\n',
    });
    const first = runMlp(dir, ['repro', '--explain']);
    expect(first.stdout).toMatch(/'s' done in \d+\.\d s/);
    expect(read(dir, 'pipeline.lock')).toContain('config.json:');
    expect(runMlp(dir, ['repro', '--explain']).stdout).toContain("'s' is up to date");
    writeFiles(dir, { 'config.json': '{"train": {"lr": 0.5, "layers": [64, 32]}}' });
    expect(runMlp(dir, ['status']).stdout).toContain('up to date');
    writeFiles(dir, { 'config.json': '{"train": {"lr": 0.5, "layers": [128]}}' });
    expect(runMlp(dir, ['status']).stdout).toContain('param train.layers changed: [64,32] -> [128]');
    runMlp(dir, ['repro']);
    expect(count(dir)).toBe(2);
  });

  test('frozen stages never run; always_changed stages always do', () => {
    const dir = makeRepo({
      'pipeline.yaml': `
stages:
  ice: {cmd: echo ice >> runs.log && touch ice.txt, outs: [ice.txt], frozen: true}
  fire: {cmd: echo fire >> runs.log && touch fire.txt, outs: [fire.txt], always_changed: true}
`,
    });
    runMlp(dir, ['repro']);
    runMlp(dir, ['repro']);
    expect(fs.readFileSync(path.join(dir, 'runs.log'), 'utf8')).toBe('fire\nfire\n');
    expect(runMlp(dir, ['status']).stdout).toContain('ice: frozen');
  });
});

describe('mlp repro errors', () => {
  test('a dep that does not exist and that no stage produces stops before anything runs', () => {
    const dir = makeRepo({
      'pipeline.yaml': 'stages:\n  ok: {cmd: echo ok >> runs.log && touch ok.txt, outs: [ok.txt]}\n  bad:\n    cmd: cat missing.txt\n    deps: [missing.txt]\n',
    });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("pipeline.yaml:3:3: stage 'bad' depends on missing.txt, which does not exist and no stage produces it");
    expect(result.stderr).toContain('hint:');
    expect(count(dir)).toBe(0);
  });

  test('a failing stage reports exit code and command, skips dependants, keeps lock and outputs', () => {
    const dir = makeRepo({
      'flag.txt': 'ok\n',
      'pipeline.yaml': `
stages:
  a:
    cmd: echo a >> runs.log && grep -q ok flag.txt && cp flag.txt a.txt
    deps: [flag.txt]
    outs: [a.txt]
  b: {cmd: echo b >> runs.log && cp a.txt b.txt, deps: [a.txt], outs: [b.txt]}
`,
    });
    expect(runMlp(dir, ['repro']).code).toBe(0);
    const lockBefore = read(dir, 'pipeline.lock');
    writeFiles(dir, { 'flag.txt': 'bad\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("error: stage 'a' failed: command exited with code 1: echo a >> runs.log && grep -q ok flag.txt && cp flag.txt a.txt");
    expect(result.stderr).toContain("skipped 'b': upstream stage 'a' failed");
    expect(read(dir, 'pipeline.lock')).toBe(lockBefore);
    expect(read(dir, 'a.txt')).toBe('ok\n'); // previous output restored from the cache
    expect(count(dir)).toBe(3);
  });

  test('without -k no new stage starts after a failure; with -k independent stages still run', () => {
    const files = {
      'pipeline.yaml': `
stages:
  fail: {cmd: echo fail >> runs.log && exit 3, outs: [f.txt]}
  later: {cmd: echo later >> runs.log && touch l.txt, outs: [l.txt]}
`,
    };
    const dir = makeRepo(files);
    const stop = runMlp(dir, ['repro', '-j', '1']);
    expect(stop.code).toBe(4);
    expect(stop.stderr).toContain('exited with code 3');
    expect(stop.stderr).toContain('--keep-going');
    expect(count(dir)).toBe(1);
    const keep = runMlp(dir, ['repro', '-j', '1', '-k']);
    expect(keep.code).toBe(4);
    expect(fs.readFileSync(path.join(dir, 'runs.log'), 'utf8')).toBe('fail\nfail\nlater\n');
    expect(read(dir, 'pipeline.lock')).toContain('later:');
    expect(read(dir, 'pipeline.lock')).not.toContain('fail:');
  });

  test('a stage killed by a signal is reported as such', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  k: {cmd: kill -9 $$, outs: [o]}\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("stage 'k' failed: command was killed by SIGKILL: kill -9 $$");
    expect(fs.existsSync(path.join(dir, 'pipeline.lock'))).toBe(false);
  });

  test('a stage that does not create a declared output fails', () => {
    const dir = makeRepo({ 'pipeline.yaml': 'stages:\n  s: {cmd: "true", outs: [never.txt]}\n' });
    const result = runMlp(dir, ['repro']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("stage 's' did not create its output never.txt");
  });

  test('a missing param is an error naming the key and file', () => {
    const dir = makeRepo({ 'params.yaml': 'a: 1\n', 'pipeline.yaml': 'stages:\n  s: {cmd: touch o, outs: [o], params: [b.c]}\n' });
    const result = runMlp(dir, ['status']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("stage 's': param 'b.c' is not in params.yaml");
  });

  test('outside a repository, commands say to run mlp init', () => {
    const result = runMlp(fs.realpathSync(tempDir('norepo-')), ['status']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not an mlp repository');
    expect(result.stderr).toContain('mlp init');
  });
});
