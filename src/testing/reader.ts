import { type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';

/**
 * A pull reader that only collects on demand and keeps nothing: the test meter calls `collect()` and turns the
 * result into a snapshot. Cumulative temporality and the default aggregation, exactly like the Prometheus reader
 * `initMeter()` uses, and the same default cardinality limit, so overflow behaves as in production.
 */
export class InMemoryMetricReader extends MetricReader {
  constructor(options: { cardinalityLimit: number; metricProducers?: MetricProducer[] }) {
    super({
      cardinalitySelector: () => options.cardinalityLimit,
      metricProducers: options.metricProducers ?? [],
    });
  }

  protected override async onShutdown(): Promise<void> {}

  protected override async onForceFlush(): Promise<void> {}
}
