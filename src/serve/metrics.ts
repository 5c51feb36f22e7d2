/**
 * The serve metrics, in Prometheus' conventions (base units, `_total` counters, labels of low
 * cardinality: the route template, never the raw path; the class, never the input). prom-client
 * also exports the process metrics (CPU, memory, event-loop lag, GC).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ModelIdentity {
  kind: string;
  name: string;
  sha256: string;
}

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'mlp_http_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'mlp_http_request_duration_seconds',
    help: 'Time from the request to the end of the response, by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({ name: 'mlp_http_requests_in_flight', help: 'Requests being handled', registers: [this.registry] });
  readonly predictions = new Counter({
    name: 'mlp_predictions_total',
    help: 'Predictions made, by predicted class',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly confidence = new Histogram({
    name: 'mlp_prediction_confidence',
    help: 'Probability of the predicted class',
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
    registers: [this.registry],
  });
  readonly inference = new Histogram({
    name: 'mlp_inference_duration_seconds',
    help: 'Model time per batch of inputs',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly modelInfo = new Gauge({
    name: 'mlp_model_info',
    help: 'The model being served (value 1), identified by its sha256 as pipeline.lock records it',
    labelNames: ['kind', 'name', 'sha256', 'mlp_version'] as const,
    registers: [this.registry],
  });

  constructor(
    model: ModelIdentity,
    private readonly mlpVersion: string,
  ) {
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names `_total`, which Prometheus reserves for counters (promtool
    // flags them); the handle and request counts are debugging aids, not service health.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.setModel(model);
  }

  /** After a reload: the old model's info series goes, the new one's comes. */
  setModel(model: ModelIdentity): void {
    this.modelInfo.reset();
    this.modelInfo.set({ kind: model.kind, name: model.name, sha256: model.sha256, mlp_version: this.mlpVersion }, 1);
  }
}
