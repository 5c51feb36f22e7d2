import { PipelineError } from '../../src/errors.js';
import { parseParamsText } from '../../src/params/params-file.js';
import { literal, parsePythonParams } from '../../src/params/python-params.js';

describe('Python params files (as DVC reads params.py)', () => {
  test('module constants and class attributes with literal values', () => {
    const text = [
      '"""Training params."""',
      'import os',
      'LR = 0.001  # learning rate',
      'EPOCHS: int = 10',
      "NAME = 'cnn'",
      'LAYERS = [64, 32]',
      "OPT = {'name': \"adam\", 'betas': (0.9, 0.999)}",
      'DEBUG = False',
      'SEED = None',
      'PATH = os.path.join("a", "b")',
      '',
      'class Train:',
      '    batch_size = 32',
      '    def __init__(self):',
      '        self.ignored = 1',
      '        local = 2',
      '',
      'AFTER = 1_000',
    ].join('\n');
    expect(parsePythonParams(text)).toEqual({
      LR: 0.001,
      EPOCHS: 10,
      NAME: 'cnn',
      LAYERS: [64, 32],
      OPT: { name: 'adam', betas: [0.9, 0.999] },
      DEBUG: false,
      SEED: null,
      Train: { batch_size: 32 },
      AFTER: 1000,
    });
  });

  test('literals that are not literals are not ok', () => {
    expect(literal('1 + 2')).toEqual({ ok: false });
    expect(literal('"unterminated')).toEqual({ ok: false });
    expect(literal('f(x)')).toEqual({ ok: false });
  });

  test('params files by extension: .py read as Python, .toml as TOML (tables nest, dates are text)', () => {
    expect(parseParamsText('LR = 0.1\n', 'params.py')).toEqual({ LR: 0.1 });
    expect(parseParamsText('[train]\nlr = 0.1\nlayers = [1, 2]\nday = 2024-01-02\n', 'params.toml')).toEqual({ train: { lr: 0.1, layers: [1, 2], day: '2024-01-02' } });
    expect(() => parseParamsText('[train]\nlr = \n', 'params.toml')).toThrow(PipelineError);
    expect(() => parseParamsText('[train]\nlr = \n', 'params.toml')).toThrow(/^params\.toml:2:\d+: invalid TOML/);
  });
});
