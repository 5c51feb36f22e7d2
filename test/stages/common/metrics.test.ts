import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeMetricsFile } from '../../../stages/common/metrics.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlp-stage-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('metrics files: readable JSON (rows of numbers on one line), directory created, no temp file left', () => {
  const file = path.join(dir, 'metrics', 'eval.json');
  writeMetricsFile(file, { accuracy: 0.75, classes: ['cat', 'dog'], confusion_matrix: [[3, 1], [0, 4]], timing: { seconds: 1.5 } });
  expect(readFileSync(file, 'utf8')).toBe(
    '{\n  "accuracy": 0.75,\n  "classes": ["cat", "dog"],\n  "confusion_matrix": [\n    [3, 1],\n    [0, 4]\n  ],\n  "timing": {\n    "seconds": 1.5\n  }\n}\n',
  );
  expect(readdirSync(path.dirname(file))).toEqual(['eval.json']);
});
