import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { createRequire } from 'node:module';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  type Span,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exemplar, exemplarsOf } from '../src/exemplars.js';
import { tracingRegistered } from '../src/http/exemplar-capture.js';
import { bucketIndex } from '../src/http/exponential.js';
import { createInstruments, createLlmMetrics, type MetricsHandle } from '../src/index.js';
import { createTestMeter } from '../src/testing/index.js';
import { close, collect, eventually, listen, startMeter } from './http/helpers.js';

/** The smallest real context manager for Node: the active context follows async continuations. */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const sampled = new TracerProvider({ sampler: new AlwaysOnSampler() }).getTracer('test');
const unsampled = new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('test');

/** Runs `fn` with a new span of `tracer` active; returns what `fn` returns and the span. */
function inSpan<T>(tracer = sampled, fn: (span: Span) => T): T {
  return tracer.startActiveSpan('work', (span) => {
    try {
      return fn(span);
    } finally {
      span.end();
    }
  });
}

function ids(span: Span) {
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

async function pointsOf(instruments: ReturnType<typeof createInstruments>, name: string) {
  const { resourceMetrics } = await instruments.producer().collect();
  const metric = resourceMetrics.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
}

describe('exemplars', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncContextManager());
  });
  afterAll(() => {
    context.disable();
  });

  it('notices tracing set up after a series exists at the next collection', async () => {
    context.disable();
    const instruments = createInstruments();
    const h = instruments.histogram('late_seconds', { unit: 's' }).bind();
    await instruments.producer().collect(); // tracing is off here
    context.setGlobalContextManager(new AsyncContextManager());
    inSpan(sampled, () => h.observe(1)); // no new series, no collection yet: not noticed
    expect(exemplarsOf((await pointsOf(instruments, 'late_seconds'))[0]!)).toBeUndefined();
    const span = inSpan(sampled, (s) => {
      h.observe(2);
      return s;
    });
    expect(exemplarsOf((await pointsOf(instruments, 'late_seconds'))[0]!)).toEqual([
      expect.objectContaining({ value: 2, ...ids(span) }),
    ]);
  });

  it('sees a registered context manager, and none once it is gone', () => {
    expect(tracingRegistered()).toBe(true);
    context.disable();
    expect(tracingRegistered()).toBe(false);
    context.setGlobalContextManager(new AsyncContextManager());
  });

  describe('on the instruments API', () => {
    it('keeps the latest sampled observation per bucket, with its span’s ids', async () => {
      const instruments = createInstruments();
      const h = instruments.histogram('work_seconds', { unit: 's', buckets: [1, 10] });
      const first = inSpan(sampled, (span) => {
        h.observe(0.5);
        return span;
      });
      const second = inSpan(sampled, (span) => {
        h.observe(5);
        return span;
      });
      const third = inSpan(sampled, (span) => {
        h.observe(0.7); // replaces the first in bucket (…, 1]
        return span;
      });
      h.observe(20); // no span: the +Inf bucket gets none
      const [point] = await pointsOf(instruments, 'work_seconds');
      const exemplars = exemplarsOf(point!) as Exemplar[];
      expect(exemplars.map((e) => e.value)).toEqual([0.7, 5]);
      expect(exemplars[0]).toMatchObject(ids(third));
      expect(exemplars[1]).toMatchObject(ids(second));
      expect(exemplars.some((e) => e.spanId === first.spanContext().spanId)).toBe(false);
      expect(exemplars[0]!.timestamp).toBeGreaterThan(Date.now() - 60_000);
      expect(exemplars[0]!.timestamp).toBeLessThanOrEqual(Date.now() + 1);
    });

    it('keeps none for unsampled spans or without a span', async () => {
      const instruments = createInstruments();
      const h = instruments.histogram('quiet_seconds', { unit: 's' });
      const c = instruments.counter('quiet_total');
      inSpan(unsampled, () => {
        h.observe(1);
        c.inc();
      });
      h.observe(2);
      c.inc();
      // A span context that is sampled but invalid (all-zero ids) is no trace link either.
      const invalid = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: TraceFlags.SAMPLED };
      context.with(trace.setSpanContext(context.active(), invalid), () => {
        h.observe(3);
        c.inc();
      });
      for (const name of ['quiet_seconds', 'quiet_total']) {
        const [point] = await pointsOf(instruments, name);
        expect(point).toBeDefined();
        expect(exemplarsOf(point!)).toBeUndefined();
      }
    });

    it('gives a delta reader only the exemplars of its interval', async () => {
      const instruments = createInstruments();
      const h = instruments.histogram('delta_seconds', { unit: 's', buckets: [1, 10] });
      const c = instruments.counter('delta_total');
      const delta = instruments.producer(AggregationTemporality.DELTA);
      const points = async () => {
        const { resourceMetrics } = await delta.collect();
        return resourceMetrics.scopeMetrics[0]!.metrics.map((m) => exemplarsOf(m.dataPoints[0]!));
      };
      inSpan(sampled, () => {
        h.observe(0.5);
        c.inc();
      });
      expect((await points()).map((e) => e?.length)).toEqual([1, 1]);
      await new Promise((r) => setTimeout(r, 5)); // the next interval starts after this collection
      const later = inSpan(sampled, (span) => {
        h.observe(5);
        return span;
      });
      c.inc(); // no span: the counter's interval has no exemplar
      const [histogram, counter] = await points();
      expect(histogram).toEqual([expect.objectContaining({ value: 5, ...ids(later) })]);
      expect(counter).toBeUndefined();
    });

    it('keeps the latest on a counter', async () => {
      const instruments = createInstruments();
      const c = instruments.counter('jobs_total');
      inSpan(sampled, () => c.inc());
      const last = inSpan(sampled, (span) => {
        c.add(3);
        return span;
      });
      const [point] = await pointsOf(instruments, 'jobs_total');
      expect(exemplarsOf(point!)).toEqual([expect.objectContaining({ value: 3, ...ids(last) })]);
    });

    it('keeps one per exponential bucket on a bound timer, in value order', async () => {
      const metrics = createTestMeter({ histogramAggregation: 'exponential' });
      const timer = metrics.instruments.timer('step_seconds').bind();
      const spans = [0.004, 2, 0.003].map((v) =>
        inSpan(sampled, (span) => {
          timer.observe(v);
          return span;
        }),
      );
      const { resourceMetrics } = await metrics.instruments.producer().collect();
      const metric = resourceMetrics.scopeMetrics[0]!.metrics[0]!;
      expect(metric.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
      const exemplars = exemplarsOf(metric.dataPoints[0]!)!;
      // 0.003 and 0.004 fall in different buckets at the scale two octaves apart allow; 2 in a third.
      expect(exemplars.map((e) => e.value)).toEqual([0.003, 0.004, 2]);
      expect(exemplars.map((e) => e.spanId)).toEqual([2, 0, 1].map((i) => spans[i]!.spanContext().spanId));
      await metrics.shutdown();
    });
  });

  describe('on the business helpers', () => {
    it('keeps the sampled span of an LLM call on its duration, token and cost series', async () => {
      // record() writes a common call straight to its series when no exemplar can be wanted; with tracing on
      // it must go through the bound instruments, which keep them.
      const metrics = createTestMeter();
      const llm = createLlmMetrics({
        meter: metrics.meter,
        provider: 'openai',
        prices: { openai: { 'gpt-4o': { input: 2.5, output: 10 } } },
      });
      const span = inSpan(sampled, (s) => {
        llm.record({ model: 'gpt-4o', durationSeconds: 0.5, inputTokens: 100, outputTokens: 20 });
        return s;
      });
      const { resourceMetrics } = await metrics.instruments.producer().collect();
      const kept = resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .flatMap((m) => m.dataPoints.map((p) => [m.descriptor.name, exemplarsOf(p)?.map((e) => e.value)]));
      expect(kept).toEqual([
        ['gen_ai.client.operation.duration', [0.5]],
        ['gen_ai.client.token.usage', [100]],
        ['gen_ai.client.token.usage', [20]],
        ['llm.client.cost', [(100 * 2.5 + 20 * 10) / 1e6]],
      ]);
      expect(exemplarsOf(resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!)?.[0]).toEqual(
        expect.objectContaining(ids(span)),
      );
      await metrics.shutdown();
    });
  });

  describe('on the HTTP metrics', () => {
    let handle: MetricsHandle;
    let server: http.Server;
    let base: string;

    beforeAll(async () => {
      handle = await startMeter({ histogramAggregation: 'exponential' });
      server = http.createServer((req, res) => {
        if (req.url === '/traced') {
          // What instrumentation-http does: the handler runs with the request's span active.
          inSpan(sampled, (span) => {
            res.setHeader('x-trace', `${span.spanContext().traceId}/${span.spanContext().spanId}`);
            setTimeout(() => res.end('ok'), 5);
          });
        } else if (req.url === '/unsampled') {
          inSpan(unsampled, () => res.end('ok'));
        } else {
          res.end('ok');
        }
      });
      base = await listen(server);
    });
    afterAll(async () => {
      await close(server);
      await handle.shutdown();
    });
    const durationPoints = async (name: string) =>
      ((await collect()).get(name) as MetricData | undefined)?.dataPoints ?? [];

    it('links a server duration to the span active in the handler, in its exponential bucket', async () => {
      const res = await fetch(`${base}/traced`);
      await res.text();
      const [traceId, spanId] = res.headers.get('x-trace')!.split('/');
      const exemplar = await eventually(async () => {
        const all = (await durationPoints('http.server.request.duration')).flatMap(
          (p) => exemplarsOf(p) ?? [],
        );
        const found = all.find((e) => e.spanId === spanId);
        expect(found).toBeDefined();
        return found!;
      });
      expect(exemplar.traceId).toBe(traceId);
      expect(exemplar.value).toBeGreaterThan(0.004);
      const metric = (await collect()).get('http.server.request.duration')!;
      expect(metric.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
      const point =
        metric.dataPoints.find((p) => exemplarsOf(p)?.includes(exemplar)) ?? metric.dataPoints[0]!;
      const { scale, positive } = point.value as ExponentialHistogram;
      expect(positive.bucketCounts[bucketIndex(exemplar.value, scale) - positive.offset]).toBeGreaterThan(0);
    });

    it('keeps none for requests without a sampled span', async () => {
      await (await fetch(`${base}/unsampled`)).text();
      await (await fetch(`${base}/plain`)).text();
      await eventually(async () => {
        const all = (await durationPoints('http.server.request.duration')).flatMap(
          (p) => exemplarsOf(p) ?? [],
        );
        // Only the traced request of the test above left one.
        expect(all).toHaveLength(1);
        const total = (await collect())
          .get('http.server.request.duration')!
          .dataPoints.reduce((n, p) => n + (p.value as { count: number }).count, 0);
        expect(total).toBeGreaterThanOrEqual(3);
      });
    });

    it('links a server duration to instrumentation-http’s span of the request', async () => {
      const provider = new TracerProvider({ sampler: new AlwaysOnSampler() });
      const instrumentation = new HttpInstrumentation();
      instrumentation.setTracerProvider(provider);
      instrumentation.enable();
      const require = createRequire(import.meta.url);
      const patched = require('node:http') as typeof http; // the require hook patches it here
      const seen: string[] = [];
      const app = patched.createServer((_req, res) => {
        // The request's span, as the handler sees it: the exemplar must carry its ids.
        const sc = trace.getSpan(context.active())?.spanContext();
        if (sc) seen.push(sc.spanId);
        setTimeout(() => res.end('ok'), 5);
      });
      const url = await listen(app);
      try {
        await (await fetch(`${url}/instrumented`)).text();
        expect(seen).toHaveLength(1);
        await eventually(async () => {
          const all = (await durationPoints('http.server.request.duration')).flatMap(
            (p) => exemplarsOf(p) ?? [],
          );
          expect(all.map((e) => e.spanId)).toContain(seen[0]);
        });
      } finally {
        instrumentation.disable();
        await close(app);
        await provider.shutdown();
      }
    });

    it('links a client duration to the span active when the request was made', async () => {
      const span = await sampled.startActiveSpan('call', async (s) => {
        await (await fetch(`${base}/plain`)).text();
        s.end();
        return s;
      });
      await eventually(async () => {
        const all = (await durationPoints('http.client.request.duration')).flatMap(
          (p) => exemplarsOf(p) ?? [],
        );
        expect(all).toContainEqual(expect.objectContaining(ids(span)));
      });
    });
  });
});
