import type { MetricsErrorCode } from '../errors.js';

/**
 * Options of the instruments API (`telemetry.instruments`, `createInstruments()`). In `initMeter()` the names
 * sit at the top level (`initMeter({ namespace: 'shop' })`) and the limits under `instruments`.
 */
export interface InstrumentsOptions {
  /**
   * Prefix of every instrument name created through the instruments API, joined OTel-style with a dot:
   * `shop` + `orders.placed` → `shop.orders.placed` (Prometheus: `shop_orders_placed_total`). Default none.
   * Env `OMB_NAMESPACE`.
   */
  namespace?: string;
  /** Second prefix, after `namespace`: `shop` + `api` + `requests` → `shop.api.requests`. Default none. Env `OMB_SUBSYSTEM`. */
  subsystem?: string;
  /**
   * Series (distinct attribute sets) allowed across all instruments of one instruments API, overflow series
   * excluded. Beyond it, new attribute sets go to each instrument's `otel.metric.overflow="true"` series and
   * are counted in `omb_instrument_problems_total{error_type="overflow"}`. Default `10000`.
   * Env `OMB_INSTRUMENTS_MAX_SERIES`.
   */
  maxSeries?: number;
  /**
   * Longest attribute (label) value kept, in characters; longer string values are truncated to it. Default
   * `256`. Env `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` (the OTel spec's general attribute limit).
   */
  valueLengthLimit?: number;
}

/** The resolved options. */
export interface ResolvedInstrumentsOptions {
  readonly namespace: string | undefined;
  readonly subsystem: string | undefined;
  readonly maxSeries: number;
  readonly valueLengthLimit: number;
}

export const INSTRUMENTS_DEFAULTS = Object.freeze({ maxSeries: 10_000, valueLengthLimit: 256 });

/** Environment variables of the instruments API and the option each feeds. */
export const INSTRUMENTS_ENV = Object.freeze({
  OMB_NAMESPACE: 'namespace',
  OMB_SUBSYSTEM: 'subsystem',
  OMB_INSTRUMENTS_MAX_SERIES: 'instruments.maxSeries',
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: 'instruments.valueLengthLimit',
} as const);

/** The keys `initMeter()` accepts under `instruments`. */
export const INSTRUMENTS_KEYS: ReadonlySet<string> = new Set(['maxSeries', 'valueLengthLimit']);

/** A name part: what an OTel instrument name may hold, without the leading-letter rule's exceptions. */
const NAME_PART = /^[A-Za-z][A-Za-z0-9_.\-/]{0,127}$/;

type Report = (code: MetricsErrorCode, source: string, message: string) => void;
type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves the instruments API's options: explicit option > environment variable > default, reporting every
 * problem through `report` (source: the option path or variable) instead of throwing.
 *
 * @param options `namespace`/`subsystem` and the `instruments` limits, as `initMeter()` takes them.
 */
export function resolveInstrumentsOptions(
  options: {
    namespace?: unknown;
    subsystem?: unknown;
    instruments?: unknown;
  },
  env: Env,
  report: Report,
): ResolvedInstrumentsOptions {
  const envValue = (name: keyof typeof INSTRUMENTS_ENV) => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const prefix = (option: 'namespace' | 'subsystem', envName: keyof typeof INSTRUMENTS_ENV) => {
    const value = options[option] ?? envValue(envName);
    if (value === undefined) return undefined;
    if (typeof value === 'string' && NAME_PART.test(value)) return value;
    report(
      'ERR_INVALID_INSTRUMENT_NAME',
      options[option] !== undefined ? option : envName,
      `${JSON.stringify(value)} is not a name prefix; start with a letter, then letters, digits, "_", ".", "-" or "/" (at most 128)`,
    );
    return undefined;
  };
  let limits: Record<string, unknown> = {};
  const raw = options.instruments;
  if (raw !== undefined) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      report('ERR_INVALID_CONFIG', 'instruments', 'must be an options object');
    } else {
      limits = raw as Record<string, unknown>;
      for (const key of Object.keys(limits)) {
        if (!INSTRUMENTS_KEYS.has(key))
          report(
            'ERR_UNKNOWN_OPTION',
            `instruments.${key}`,
            `unknown option; use ${[...INSTRUMENTS_KEYS].join(' or ')}`,
          );
      }
    }
  }
  const positive = (key: 'maxSeries' | 'valueLengthLimit', envName: keyof typeof INSTRUMENTS_ENV) => {
    let value = limits[key];
    let source = `instruments.${key}`;
    if (value === undefined) {
      const text = envValue(envName);
      if (text === undefined) return INSTRUMENTS_DEFAULTS[key];
      value = /^\d+$/.test(text) ? Number(text) : text;
      source = envName;
    }
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
    report(
      'ERR_INVALID_LIMIT',
      source,
      `${JSON.stringify(value)} is not valid; use a positive integer (default ${INSTRUMENTS_DEFAULTS[key]})`,
    );
    return INSTRUMENTS_DEFAULTS[key];
  };
  return {
    namespace: prefix('namespace', 'OMB_NAMESPACE'),
    subsystem: prefix('subsystem', 'OMB_SUBSYSTEM'),
    maxSeries: positive('maxSeries', 'OMB_INSTRUMENTS_MAX_SERIES'),
    valueLengthLimit: positive('valueLengthLimit', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
  };
}
