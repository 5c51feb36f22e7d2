import { classificationReport } from '../../../stages/text/metrics.js';
import { formatJson } from '../../../stages/common/json.js';

describe('classificationReport (scikit-learn definitions)', () => {
  test('hand-computed three-class example', () => {
    // truth:     a a a b b c
    // predicted: a a b b c c
    const report = classificationReport(Int32Array.from([0, 0, 0, 1, 1, 2]), Int32Array.from([0, 0, 1, 1, 2, 2]), ['a', 'b', 'c']);
    expect(report.accuracy).toBeCloseTo(4 / 6, 6);
    expect(report.per_class.a).toEqual({ precision: 1, recall: 0.666667, f1: 0.8, support: 3 });
    expect(report.per_class.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(report.per_class.c).toEqual({ precision: 0.5, recall: 1, f1: 0.666667, support: 1 });
    expect(report.f1_macro).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 6);
    expect(report.f1_weighted).toBeCloseTo((0.8 * 3 + 0.5 * 2 + (2 / 3) * 1) / 6, 6);
    expect(report.precision_macro).toBeCloseTo((1 + 0.5 + 0.5) / 3, 6);
    expect(report.recall_macro).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 6);
    expect(report.confusion_matrix).toEqual({
      labels: ['a', 'b', 'c'],
      matrix: [
        [2, 1, 0],
        [0, 1, 1],
        [0, 0, 1],
      ],
    });
  });

  test('zero denominators give 0; classes absent from truth and predictions do not count in macro', () => {
    // class c never occurs; class b is never predicted
    const report = classificationReport(Int32Array.from([0, 1, 0]), Int32Array.from([0, 0, 0]), ['a', 'b', 'c']);
    expect(report.per_class.b).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(report.per_class.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    const f1a = (2 * (2 / 3) * 1) / (2 / 3 + 1);
    expect(report.f1_macro).toBeCloseTo(f1a / 2, 6);
  });
});

test('metrics JSON keeps number rows and label lists on one line', () => {
  const text = formatJson({ a: 1, confusion_matrix: { labels: ['x, y', 'z'], matrix: [[1, 2], [3, 4]] } });
  expect(text).toContain('"labels": ["x, y", "z"]');
  expect(text).toContain('[1, 2]');
  expect(JSON.parse(text)).toEqual({ a: 1, confusion_matrix: { labels: ['x, y', 'z'], matrix: [[1, 2], [3, 4]] } });
});
