// One metrics configuration, shared by the service (initMeter) and its tests (createTestMeter), so the tests see the
// same buckets, attribute allow-lists and Prometheus names as production.
/** @type {import('otel-metrics-bootstrap').MetricsConfig} */
export const metricsConfig = {
  serviceName: 'orders',
  histograms: { 'orders.checkout.duration': [0.05, 0.1, 0.25, 0.5, 1, 2.5] },
  attributes: { 'orders.placed': ['payment.method'] },
};
