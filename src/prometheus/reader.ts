import { AggregationTemporality, type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';

/**
 * The pull reader behind the endpoint: cumulative temporality (Prometheus needs it), `collect()` on demand, and
 * the configured default cardinality limit. A plain SDK `MetricReader`: the endpoint serves and serializes by
 * itself, and `PrometheusExporter` (used here before) builds an `http.Server` and an upstream serializer in its
 * constructor even with `preventServerStart`, none of which this reader needs.
 */
export class PrometheusReader extends MetricReader {
  constructor(options: { cardinalityLimit: number; metricProducers?: MetricProducer[] }) {
    const { cardinalityLimit } = options;
    super({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      cardinalitySelector: () => cardinalityLimit,
      metricProducers: options.metricProducers ?? [],
    });
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}
