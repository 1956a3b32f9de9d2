import type { Attributes } from '@opentelemetry/api';
import { type Clock, systemClock } from '../clock.js';
import { tracingOn } from '../http/exemplar-capture.js';
import type { AnyHistogramSeries, SumSeries } from '../http/series.js';
import type { BoundCounter, Counter } from '../instruments/counter.js';
import type { BoundHistogram, Histogram } from '../instruments/histogram.js';
import type { Timer } from '../instruments/timer.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_LLM_COST_CURRENCY,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  BUSINESS_OVERFLOW_VALUE,
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_TOKEN_BUCKETS,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_LLM_CLIENT_COST,
} from '../semconv.js';
import type { BoundedValues } from './bounded-values.js';
import { type LlmUsage, UsageReader } from './llm-usage.js';
import type { LlmMetricsOptions, ModelPrice, PriceTable } from './options.js';
import { errorType, getOrAdd, setupHelper } from './setup.js';

/** What a thrown `undefined` or `null` is recorded as: it has no type, so `error.type` is `_OTHER`. */
const UNKNOWN_FAILURE = Object.freeze({});

/** `gen_ai.operation.name` values of the conventions; any other is recorded as `_OTHER`. */
export const GEN_AI_OPERATION_NAMES: readonly string[] = Object.freeze([
  'chat',
  'create_agent',
  'embeddings',
  'execute_tool',
  'generate_content',
  'invoke_agent',
  'invoke_workflow',
  'retrieval',
  'text_completion',
]);

/** What a call asked for: the attributes known before the response. */
export interface LlmRequest {
  /** `gen_ai.operation.name`. Default `chat`. */
  operation?: string;
  /** `gen_ai.request.model`. Default none. */
  model?: string;
}

/** One finished LLM call, for `record()`. */
export interface LlmCall extends LlmRequest, LlmUsage {
  /** How long the call took, in seconds (to the last chunk when streamed). */
  durationSeconds: number;
  /** The error the call failed with: its `error.type` is recorded on the duration. Default none (success). */
  error?: unknown;
  /** Streaming: seconds from the request to the first chunk. */
  timeToFirstChunkSeconds?: number;
  /** Streaming: seconds between consecutive chunks after the first, one per chunk. */
  timePerOutputChunkSeconds?: readonly number[];
}

/** A stream to measure: an async iterable, a promise of one, or a function returning either (timed from the call). */
export type LlmStreamSource<C> =
  | AsyncIterable<C>
  | PromiseLike<AsyncIterable<C>>
  | (() => AsyncIterable<C> | PromiseLike<AsyncIterable<C>>);

/** The bound series of one (operation, request model, response model), built on first use. */
class LlmSeries {
  readonly attributes: Attributes;
  readonly duration: BoundHistogram;
  readonly firstChunk: BoundHistogram;
  readonly perChunk: BoundHistogram;
  readonly input: BoundHistogram;
  readonly output: BoundHistogram;
  readonly cost: BoundCounter;
  /** The series under `duration`, `input`, `output` and `cost`, for the common call of `record()`. */
  readonly durationSeries: AnyHistogramSeries;
  readonly inputSeries: AnyHistogramSeries;
  readonly outputSeries: AnyHistogramSeries;
  readonly costSeries: SumSeries;
  /** The price of this series' model; `undefined` when unpriced or folded into `_OTHER` (priced per call). */
  readonly price: ResolvedPrice | undefined;

  constructor(
    llm: LlmMetrics,
    operation: string,
    requestModel: string | undefined,
    responseModel: string | undefined,
  ) {
    const o = llm.options;
    this.attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: o.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: requestModel,
      [ATTR_GEN_AI_RESPONSE_MODEL]: responseModel,
      [ATTR_SERVER_ADDRESS]: o.serverAddress,
      [ATTR_SERVER_PORT]: o.serverPort,
    };
    const m = llm.m;
    this.duration = m.duration.bind(this.attributes);
    this.firstChunk = m.firstChunk.bind(this.attributes);
    this.perChunk = m.perChunk.bind(this.attributes);
    this.input = m.tokens.bind({ ...this.attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT });
    this.output = m.tokens.bind({ ...this.attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_OUTPUT });
    this.cost = m.cost.bind({
      [ATTR_GEN_AI_PROVIDER_NAME]: o.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: requestModel,
      [ATTR_GEN_AI_RESPONSE_MODEL]: responseModel,
      [ATTR_LLM_COST_CURRENCY]: o.currency,
    });
    this.durationSeries = this.duration.s;
    this.inputSeries = this.input.s;
    this.outputSeries = this.output.s;
    this.costSeries = this.cost.s;
    const model = responseModel ?? requestModel;
    this.price =
      model === BUSINESS_OVERFLOW_VALUE ? undefined : resolvedPrice(priceOf(o.prices, o.provider, model));
  }
}

interface LlmInstruments {
  readonly duration: Timer;
  readonly firstChunk: Timer;
  readonly perChunk: Timer;
  readonly tokens: Histogram;
  readonly cost: Counter;
}

/**
 * LLM client metrics after the GenAI semantic conventions (created by `createLlmMetrics()`):
 * `gen_ai.client.operation.duration` (s, with `error.type` on failure), `gen_ai.client.token.usage` (`{token}`, by
 * `gen_ai.token.type`), `gen_ai.client.operation.time_to_first_chunk` and `…time_per_output_chunk` (s, streams),
 * with `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`,
 * `server.address`, `server.port`; and `llm.client.cost` (a counter in `llm.cost.currency`) from the price table.
 * Requests and errors by type are the duration's count by `error.type`. Recording never throws.
 */
export class LlmMetrics {
  /** @internal */
  readonly m: LlmInstruments;
  /** @internal */
  readonly options: ReturnType<typeof setupHelper>['options'];
  private readonly clock: Clock;
  private readonly operations: BoundedValues;
  private readonly models: BoundedValues;
  private readonly errorTypes: BoundedValues;
  /** operation → request model → response model → series, for accepted values only. */
  private readonly series = new Map<string, Map<string | undefined, Map<string | undefined, LlmSeries>>>();

  /** @internal use `createLlmMetrics()`. */
  constructor(options: LlmMetricsOptions) {
    const base = setupHelper('createLlmMetrics', options);
    this.options = base.options;
    this.clock = base.options.clock ?? systemClock;
    const i = base.instruments;
    const labels = [
      ATTR_GEN_AI_OPERATION_NAME,
      ATTR_GEN_AI_PROVIDER_NAME,
      ATTR_GEN_AI_REQUEST_MODEL,
      ATTR_GEN_AI_RESPONSE_MODEL,
      ATTR_SERVER_ADDRESS,
      ATTR_SERVER_PORT,
      ATTR_ERROR_TYPE,
    ];
    const timer = (name: string, description: string) =>
      i.timer(name, { description, labels, buckets: GEN_AI_DURATION_BUCKETS });
    this.m = {
      duration: timer(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, 'GenAI operation duration.'),
      firstChunk: timer(
        METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
        'Time from the request to the first chunk of a streamed GenAI response.',
      ),
      perChunk: timer(
        METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
        'Time between consecutive output chunks of a streamed GenAI response, after the first.',
      ),
      tokens: i.histogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
        unit: '{token}',
        description: 'Number of input and output tokens used.',
        labels: [...labels.slice(0, -1), ATTR_GEN_AI_TOKEN_TYPE],
        buckets: GEN_AI_TOKEN_BUCKETS,
      }),
      cost: i.counter(METRIC_LLM_CLIENT_COST, {
        description:
          'Cost of LLM calls from the configured price table, in the currency of llm.cost.currency (not a semantic convention).',
        labels: [
          ATTR_GEN_AI_PROVIDER_NAME,
          ATTR_GEN_AI_REQUEST_MODEL,
          ATTR_GEN_AI_RESPONSE_MODEL,
          ATTR_LLM_COST_CURRENCY,
        ],
      }),
    };
    this.operations = base.bounded(ATTR_GEN_AI_OPERATION_NAME, METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    this.models = base.bounded(ATTR_GEN_AI_REQUEST_MODEL, METRIC_GEN_AI_CLIENT_OPERATION_DURATION, 'models');
    this.errorTypes = base.bounded(ATTR_ERROR_TYPE, METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
  }

  /**
   * Records one finished call from numbers the caller has: its duration, token counts (absent ones are not
   * recorded), chunk timings and, with a price table, its cost. Never throws.
   */
  record(call: LlmCall): void {
    const s = this.seriesOf(call.operation, call.model, call.responseModel);
    const duration = call.durationSeconds;
    const { inputTokens, outputTokens } = call;
    const cached = call.cachedInputTokens ?? 0;
    const price = s.price;
    // The common call (a success, not streamed, both counts, a priced model, cached ≤ input, tracing off so no
    // exemplar can be wanted) is written straight to its four series, with the checks observe() and add() make
    // done here once; anything else, and any value those checks would drop, goes through the bound instruments
    // on the general path. Why: through the bound instruments, record() and what it inlines came to about 1030
    // bytecodes, and V8 inlines a callee only while its caller stays within 920 (less a 20% reserve), so every
    // caller called record() out of line: 15–20% over the same recording written by hand (bench/business.js);
    // now about 680, inlined, and no slower than the hand-written recording.
    if (
      tracingOn ||
      call.error !== undefined ||
      call.timeToFirstChunkSeconds !== undefined ||
      call.timePerOutputChunkSeconds !== undefined ||
      inputTokens === undefined ||
      outputTokens === undefined ||
      price === undefined ||
      !(cached <= inputTokens)
    ) {
      this.recordAny(s, call);
      return;
    }
    const cost =
      ((inputTokens - cached) * price.input + cached * price.cachedInput + outputTokens * price.output) / 1e6;
    if (
      !(
        duration >= 0 &&
        duration < Infinity &&
        inputTokens >= 0 &&
        inputTokens < Infinity &&
        outputTokens >= 0 &&
        outputTokens < Infinity &&
        cost >= 0 &&
        cost < Infinity
      )
    ) {
      this.recordAny(s, call);
      return;
    }
    s.durationSeries.record(duration);
    s.inputSeries.record(inputTokens);
    s.outputSeries.record(outputTokens);
    s.costSeries.value += cost;
  }

  /** Any call: failed or streamed, counts absent, the model unpriced or folded into `_OTHER`. */
  private recordAny(s: LlmSeries, call: LlmCall): void {
    if (
      call.error === undefined &&
      call.timeToFirstChunkSeconds === undefined &&
      call.timePerOutputChunkSeconds === undefined
    )
      s.duration.observe(call.durationSeconds);
    else this.recordTimes(s, call);
    this.recordUsage(s, call);
  }

  /** Token counts and cost of any call: counts may be absent, the model unpriced or folded into `_OTHER`. */
  private recordUsage(s: LlmSeries, call: LlmCall): void {
    const { inputTokens, outputTokens } = call;
    if (inputTokens === undefined && outputTokens === undefined) return;
    if (inputTokens !== undefined) s.input.observe(inputTokens);
    if (outputTokens !== undefined) s.output.observe(outputTokens);
    const price = s.price ?? resolvedPrice(this.overflowPrice(s, call));
    if (price === undefined) return;
    const input = inputTokens ?? 0;
    const cached = Math.min(call.cachedInputTokens ?? 0, input);
    s.cost.add(
      ((input - cached) * price.input + cached * price.cachedInput + (outputTokens ?? 0) * price.output) /
        1e6,
    );
  }

  /** Duration and chunk timings of a failed or streamed call (failures by `error.type`, on the timers). */
  private recordTimes(s: LlmSeries, call: LlmCall): void {
    const errorAttributes =
      call.error === undefined
        ? undefined
        : { ...s.attributes, [ATTR_ERROR_TYPE]: this.errorTypes.of(errorType(call.error)) };
    observeTime(s.duration, this.m.duration, call.durationSeconds, errorAttributes);
    if (call.timeToFirstChunkSeconds !== undefined)
      observeTime(s.firstChunk, this.m.firstChunk, call.timeToFirstChunkSeconds, errorAttributes);
    if (call.timePerOutputChunkSeconds !== undefined)
      for (const gap of call.timePerOutputChunkSeconds)
        observeTime(s.perChunk, this.m.perChunk, gap, errorAttributes);
  }

  /**
   * Calls `call` (or awaits the promise given), records the duration, and reads token usage and the response
   * model from the response (OpenAI- and Anthropic-style, see `UsageReader`); a response without usage records
   * the duration only. A failure is recorded with `error.type` and rethrown unchanged. Returns the response.
   */
  async wrap<R>(call: (() => R | PromiseLike<R>) | PromiseLike<R>, request: LlmRequest = {}): Promise<R> {
    const start = this.clock.now();
    const reader = new UsageReader();
    let failure: unknown;
    try {
      const response = await (typeof call === 'function' ? call() : call);
      reader.read(response);
      return response;
    } catch (err) {
      failure = err ?? UNKNOWN_FAILURE;
      throw err;
    } finally {
      this.finish(request, reader, start, failure, undefined, undefined);
    }
  }

  /**
   * Passes a streamed response through, chunk by chunk, and records it when it ends: time to the first chunk,
   * the time between later chunks, the duration to the last chunk, and the usage and response model read from
   * the chunks (OpenAI Chat Completions with `stream_options: { include_usage: true }`, Responses API events,
   * Anthropic events). A stream that errors midway is recorded with `error.type` (with the usage seen so far)
   * and the error is passed on unchanged; one the consumer leaves early is recorded as it stood.
   */
  async *wrapStream<C>(
    source: LlmStreamSource<C>,
    request: LlmRequest = {},
  ): AsyncGenerator<C, void, undefined> {
    const clock = this.clock;
    const start = clock.now();
    const reader = new UsageReader();
    const gaps: number[] = [];
    let first: number | undefined;
    let last = start;
    let failure: unknown;
    try {
      const stream = await (typeof source === 'function' ? source() : source);
      for await (const chunk of stream) {
        const now = clock.now();
        if (first === undefined) first = now;
        else gaps.push((now - last) / 1000);
        last = now;
        reader.read(chunk);
        yield chunk;
      }
    } catch (err) {
      failure = err ?? UNKNOWN_FAILURE;
      throw err;
    } finally {
      this.finish(request, reader, start, failure, first, gaps);
    }
  }

  /** Records a wrapped call that started at `start` (and, streamed, had its first chunk at `first`). */
  private finish(
    request: LlmRequest,
    reader: UsageReader,
    start: number,
    failure: unknown,
    first: number | undefined,
    gaps: readonly number[] | undefined,
  ): void {
    this.record({
      ...request,
      ...reader.usage(),
      durationSeconds: (this.clock.now() - start) / 1000,
      error: failure,
      ...(first !== undefined && { timeToFirstChunkSeconds: (first - start) / 1000 }),
      ...(gaps !== undefined && { timePerOutputChunkSeconds: gaps }),
    });
  }

  private lastOperation: string | undefined = NO_CALL;
  private lastRequest: string | undefined = NO_CALL;
  private lastResponse: string | undefined = NO_CALL;
  private lastSeries: LlmSeries | undefined;

  private seriesOf(
    operation: string | undefined,
    requestModel: string | undefined,
    responseModel: string | undefined,
  ): LlmSeries {
    // Most apps call one model again and again: the last series answers without a lookup (measured: the three
    // map lookups doubled the cost of record() over bound instruments, bench/business.js). Kept this short so
    // V8 inlines it into record(); the lookup is a call of its own (inlined, it measured +5 ns per record()).
    if (
      operation === this.lastOperation &&
      requestModel === this.lastRequest &&
      responseModel === this.lastResponse
    )
      return this.lastSeries!;
    return this.lookup(operation, requestModel, responseModel);
  }

  private lookup(
    operation: string | undefined,
    requestModel: string | undefined,
    responseModel: string | undefined,
  ): LlmSeries {
    const op = operation ?? 'chat';
    let series = this.series.get(op)?.get(requestModel)?.get(responseModel);
    if (series === undefined) {
      const o = GEN_AI_OPERATION_NAMES.includes(op) ? op : this.operations.of(undefined);
      const req = requestModel === undefined ? undefined : this.models.of(requestModel);
      const res = responseModel === undefined ? undefined : this.models.of(responseModel);
      const level1 = getOrAdd(this.series, o, () => new Map());
      const level2 = getOrAdd(level1, req, () => new Map());
      series = getOrAdd(level2, res, () => new LlmSeries(this, o, req, res));
    }
    this.lastOperation = operation;
    this.lastRequest = requestModel;
    this.lastResponse = responseModel;
    this.lastSeries = series;
    return series;
  }

  /** The price of a call whose model was folded into `_OTHER`: looked up by its real name, per call. */
  private overflowPrice(s: LlmSeries, call: LlmCall): ModelPrice | undefined {
    const model = s.attributes[ATTR_GEN_AI_RESPONSE_MODEL] ?? s.attributes[ATTR_GEN_AI_REQUEST_MODEL];
    if (model !== BUSINESS_OVERFLOW_VALUE) return undefined;
    return priceOf(this.options.prices, this.options.provider, call.responseModel ?? call.model);
  }
}

/** A model's price with the cached-input price filled in, so the common call reads three numbers. */
interface ResolvedPrice {
  readonly input: number;
  readonly output: number;
  readonly cachedInput: number;
}

function resolvedPrice(price: ModelPrice | undefined): ResolvedPrice | undefined {
  return price === undefined
    ? undefined
    : { input: price.input, output: price.output, cachedInput: price.cachedInput ?? price.input };
}

/** The price of `model` at `provider`: an exact key, else the longest key the model name starts with. */
function priceOf(
  prices: PriceTable | undefined,
  provider: string,
  model: string | undefined,
): ModelPrice | undefined {
  const table = prices?.[provider];
  if (table === undefined || model === undefined) return undefined;
  if (table[model] !== undefined) return table[model];
  let best: string | undefined;
  for (const key of Object.keys(table))
    if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  return best === undefined ? undefined : table[best];
}

/**
 * Creates LLM client metrics for one provider on the provider of `options.meter` (default: the running
 * `initMeter()`'s). Model names are bounded by `models` (allow-list) or `maxValues` (`OMB_BUSINESS_MAX_VALUES`,
 * default 100); prompts, user and request ids are never attributes. Throws `MetricsError` for bad options
 * (`ERR_INVALID_PRICES` for a bad price table) or when there is no meter.
 *
 * ```ts
 * const llm = createLlmMetrics({ provider: 'openai', prices: { openai: { 'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 } } } });
 * const reply = await llm.wrap(() => openai.chat.completions.create(body), { model: body.model });
 * for await (const chunk of llm.wrapStream(() => openai.chat.completions.create({ ...body, stream: true }), { model: body.model })) …
 * ```
 */
export function createLlmMetrics(options: LlmMetricsOptions): LlmMetrics {
  return new LlmMetrics(options);
}

/** No call yet: a value no caller passes, so the first `seriesOf()` always looks up. */
const NO_CALL = '\u0000no call';

/** A time on its bound series, or with `error.type` on the timer when the call failed. */
function observeTime(
  bound: BoundHistogram,
  timer: Timer,
  seconds: number,
  errorAttributes: Attributes | undefined,
) {
  if (errorAttributes === undefined) bound.observe(seconds);
  else timer.observe(seconds, errorAttributes);
}
