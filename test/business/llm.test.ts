import { describe, expect, it } from 'vitest';
import { createLlmMetrics } from '../../src/business/llm.js';
import { GEN_AI_DURATION_BUCKETS, GEN_AI_TOKEN_BUCKETS } from '../../src/semconv.js';
import type { TestClock } from '../../src/testing/index.js';
import { errorOf, fixture, setup } from './support.js';

class RateLimitError extends Error {}

const PRICES = {
  openai: {
    'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
  },
  anthropic: { 'claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3 } },
};

/** Yields `chunks`, advancing the clock by `delays[i]` ms before each, optionally failing after `failAfter`. */
async function* paced<C>(
  clock: TestClock,
  chunks: readonly C[],
  delays: readonly number[],
  failAfter?: number,
) {
  for (let i = 0; i < chunks.length; i++) {
    if (i === failAfter) throw new RateLimitError('midway');
    await Promise.resolve();
    clock.advance(delays[i] ?? 0);
    yield chunks[i] as C;
  }
}

async function drain<C>(stream: AsyncIterable<C>): Promise<C[]> {
  const out: C[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('createLlmMetrics().record', () => {
  it('records duration and token usage in the semconv buckets with the GenAI attributes', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({
      meter: tm.meter,
      clock,
      provider: 'openai',
      serverAddress: 'api.openai.com',
      serverPort: 443,
    });
    llm.record({
      model: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      durationSeconds: 0.9,
      inputTokens: 100,
      outputTokens: 20,
    });
    const s = await tm.collect();
    const attrs = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'server.address': 'api.openai.com',
      'server.port': 443,
    };
    const d = s.histogram('gen_ai.client.operation.duration', attrs);
    expect(d?.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
    expect([d?.count, d?.sum, d?.bucket(0.64), d?.bucket(1.28)]).toEqual([1, 0.9, 0, 1]);
    const input = s.histogram('gen_ai.client.token.usage', { ...attrs, 'gen_ai.token.type': 'input' });
    expect(input?.boundaries.at(-1)).toBe(67108864);
    expect([input?.sum, input?.bucket(64), input?.bucket(256)]).toEqual([100, 0, 1]);
    expect(s.histogram('gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' })?.sum).toBe(20);
    expect(s.metric('gen_ai.client.token.usage')?.unit).toBe('{token}');
  });

  it('computes the cost from the price table, cached input at its own price', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({
      meter: tm.meter,
      clock,
      provider: 'openai',
      prices: PRICES,
      currency: 'EUR',
    });
    // 1200 input of which 1024 cached, 85 output, priced by the longest matching key "gpt-4o".
    llm.record({
      model: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      durationSeconds: 1,
      inputTokens: 1200,
      cachedInputTokens: 1024,
      outputTokens: 85,
    });
    // gpt-4o-mini has no cached price: cached input costs the input price.
    llm.record({
      model: 'gpt-4o-mini',
      durationSeconds: 1,
      inputTokens: 1000,
      cachedInputTokens: 500,
      outputTokens: 0,
    });
    // Unpriced model: no cost series.
    llm.record({ model: 'o3', durationSeconds: 1, inputTokens: 1000, outputTokens: 10 });
    const s = await tm.collect();
    expect(
      s.counter('llm.client.cost', { 'gen_ai.request.model': 'gpt-4o', 'llm.cost.currency': 'EUR' }),
    ).toBeCloseTo((176 * 2.5 + 1024 * 1.25 + 85 * 10) / 1e6, 12);
    expect(s.counter('llm.client.cost', { 'gen_ai.request.model': 'gpt-4o-mini' })).toBeCloseTo(0.00015, 12);
    expect(s.counter('llm.client.cost', { 'gen_ai.request.model': 'o3' })).toBe(0);
  });

  it('records every call as the bound instruments would, whichever path it takes, bad values dropped alike', async () => {
    // record() keeps a common call on a short path that writes the series itself; this checks it against the
    // same recording done through bound instruments, including the values observe() and add() drop.
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai', prices: PRICES });
    const calls = [
      { durationSeconds: 0.9, inputTokens: 1200, cachedInputTokens: 1024, outputTokens: 85 },
      { durationSeconds: 0.3, inputTokens: 40, outputTokens: 0 },
      { durationSeconds: 2, inputTokens: 10, cachedInputTokens: 50, outputTokens: 5 }, // cached > input
      { durationSeconds: 1, inputTokens: 10, cachedInputTokens: -4, outputTokens: 5 },
      { durationSeconds: 1, inputTokens: -2, cachedInputTokens: -4, outputTokens: 5 },
      { durationSeconds: -1, inputTokens: 10, outputTokens: 5 },
      { durationSeconds: Number.NaN, inputTokens: 10, outputTokens: 5 },
      { durationSeconds: 1, inputTokens: Number.NaN, outputTokens: 5 },
      { durationSeconds: 1, inputTokens: 7, outputTokens: Number.POSITIVE_INFINITY },
      { durationSeconds: 1, inputTokens: Number.POSITIVE_INFINITY, outputTokens: 3 },
      { durationSeconds: 1, inputTokens: 8, cachedInputTokens: Number.NaN, outputTokens: 3 },
      { durationSeconds: 1.5, inputTokens: 3, outputTokens: 1e308 }, // the cost overflows
    ];
    for (const c of calls) llm.record({ model: 'gpt-4o', ...c });

    const { tm: byHand } = setup();
    const i = byHand.instruments;
    const attrs = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
    };
    const duration = i
      .timer('gen_ai.client.operation.duration', { buckets: GEN_AI_DURATION_BUCKETS })
      .bind(attrs);
    const tokens = i.histogram('gen_ai.client.token.usage', {
      unit: '{token}',
      buckets: GEN_AI_TOKEN_BUCKETS,
    });
    const input = tokens.bind({ ...attrs, 'gen_ai.token.type': 'input' });
    const output = tokens.bind({ ...attrs, 'gen_ai.token.type': 'output' });
    const cost = i.counter('llm.client.cost').bind(attrs);
    const price = PRICES.openai['gpt-4o'];
    for (const c of calls) {
      duration.observe(c.durationSeconds);
      input.observe(c.inputTokens);
      output.observe(c.outputTokens);
      const cached = Math.min(c.cachedInputTokens ?? 0, c.inputTokens);
      cost.add(
        ((c.inputTokens - cached) * price.input +
          cached * price.cachedInput +
          c.outputTokens * price.output) /
          1e6,
      );
    }

    const helper = await tm.collect();
    const hand = await byHand.collect();
    const points = (s: typeof helper, name: string) =>
      (s.metric(name)?.points ?? []).map(({ attributes: _attributes, scope: _scope, ...data }) => data);
    for (const name of ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage', 'llm.client.cost']) {
      expect(points(helper, name), name).toEqual(points(hand, name));
      expect(points(helper, name).length, name).toBeGreaterThan(0);
    }
    expect(helper.histogram('gen_ai.client.operation.duration')?.count).toBe(10);
  });

  it('records a failure with error.type on the duration and no tokens', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'anthropic' });
    llm.record({ model: 'claude-sonnet-4-5', durationSeconds: 0.05, error: new RateLimitError('429') });
    const s = await tm.collect();
    expect(s.histogram('gen_ai.client.operation.duration', { 'error.type': 'RateLimitError' })?.count).toBe(
      1,
    );
    expect(s.histogram('gen_ai.client.token.usage')?.count ?? 0).toBe(0);
  });

  it('bounds model names and records unknown operation names as _OTHER', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai', models: ['gpt-4o'] });
    llm.record({ model: 'my-finetune-7f3a', durationSeconds: 1, operation: 'summarize' });
    const s = await tm.collect();
    expect(
      s.histogram('gen_ai.client.operation.duration', {
        'gen_ai.request.model': '_OTHER',
        'gen_ai.operation.name': '_OTHER',
      })?.count,
    ).toBe(1);
  });

  it('rejects a bad price table and a missing provider at creation', () => {
    const { tm } = setup();
    const bad = errorOf(() =>
      createLlmMetrics({
        meter: tm.meter,
        provider: 'openai',
        prices: { openai: { 'gpt-4o': { input: -1 } as never } },
      }),
    );
    expect(bad.problems.map((p) => [p.code, p.source])).toEqual([
      ['ERR_INVALID_PRICES', 'createLlmMetrics.prices.openai.gpt-4o.input'],
      ['ERR_INVALID_PRICES', 'createLlmMetrics.prices.openai.gpt-4o.output'],
    ]);
    expect(errorOf(() => createLlmMetrics({ meter: tm.meter } as never)).code).toBe('ERR_INVALID_STRING');
  });
});

describe('createLlmMetrics().wrap', () => {
  it('reads usage from recorded OpenAI and Anthropic responses and returns them unchanged', async () => {
    const { tm, clock } = setup();
    const openai = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai', prices: PRICES });
    const anthropic = createLlmMetrics({ meter: tm.meter, clock, provider: 'anthropic', prices: PRICES });
    const chat = fixture('openai-chat.json');
    expect(
      await openai.wrap(
        async () => {
          clock.advance(700);
          return chat;
        },
        { model: 'gpt-4o' },
      ),
    ).toBe(chat);
    await openai.wrap(Promise.resolve(fixture('openai-responses.json')), { model: 'gpt-4.1' });
    await anthropic.wrap(() => fixture('anthropic.json'), { model: 'claude-sonnet-4-5' });
    const s = await tm.collect();
    const tokens = (model: string, type: string) =>
      s.histogram('gen_ai.client.token.usage', { 'gen_ai.response.model': model, 'gen_ai.token.type': type })
        ?.sum;
    expect(tokens('gpt-4o-2024-08-06', 'input')).toBe(1200);
    expect(tokens('gpt-4.1-2025-04-14', 'output')).toBe(52);
    expect(tokens('claude-sonnet-4-5-20250929', 'input')).toBe(2050);
    expect(
      s.histogram('gen_ai.client.operation.duration', { 'gen_ai.response.model': 'gpt-4o-2024-08-06' })?.sum,
    ).toBe(0.7);
    expect(s.counter('llm.client.cost', { 'gen_ai.provider.name': 'anthropic' })).toBeCloseTo(
      (50 * 3 + 2000 * 0.3 + 120 * 15) / 1e6,
      12,
    );
  });

  it('records duration only for a response without usage', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai', prices: PRICES });
    await llm.wrap(async () => ({ choices: [] }), { model: 'gpt-4o' });
    const s = await tm.collect();
    expect(s.histogram('gen_ai.client.operation.duration')?.count).toBe(1);
    expect(s.histogram('gen_ai.client.token.usage')?.count ?? 0).toBe(0);
    expect(s.counter('llm.client.cost') ?? 0).toBe(0);
  });

  it('rethrows a rejection unchanged and records its error.type, sync throws too', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai' });
    const err = new RateLimitError('429');
    await expect(
      llm.wrap(async () => {
        throw err;
      }),
    ).rejects.toBe(err);
    await expect(
      llm.wrap(() => {
        throw err;
      }),
    ).rejects.toBe(err);
    const s = await tm.collect();
    expect(s.histogram('gen_ai.client.operation.duration', { 'error.type': 'RateLimitError' })?.count).toBe(
      2,
    );
  });
});

describe('createLlmMetrics().wrapStream', () => {
  it('measures time to first chunk and between chunks with a test clock, and reads the streamed usage', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai' });
    const chunks = fixture('openai-chat-stream.jsonl') as unknown[];
    const got = await drain(
      llm.wrapStream(() => paced(clock, chunks, [300, 20, 40, 30, 10]), { model: 'gpt-4o-mini' }),
    );
    expect(got).toEqual(chunks);
    const s = await tm.collect();
    const ttfc = s.histogram('gen_ai.client.operation.time_to_first_chunk');
    expect([ttfc?.count, ttfc?.sum, ttfc?.bucket(0.16), ttfc?.bucket(0.32)]).toEqual([1, 0.3, 0, 1]);
    const per = s.histogram('gen_ai.client.operation.time_per_output_chunk');
    expect([per?.count, per?.bucket(0.02), per?.bucket(0.04)]).toEqual([4, 2, 4]);
    expect(per?.sum).toBeCloseTo(0.1, 12);
    expect(
      s.histogram('gen_ai.client.operation.duration', { 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18' })
        ?.sum,
    ).toBe(0.4);
    expect(s.histogram('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' })?.sum).toBe(300);
  });

  it('reads Responses API and Anthropic stream events', async () => {
    const { tm, clock } = setup();
    const openai = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai' });
    const anthropic = createLlmMetrics({ meter: tm.meter, clock, provider: 'anthropic' });
    await drain(openai.wrapStream(paced(clock, fixture('openai-responses-stream.jsonl') as unknown[], [])));
    await drain(
      anthropic.wrapStream(Promise.resolve(paced(clock, fixture('anthropic-stream.jsonl') as unknown[], []))),
    );
    const s = await tm.collect();
    const out = (provider: string) =>
      s.histogram('gen_ai.client.token.usage', {
        'gen_ai.provider.name': provider,
        'gen_ai.token.type': 'output',
      })?.sum;
    expect(out('openai')).toBe(11);
    expect(out('anthropic')).toBe(15);
  });

  it('records a stream that errors midway with error.type and passes the error on unchanged', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'anthropic' });
    const events = fixture('anthropic-stream.jsonl') as unknown[];
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const e of llm.wrapStream(paced(clock, events, [100, 50, 50], 3))) seen.push(e);
      })(),
    ).rejects.toBeInstanceOf(RateLimitError);
    expect(seen).toHaveLength(3);
    const s = await tm.collect();
    expect(s.histogram('gen_ai.client.operation.duration', { 'error.type': 'RateLimitError' })?.sum).toBe(
      0.2,
    );
    expect(
      s.histogram('gen_ai.client.operation.time_to_first_chunk', { 'error.type': 'RateLimitError' })?.sum,
    ).toBe(0.1);
    // message_start was seen: its input usage is recorded, nothing guessed for the output.
    expect(s.histogram('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' })?.sum).toBe(125);
  });

  it('records a stream the consumer leaves early, once', async () => {
    const { tm, clock } = setup();
    const llm = createLlmMetrics({ meter: tm.meter, clock, provider: 'openai' });
    for await (const _ of llm.wrapStream(paced(clock, [1, 2, 3], [10, 10, 10]))) break;
    const s = await tm.collect();
    expect(s.histogram('gen_ai.client.operation.duration')?.count).toBe(1);
    expect(
      s.histogram('gen_ai.client.operation.duration', { 'error.type': 'RateLimitError' }),
    ).toBeUndefined();
  });
});
