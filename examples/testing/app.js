// The service as it runs in production: `node examples/testing/app.js` serves metrics on http://127.0.0.1:9464/metrics.
import { initMeter } from 'otel-metrics-bootstrap';
import { metricsConfig } from './metrics-config.js';
import { OrderService } from './orders.js';

/** Starts the service; `port: 0` (as the tests use) picks a free port. */
export async function start({ port = 9464 } = {}) {
  const telemetry = initMeter({ ...metricsConfig, prometheus: { port, host: '127.0.0.1' } });
  await telemetry.ready;
  const payments = { charge: async () => {} };
  const service = new OrderService({ meter: telemetry.meter, payments });
  return { telemetry, service };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { telemetry, service } = await start();
  await service.checkout({ paymentMethod: 'card', customerId: 'c-1' });
  console.log(`serving metrics at ${telemetry.metricsUrl}`);
}
