/** dvc.yaml → pipeline.yaml: DVC's metrics default (cached) is written out; the rest is kept as written. */
import { convertDvcYaml, PIPELINE_HEADER } from '../../src/migrate/dvc-pipeline.js';

test('metrics entries DVC would cache get `cache: true`; an explicit cache flag and comments stay', () => {
  const text = [
    '# my pipeline',
    'stages:',
    '  train:',
    '    wdir: src',
    '    cmd: python train.py',
    '    metrics:',
    '    - a.json',
    '    - b.json:',
    '    - c.json:',
    '        cache: false',
    '    - d.json:',
    '        persist: true',
    '  eval:',
    '    foreach: [x, y]',
    '    do:',
    '      cmd: echo ${item} > e-${item}.json',
    '      metrics:',
    '      - e-${item}.json',
    '',
  ].join('\n');
  const converted = convertDvcYaml(text, 'dvc.yaml');
  expect(converted.stages).toBe(2);
  expect(converted.cachedMetrics).toBe(4);
  expect(converted.wdirs).toEqual(new Map([['train', 'src']]));
  expect(converted.text).toBe(
    PIPELINE_HEADER +
      [
        '# my pipeline',
        'stages:',
        '  train:',
        '    wdir: src',
        '    cmd: python train.py',
        '    metrics:',
        '      - a.json:',
        '          cache: true',
        '      - b.json:',
        '          cache: true',
        '      - c.json:',
        '          cache: false',
        '      - d.json:',
        '          persist: true',
        '          cache: true',
        '  eval:',
        '    foreach: [x, y]',
        '    do:',
        '      cmd: echo ${item} > e-${item}.json',
        '      metrics:',
        '        - e-${item}.json:',
        '            cache: true',
        '',
      ].join('\n'),
  );
  // Converting is deterministic: a second migration compares equal.
  expect(convertDvcYaml(text, 'dvc.yaml').text).toBe(converted.text);
});
