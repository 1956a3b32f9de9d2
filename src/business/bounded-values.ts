import { diag } from '@opentelemetry/api';
import type { Problems } from '../instruments/problems.js';
import { BUSINESS_OVERFLOW_VALUE } from '../semconv.js';

/**
 * Keeps one free-text attribute (job type, model, agent or tool name, `error.type`) bounded: the values of an
 * allow-list, or else the first `max` distinct values seen, pass as they are; anything else becomes `_OTHER`.
 * Each value folded into `_OTHER` is counted in `omb.instrument.problems{error_type="overflow"}` under the
 * attribute's instrument, and logged once.
 */
export class BoundedValues {
  private readonly seen: Set<string>;
  private warned = false;

  constructor(
    /** The attribute key, for the log line. */
    private readonly attribute: string,
    /** The instrument the overflow is counted under. */
    private readonly instrument: string,
    private readonly problems: Problems,
    private readonly allowed: readonly string[] | undefined,
    private readonly max: number,
  ) {
    this.seen = new Set(allowed);
  }

  /** `value` when it is allowed (or there is room for it), else `_OTHER`. Never throws. */
  of(value: unknown): string {
    if (typeof value === 'string' && this.seen.has(value)) return value;
    if (
      typeof value === 'string' &&
      value !== '' &&
      this.allowed === undefined &&
      this.seen.size < this.max
    ) {
      this.seen.add(value);
      return value;
    }
    if (!this.warned) {
      this.warned = true;
      diag.warn(
        `otel-metrics-bootstrap: ${this.attribute}: ${this.allowed ? 'a value outside the allow-list' : `more than ${this.max} distinct values (maxValues, OMB_BUSINESS_MAX_VALUES)`} or a non-string was recorded as "${BUSINESS_OVERFLOW_VALUE}". Logged once; each is counted in omb_instrument_problems_total{error_type="overflow"}`,
      );
    }
    this.problems.report(
      this.instrument,
      'overflow',
      `${this.attribute} value recorded as ${BUSINESS_OVERFLOW_VALUE}`,
    );
    return BUSINESS_OVERFLOW_VALUE;
  }
}
