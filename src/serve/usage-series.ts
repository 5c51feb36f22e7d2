/**
 * What `mlp serve --track` sends to the tracking backend: every interval, one step of aggregate
 * series over the predictions made in it — how many, the mean confidence, the mean and 95th
 * percentile inference time, and the count of each predicted class — appended to the run's live
 * file (src/tracking/live.ts), which the tracking session streams and ends with the run. Never
 * one point per request: a busy server would flood the backend.
 */
import type { LiveTracker } from '../tracking/live.js';

export interface Prediction {
  label: string;
  confidence: number;
  inference_time_ms: number;
}

export class UsageSeries {
  private step = 0;
  private confidences: number[] = [];
  private times: number[] = [];
  private classes = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly tracker: LiveTracker,
    intervalMs: number,
    private readonly labels: readonly string[],
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  add(predictions: readonly Prediction[]): void {
    for (const p of predictions) {
      this.confidences.push(p.confidence);
      this.times.push(p.inference_time_ms);
      this.classes.set(p.label, (this.classes.get(p.label) ?? 0) + 1);
    }
  }

  /** Logs the step since the last one (nothing when nothing was predicted). */
  flush(): void {
    const n = this.confidences.length;
    if (n === 0) return;
    const times = this.times.sort((a, b) => a - b);
    const metrics: Record<string, number> = {
      predictions: n,
      confidence_mean: this.confidences.reduce((a, b) => a + b, 0) / n,
      inference_time_ms_mean: times.reduce((a, b) => a + b, 0) / n,
      inference_time_ms_p95: times[Math.min(n - 1, Math.ceil(0.95 * n) - 1)] as number,
    };
    // Every class every step (0 when absent), so each series has a point at each step.
    for (const label of this.labels) metrics[`predictions.${label}`] = this.classes.get(label) ?? 0;
    this.tracker.log(metrics, this.step++);
    this.confidences = [];
    this.times = [];
    this.classes = new Map();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
