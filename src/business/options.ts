import type { Meter } from '@opentelemetry/api';
import type { Clock } from '../clock.js';
import { isRecord, type Reader, show } from '../option-reader.js';

/**
 * Options every business helper takes (`createJobMetrics()`, `createLlmMetrics()`, `createAgentMetrics()`). The
 * helpers are not configured through `initMeter()`: each is created where it is used, on `initMeter()`'s
 * provider. To add an option: a field here or on a helper's options (JSDoc: what, default, unit, env variable),
 * its default in `BUSINESS_DEFAULTS`, its variable in `BUSINESS_ENV`, one read in `resolveBusiness()`, and a README
 * row.
 */
export interface BusinessOptions {
  /**
   * The meter whose provider exports the helper's metrics: `telemetry.meter` of `initMeter()` or
   * `createTestMeter().meter`. Default: the meter of the running `initMeter()` (`MetricsError`
   * `ERR_BUSINESS_NO_METER` when there is none).
   */
  meter?: Meter;
  /** Time source of the durations. Default `systemClock` (`performance.now()`); tests pass `createTestClock()`. */
  clock?: Clock;
  /**
   * Distinct values each free-text attribute (job type, model, agent, tool name, `error.type`) may take in this
   * helper when no allow-list is given; later new values are recorded as `_OTHER`, so a helper can never cause a
   * cardinality explosion. Default `100`. Env `OMB_BUSINESS_MAX_VALUES`.
   */
  maxValues?: number;
}

/** `createJobMetrics()` options. */
export interface JobMetricsOptions extends BusinessOptions {
  /** The job types recorded as they are; any other is recorded as `_OTHER`. Default: the first `maxValues` seen. */
  jobTypes?: readonly string[];
}

/** Prices of one model, in `currency` per million tokens. */
export interface ModelPrice {
  /** Input (prompt) tokens that were not read from the provider's cache. */
  input: number;
  /** Output (completion) tokens, reasoning tokens included as the providers bill them. */
  output: number;
  /** Input tokens read from the provider's prompt cache. Default: the `input` price. */
  cachedInput?: number;
}

/**
 * Prices per provider (`gen_ai.provider.name`) and model. A model key matches the response model (else the
 * request model) exactly, or as the longest prefix: `gpt-4o` prices `gpt-4o-2024-08-06`.
 */
export type PriceTable = Readonly<Record<string, Readonly<Record<string, ModelPrice>>>>;

/** `createLlmMetrics()` options. */
export interface LlmMetricsOptions extends BusinessOptions {
  /** `gen_ai.provider.name` of the calls (`openai`, `anthropic`, `aws.bedrock`, …). Required. */
  provider: string;
  /** `server.address` of the API (`api.openai.com`). Default none. */
  serverAddress?: string;
  /** `server.port` of the API. Default none. */
  serverPort?: number;
  /** The models recorded as they are (request and response model); any other is `_OTHER`. Default: the first `maxValues`. */
  models?: readonly string[];
  /**
   * Prices feeding `llm.client.cost`, checked at creation; a model's price is read when the model is first
   * recorded (per call for models folded into `_OTHER`), so later changes to the table are not reliably seen.
   * Without them no cost is recorded. Default none.
   */
  prices?: PriceTable;
  /** The `llm.cost.currency` attribute of the cost (ISO 4217). Default `USD`. */
  currency?: string;
}

/** `createAgentMetrics()` options. */
export interface AgentMetricsOptions extends BusinessOptions {
  /** Agent names recorded as they are; any other is `_OTHER`. Default: the first `maxValues` seen. */
  agents?: readonly string[];
  /** Tool names recorded as they are; any other is `_OTHER`. Default: the first `maxValues` seen. */
  tools?: readonly string[];
}

/** What `resolveBusiness()` returns: the options checked, defaults applied. */
export interface ResolvedBusinessOptions {
  readonly meter: Meter | undefined;
  readonly clock: Clock | undefined;
  readonly maxValues: number;
  /** Allow-lists by option name (`jobTypes`, `models`, `agents`, `tools`). */
  readonly allowed: Readonly<Record<string, readonly string[] | undefined>>;
  readonly provider: string;
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
  readonly prices: PriceTable | undefined;
  readonly currency: string;
}

export const BUSINESS_DEFAULTS = Object.freeze({ maxValues: 100, currency: 'USD' });

/** Environment variables of the business helpers and the option each feeds. */
export const BUSINESS_ENV = Object.freeze({ OMB_BUSINESS_MAX_VALUES: 'maxValues' } as const);

/** The codes creating a business helper can throw (see the README's error table). */
export const BUSINESS_ERROR_CODES = ['ERR_BUSINESS_NO_METER', 'ERR_INVALID_PRICES'] as const;

/** The helpers and the options each takes beyond `BusinessOptions`. */
const HELPER_KEYS = {
  createJobMetrics: ['jobTypes'],
  createLlmMetrics: ['provider', 'serverAddress', 'serverPort', 'models', 'prices', 'currency'],
  createAgentMetrics: ['agents', 'tools'],
} as const;
export type BusinessHelper = keyof typeof HELPER_KEYS;

/**
 * Resolves one helper's options: explicit option > environment variable > default, reporting every problem to
 * `r` (source: `<helper>.<option>` or the variable) instead of throwing.
 */
export function resolveBusiness(
  r: Reader,
  helper: BusinessHelper,
  options: unknown,
): ResolvedBusinessOptions {
  const s = r.section(
    helper,
    options,
    'must be an options object',
    {
      OMB_BUSINESS_MAX_VALUES: `${helper}.maxValues`,
    },
    BUSINESS_DEFAULTS,
  );
  const meter = s.get('meter');
  if (meter !== undefined && !isRecord(meter))
    r.report(
      'ERR_INVALID_CONFIG',
      s.source('meter'),
      `must be a meter of initMeter() or createTestMeter(), got ${show(meter)}`,
    );
  const clock = s.get('clock') as Clock | undefined;
  if (clock !== undefined && typeof clock?.now !== 'function')
    r.report(
      'ERR_INVALID_CONFIG',
      s.source('clock'),
      'must be a Clock (an object with now() in milliseconds)',
    );
  const allowed: Record<string, string[] | undefined> = {};
  for (const key of ['jobTypes', 'models', 'agents', 'tools']) {
    if ((HELPER_KEYS[helper] as readonly string[]).includes(key)) {
      const list = s.list(key, 'ERR_INVALID_CONFIG');
      if (list?.some((v) => v === '')) r.report('ERR_INVALID_CONFIG', s.source(key), 'holds an empty string');
      allowed[key] = list;
    }
  }
  let provider = '';
  let serverPort: number | undefined;
  let prices: PriceTable | undefined;
  if (helper === 'createLlmMetrics') {
    provider = s.str('provider') ?? '';
    if (provider === '' && s.get('provider') === undefined)
      r.report(
        'ERR_INVALID_STRING',
        s.source('provider'),
        'is required: the gen_ai.provider.name, e.g. "openai"',
      );
    serverPort = r.limit(s.source('serverPort'), s.get('serverPort'), undefined, true, 1);
    prices = checkPrices(r, s.source('prices'), s.get('prices'));
  }
  const resolved: ResolvedBusinessOptions = {
    meter: meter as Meter | undefined,
    clock,
    maxValues: s.integer('maxValues', 1),
    allowed,
    provider,
    serverAddress: helper === 'createLlmMetrics' ? s.str('serverAddress') : undefined,
    serverPort,
    prices,
    currency: (helper === 'createLlmMetrics' ? s.str('currency') : undefined) ?? BUSINESS_DEFAULTS.currency,
  };
  s.close();
  return resolved;
}

function checkPrices(r: Reader, source: string, value: unknown): PriceTable | undefined {
  if (value === undefined) return undefined;
  const fix =
    'give { [provider]: { [model]: { input, output, cachedInput? } } } in currency per million tokens';
  if (!isRecord(value)) {
    r.report('ERR_INVALID_PRICES', source, `${fix}, got ${show(value)}`);
    return undefined;
  }
  for (const [provider, models] of Object.entries(value)) {
    if (!isRecord(models)) {
      r.report('ERR_INVALID_PRICES', `${source}.${provider}`, `${fix}, got ${show(models)}`);
      continue;
    }
    for (const [model, price] of Object.entries(models)) {
      const at = `${source}.${provider}.${model}`;
      if (!isRecord(price)) {
        r.report('ERR_INVALID_PRICES', at, `${fix}, got ${show(price)}`);
        continue;
      }
      for (const key of Object.keys(price)) {
        const v = price[key];
        const required = key === 'input' || key === 'output';
        if (!required && key !== 'cachedInput')
          r.report('ERR_INVALID_PRICES', `${at}.${key}`, 'unknown price; use input, output, cachedInput');
        else if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
          r.report(
            'ERR_INVALID_PRICES',
            `${at}.${key}`,
            `must be a number ≥ 0 (per million tokens), got ${show(v)}`,
          );
      }
      for (const key of ['input', 'output'])
        if (price[key] === undefined) r.report('ERR_INVALID_PRICES', `${at}.${key}`, 'is required');
    }
  }
  return value as PriceTable;
}
