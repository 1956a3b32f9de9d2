import { startTimer, systemClock } from 'otel-metrics-bootstrap';

/**
 * A small piece of business logic with metrics. It takes its meter and clock from the caller: production passes
 * `initMeter().meter` and the system clock, tests pass a test meter and a test clock.
 */
export class OrderService {
  /**
   * @param {{ meter: import('@opentelemetry/api').Meter,
   *           payments: { charge(order: Order): Promise<void> },
   *           clock?: import('otel-metrics-bootstrap').Clock }} deps
   */
  constructor({ meter, payments, clock = systemClock }) {
    this.payments = payments;
    this.clock = clock;
    this.placed = meter.createCounter('orders.placed', { unit: '{order}', description: 'Orders placed' });
    this.failed = meter.createCounter('orders.failed', {
      unit: '{order}',
      description: 'Checkouts that failed',
    });
    this.duration = meter.createHistogram('orders.checkout.duration', {
      unit: 's',
      description: 'Time to check out an order',
    });
  }

  /** @param {Order} order */
  async checkout(order) {
    const end = startTimer(this.duration, { 'payment.method': order.paymentMethod }, this.clock);
    try {
      await this.payments.charge(order);
    } catch (err) {
      this.failed.add(1, { 'error.type': err.code ?? 'unknown' });
      end({ outcome: 'error' });
      throw err;
    }
    // `customer.id` is dropped by the attribute allow-list in metrics-config.js: no per-customer series.
    this.placed.add(1, { 'payment.method': order.paymentMethod, 'customer.id': order.customerId });
    end({ outcome: 'ok' });
  }
}

/** @typedef {{ paymentMethod: string, customerId: string }} Order */
