import { BUSINESS_ERROR_CODES } from './business/options.js';
import { CLUSTER_ERROR_CODES } from './cluster/options.js';
import { EXPORT_ERROR_CODES } from './export/options.js';
import { HTTP_ERROR_CODES } from './http/options.js';
import { INSTRUMENTS_ERROR_CODES } from './instruments/options.js';
import { PROMETHEUS_ERROR_CODES } from './prometheus/options.js';
import { RUNTIME_ERROR_CODES } from './runtime/options.js';

/**
 * Every problem code `initMeter()` (or creating an instrument of the instruments API) can report: the shared and
 * top-level ones, then each subsystem's (declared in its `options.ts`). Each code has a row in the README's error
 * table (a test fails if one is missing), and codes are never renamed once released.
 */
export const ERROR_CODES = [
  'ERR_INVALID_CONFIG',
  'ERR_UNKNOWN_OPTION',
  'ERR_INVALID_BOOLEAN',
  'ERR_INVALID_STRING',
  'ERR_INVALID_LIMIT',
  'ERR_INVALID_BUCKETS',
  'ERR_INVALID_INSTRUMENT_NAME',
  'ERR_INVALID_ATTRIBUTES',
  'ERR_INVALID_CARDINALITY_LIMIT',
  'ERR_UNKNOWN_EXPORTER',
  'ERR_INVALID_LOG_LEVEL',
  'ERR_INVALID_RESOURCE_ATTRIBUTES',
  'ERR_INVALID_VIEWS',
  'ERR_INVALID_HISTOGRAM_AGGREGATION',
  ...PROMETHEUS_ERROR_CODES,
  ...HTTP_ERROR_CODES,
  ...RUNTIME_ERROR_CODES,
  ...EXPORT_ERROR_CODES,
  ...INSTRUMENTS_ERROR_CODES,
  ...BUSINESS_ERROR_CODES,
  ...CLUSTER_ERROR_CODES,
] as const;

export type MetricsErrorCode = (typeof ERROR_CODES)[number];

/** One thing that is wrong, with where it came from (`option` or `env`) so the fix is obvious. */
export interface MetricsProblem {
  readonly code: MetricsErrorCode;
  /** The option path (`prometheus.port`) or environment variable (`OTEL_EXPORTER_PROMETHEUS_PORT`). */
  readonly source: string;
  readonly message: string;
}

/**
 * The only error this library throws, and only at setup: from `initMeter()` and `resolveConfig()`, as the
 * rejection of `handle.ready`, from `createTestMeter()` for a configuration `initMeter()` would reject, and from
 * creating an instrument through the instruments API (`createInstruments()`, `instruments.counter()`, …).
 * `problems` lists every problem found; `code` is the problem's code when there is one problem,
 * else `ERR_INVALID_CONFIG`.
 */
export class MetricsError extends Error {
  readonly code: MetricsErrorCode;
  readonly problems: readonly MetricsProblem[];

  constructor(problems: readonly MetricsProblem[], options?: ErrorOptions) {
    const first = problems[0];
    const code = problems.length === 1 && first ? first.code : 'ERR_INVALID_CONFIG';
    const message =
      problems.length === 1 && first
        ? `${first.source}: ${first.message} (${first.code})`
        : `${problems.length} problems in the metrics configuration:\n` +
          problems.map((p) => `  - ${p.source}: ${p.message} (${p.code})`).join('\n');
    super(message, options);
    this.name = 'MetricsError';
    this.code = code;
    this.problems = Object.freeze([...problems]);
  }
}
