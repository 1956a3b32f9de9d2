// Issue 10, finding 6: an async observable callback that never settles. Every scrape must still answer 200, after
// the callback deadline (half the 3 s scrape timeout: 1.5 s), with the control series and the healthy gauge
// `hung_healthy 7`, without `hung_pool_size`, and with
// `omb_callback_failures_total{omb_instrument="hung.pool.size",reason="timeout"}` growing from the second
// scrape on. Prometheus's own scrape timeout must be longer than that deadline (hostile.test.ts).
export const config = { prometheus: { scrapeTimeout: 3000 } };

export default function record(handle) {
  const meter = handle.meter;
  meter.createObservableGauge('hung.healthy').addCallback((result) => result.observe(7));
  meter.createObservableGauge('hung.pool.size').addCallback(() => new Promise(() => {}));
}
