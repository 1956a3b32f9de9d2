import type { EnvTable, Reader } from '../option-reader.js';

/**
 * Options of the instruments API (`telemetry.instruments`, `createInstruments()`). In `initMeter()` the names
 * sit at the top level (`initMeter({ namespace: 'shop' })`) and the limits under `instruments`. To add an
 * option: a field here (JSDoc: what, default, unit, env variable), its default in `INSTRUMENTS_DEFAULTS`, its
 * variable in `INSTRUMENTS_ENV`, one read in `resolveInstruments()`, and a README row.
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

/** The codes creating an instrument of the instruments API can throw (see the README's error table). */
export const INSTRUMENTS_ERROR_CODES = [
  'ERR_INSTRUMENT_CONFLICT',
  'ERR_INVALID_LABEL',
  'ERR_INVALID_INSTRUMENT_OPTION',
] as const;

/** The OTel API's instrument-name syntax; wildcards are for raw `views`, not for our per-name maps. */
export const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;

/** A name part: what an OTel instrument name may hold, without the leading-letter rule's exceptions. */
const NAME_PART = /^[A-Za-z][A-Za-z0-9_.\-/]{0,127}$/;

/**
 * Resolves the instruments API's options: explicit option > environment variable > default, reporting every
 * problem to `r` (source: the option path or variable) instead of throwing. `initMeter()` passes its top-level
 * `namespace`/`subsystem` and its `instruments` object; `createInstruments()` passes its own options.
 */
export function resolveInstruments(
  r: Reader,
  namespace: unknown,
  subsystem: unknown,
  instruments: unknown,
): ResolvedInstrumentsOptions {
  const s = r.section(
    'instruments',
    instruments,
    'must be an options object',
    INSTRUMENTS_ENV as EnvTable,
    INSTRUMENTS_DEFAULTS,
  );
  const resolved = {
    namespace: namePrefix(r, 'namespace', namespace, 'OMB_NAMESPACE'),
    subsystem: namePrefix(r, 'subsystem', subsystem, 'OMB_SUBSYSTEM'),
    maxSeries: s.integer('maxSeries', 1),
    valueLengthLimit: s.integer('valueLengthLimit', 1),
  };
  s.close();
  return resolved;
}

function namePrefix(r: Reader, option: string, value: unknown, envName: string): string | undefined {
  const prefix = value ?? r.envValue(envName);
  if (prefix === undefined) return undefined;
  if (typeof prefix === 'string' && NAME_PART.test(prefix)) return prefix;
  r.report(
    'ERR_INVALID_INSTRUMENT_NAME',
    value !== undefined ? option : envName,
    `${JSON.stringify(prefix)} is not a name prefix; start with a letter, then letters, digits, "_", ".", "-" or "/" (at most 128)`,
  );
  return undefined;
}
