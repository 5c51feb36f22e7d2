/** sbatch options of a stage: resources mapped onto Slurm's, the `slurm:` map checked and passed as argv. */
import { parseSlurmOptions, sbatchResourceArgs, slurmTime } from '../../../src/executors/slurm/options.js';
import { parseDuration } from '../../../src/pipeline/resources.js';

describe('sbatchResourceArgs', () => {
  test('maps cpu, memory, gpu and time onto sbatch options', () => {
    expect(sbatchResourceArgs({ resources: { cpu: 2, memory: 8e9, gpu: 1 }, time: 5400 })).toEqual([
      '--cpus-per-task=2',
      '--gres=gpu:1',
      '--mem=7630M', // 8 GB = 7629.4 MiB, rounded up
      '--time=01:30:00',
    ]);
  });

  test('fractions round up; pools with no Slurm meaning are left out', () => {
    expect(sbatchResourceArgs({ resources: { cpu: 0.5, memory: 1, license_x: 3 } })).toEqual(['--cpus-per-task=1', '--mem=1M']);
  });

  test('config defaults, then resources, then the stage map; booleans are flags', () => {
    const args = sbatchResourceArgs(
      { resources: { cpu: 4 }, slurm: { 'cpus-per-task': 8, exclusive: true, requeue: false, partition: 'gpu' } as never },
      { partition: 'cpu', account: 'ml' },
    );
    expect(args).toEqual(['--account=ml', '--cpus-per-task=8', '--exclusive', '--partition=gpu']);
  });

  test('a value with spaces or shell characters stays one argument', () => {
    expect(sbatchResourceArgs({ slurm: { comment: 'a b; rm -rf / $(x) `y`' } })).toEqual(['--comment=a b; rm -rf / $(x) `y`']);
  });
});

describe('parseSlurmOptions', () => {
  test('accepts known options, with - or _', () => {
    expect(parseSlurmOptions({ partition: 'gpu', mem_per_cpu: '4G', exclusive: true, nice: 10 })).toEqual({
      ok: true,
      options: { partition: 'gpu', 'mem-per-cpu': '4G', exclusive: true, nice: 10 },
    });
  });

  test.each([
    ['output', 'x.log'],
    ['chdir', '/'],
    ['wrap', 'rm -rf /'],
    ['export', 'ALL'],
    ['dependency', 'afterok:1'],
    ['requeue', true],
    ['--partition', 'x'],
    ['partition x', 'y'],
  ])('refuses the option %s', (name, value) => {
    const parsed = parseSlurmOptions({ [name]: value });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(`slurm: '${name}' is not an sbatch option a stage may set`);
  });

  test.each([[['a']], [{ a: 1 }], ['two\nlines'], [''], [null]])('refuses the value %j', (value) => {
    const parsed = parseSlurmOptions({ partition: value });
    expect(parsed.ok).toBe(false);
  });

  test('refuses what is not a mapping', () => {
    expect(parseSlurmOptions(['partition']).ok).toBe(false);
  });
});

describe('time', () => {
  test.each([
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1d', 86400],
    ['5:00', 300],
    ['01:30:00', 5400],
    ['2-12:00:00', 216000],
    ['1-06:00', 108000],
    [45, 45],
  ])('parseDuration(%j) = %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  test.each(['', '10', 'soon', '5x', '-1h', '0s', 0])('parseDuration(%j) is refused', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test('slurmTime writes [D-]HH:MM:SS', () => {
    expect(slurmTime(59.2)).toBe('00:01:00');
    expect(slurmTime(90061)).toBe('1-01:01:01');
  });
});
