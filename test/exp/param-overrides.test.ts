/** -S/--set-param: parsing, sweeps, and edits that keep the params file's formatting. */
import { ExitCode, MlpError } from '../../src/errors.js';
import { applyToText, expandSweeps, parseSetParam, type ParamAssignment } from '../../src/exp/param-overrides.js';

function set(key: string, value: string, mode: ParamAssignment['mode'] = 'set', file = 'params.yaml'): ParamAssignment {
  return { file: file as ParamAssignment['file'], key, value, mode };
}

function usageError(run: () => unknown): MlpError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MlpError);
    return error as MlpError;
  }
  throw new Error('expected an error');
}

describe('parseSetParam', () => {
  test('key=value goes to params.yaml; file:key=value to that file; + and ++ set the mode', () => {
    expect(parseSetParam('train.lr=0.1')).toMatchObject({ file: 'params.yaml', key: 'train.lr', mode: 'set', values: ['0.1'] });
    expect(parseSetParam('configs/./model.yaml:units=64')).toMatchObject({ file: 'configs/model.yaml', key: 'units', values: ['64'] });
    expect(parseSetParam('+new.key=x')).toMatchObject({ key: 'new.key', mode: 'add' });
    expect(parseSetParam('other.json:++k=1')).toMatchObject({ file: 'other.json', key: 'k', mode: 'upsert' });
    // Only the first '=' separates: the value may hold more.
    expect(parseSetParam('expr=a=b').values).toEqual(['a=b']);
  });

  test('sweeps: top-level commas and range(start, stop[, step]) with stop excluded', () => {
    expect(parseSetParam('lr=0.1,0.01,0.001').values).toEqual(['0.1', '0.01', '0.001']);
    expect(parseSetParam('epochs=range(5,20,5)').values).toEqual(['5', '10', '15']);
    expect(parseSetParam('n=range(0,3)').values).toEqual(['0', '1', '2']);
    expect(parseSetParam('x=range(0, 0.3, 0.1)').values).toEqual(['0', '0.1', '0.2']);
    expect(parseSetParam('x=range(3,0,-1)').values).toEqual(['3', '2', '1']);
    // Commas inside a flow list or a quoted string are part of one value.
    expect(parseSetParam('layers=[64, 32]').values).toEqual(['[64, 32]']);
    expect(parseSetParam('layers=[64, 32],[128]').values).toEqual(['[64, 32]', '[128]']);
    expect(parseSetParam(`name="a,b"`).values).toEqual(['"a,b"']);
  });

  test('bad arguments are usage errors that say how to write them', () => {
    for (const bad of ['lr', '=1', 'a..b=1', '.a=1', 'a b=1', '../x.yaml:k=1', '/abs.yaml:k=1', '.mlp/config.yaml:k=1', 'x=range(1)', 'x=range(5,1)', 'x=range(0,1,0)', 'x=1,,2']) {
      const error = usageError(() => parseSetParam(bad));
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.hint).toBeTruthy();
    }
  });
});

describe('expandSweeps', () => {
  test('the cartesian product of every -S, the first varying slowest', () => {
    const combos = expandSweeps([parseSetParam('a=1,2'), parseSetParam('b=x,y,z'), parseSetParam('c=0')]);
    expect(combos).toHaveLength(6);
    expect(combos.map((c) => c.map((a) => `${a.key}=${a.value}`).join(' '))).toEqual([
      'a=1 b=x c=0',
      'a=1 b=y c=0',
      'a=1 b=z c=0',
      'a=2 b=x c=0',
      'a=2 b=y c=0',
      'a=2 b=z c=0',
    ]);
    expect(expandSweeps([])).toEqual([[]]);
  });
});

describe('applyToText', () => {
  const YAML = '# training params\ntrain:\n  lr: 0.1  # learning rate\n  # how long\n  epochs: 5\n  layers: [64, 32]\nseed: 1\n';

  test('changes values and keeps comments, order and untouched spelling', () => {
    const out = applyToText(YAML, 'params.yaml', [set('train.lr', '1e-3'), set('seed', '7')]);
    expect(out).toBe('# training params\ntrain:\n  lr: 1e-3 # learning rate\n  # how long\n  epochs: 5\n  layers: [64, 32]\nseed: 7\n');
  });

  test('values are YAML: numbers keep their spelling, strings, booleans, null and lists', () => {
    const out = applyToText('a: 1\nb: x\nc: true\nd: 0\ne: [1]\n', 'p.yaml', [set('a', '1.0'), set('b', 'hello world'), set('c', 'false'), set('d', 'null'), set('e', '[1, 2]')]);
    expect(out).toBe('a: 1.0\nb: hello world\nc: false\nd: null\ne: [1, 2]\n');
    expect(applyToText('a: 1\n', 'p.yaml', [set('a', '')])).toBe('a: ""\n');
  });

  test('list items by index, and a top-level key that itself contains dots', () => {
    expect(applyToText('layers: [64, 32]\n', 'p.yaml', [set('layers.1', '16')])).toBe('layers: [64, 16]\n');
    expect(applyToText('"a.b": 1\n', 'p.yaml', [set('a.b', '2')])).toBe('"a.b": 2\n');
  });

  test('an unknown key is refused (a typo would run with the default) unless added with +', () => {
    const error = usageError(() => applyToText(YAML, 'params.yaml', [set('train.lrr', '0.2')]));
    expect(error.message).toBe("param 'train.lrr' does not exist in params.yaml");
    expect(error.hint).toContain("-S '+train.lrr=0.2'");
    expect(applyToText(YAML, 'params.yaml', [set('train.momentum', '0.9', 'add')])).toContain('  momentum: 0.9\n');
    expect(applyToText('a: 1\n', 'params.yaml', [set('new.deep.key', '3', 'add')])).toBe('a: 1\nnew:\n  deep:\n    key: 3\n');
    expect(usageError(() => applyToText(YAML, 'params.yaml', [set('seed', '2', 'add')])).message).toContain("'+' only adds new keys");
    expect(applyToText('a: 1\n', 'p.yaml', [set('a', '2', 'upsert'), set('b', '3', 'upsert')])).toBe('a: 2\nb: 3\n');
    // Below a scalar there is no mapping to add to.
    expect(usageError(() => applyToText('a: 1\n', 'p.yaml', [set('a.b', '2', 'add')])).message).toContain("'a' is not a mapping");
  });

  test('JSON params files stay JSON, with their indentation', () => {
    const json = '{\n    "lr": 0.1,\n    "model": {"units": 64}\n}\n';
    expect(applyToText(json, 'c.json', [set('model.units', '128'), set('lr', '0.5')])).toBe('{\n    "lr": 0.5,\n    "model": {\n        "units": 128\n    }\n}\n');
    expect(usageError(() => applyToText(json, 'c.json', [set('nope', '1')])).exitCode).toBe(ExitCode.usage);
  });

  test('a broken params file is a located error', () => {
    const error = usageError(() => applyToText('a: [1\n', 'params.yaml', [set('a', '2')]));
    expect(error.exitCode).toBe(ExitCode.invalidPipeline);
    expect(error.message).toMatch(/^params\.yaml:\d+:\d+: invalid YAML/);
  });
});
