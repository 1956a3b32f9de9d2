import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';

/**
 * The SDK's Prometheus pull reader, used only as the data source: cumulative temporality and `collect()` on
 * demand. Its own server and serializer stay unused (we serve with `node:http` and serialize ourselves), and
 * it learns the configured default cardinality limit, which the upstream constructor has no option for.
 */
export class PrometheusReader extends PrometheusExporter {
  private readonly cardinalityLimit: number;

  constructor(options: { cardinalityLimit: number; metricProducers?: MetricProducer[] }) {
    super({ preventServerStart: true, metricProducers: options.metricProducers ?? [] });
    this.cardinalityLimit = options.cardinalityLimit;
  }

  override selectCardinalityLimit(): number {
    return this.cardinalityLimit;
  }
}
