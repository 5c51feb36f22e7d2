import { UsageSeries } from '../../src/serve/usage-series.js';

describe('UsageSeries', () => {
  test('one step per flush: count, means, p95 and every class (0 when absent); nothing when idle', () => {
    const logged: [Record<string, number>, number][] = [];
    const series = new UsageSeries({ log: (metrics, step) => logged.push([metrics, step]) }, 3_600_000, ['ham', 'spam']);
    series.flush();
    expect(logged).toEqual([]);
    const times = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20 ms
    series.add(times.map((t) => ({ label: 'spam', confidence: 0.5 + t / 100, inference_time_ms: t })));
    series.flush();
    expect(logged).toHaveLength(1);
    const [metrics, step] = logged[0]!;
    expect(step).toBe(0);
    expect(metrics).toEqual({
      predictions: 20,
      confidence_mean: expect.closeTo(0.605, 10),
      inference_time_ms_mean: 10.5,
      inference_time_ms_p95: 19,
      'predictions.ham': 0,
      'predictions.spam': 20,
    });
    series.add([{ label: 'ham', confidence: 0.9, inference_time_ms: 2 }]);
    series.close(); // the last partial interval is logged too
    expect(logged[1]).toEqual([{ predictions: 1, confidence_mean: 0.9, inference_time_ms_mean: 2, inference_time_ms_p95: 2, 'predictions.ham': 1, 'predictions.spam': 0 }, 1]);
  });
});
