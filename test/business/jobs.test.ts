import { describe, expect, it } from 'vitest';
import { createJobMetrics } from '../../src/business/jobs.js';
import { errorOf, setup, tick } from './support.js';

class MailboxFullError extends Error {}

describe('createJobMetrics', () => {
  it('records a successful sync job: completed, duration in its bucket, active back to 0', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    const result = jobs.track('report.build', () => {
      clock.advance(1500);
      return 42;
    });
    expect(result).toBe(42);
    const s = await tm.collect();
    expect(s.counter('jobs.completed', { 'job.type': 'report.build', 'job.outcome': 'success' })).toBe(1);
    const d = s.histogram('jobs.duration', { 'job.type': 'report.build', 'job.outcome': 'success' });
    expect(d?.count).toBe(1);
    expect(d?.sum).toBe(1.5);
    expect(d?.bucket(1)).toBe(0);
    expect(d?.bucket(2.5)).toBe(1);
    expect(s.gauge('jobs.active', { 'job.type': 'report.build' })).toBe(0);
  });

  it('counts an async job as active until it settles', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    let finish!: () => void;
    const running = jobs.track('email.send', () => new Promise<void>((resolve) => (finish = resolve)));
    expect((await tm.collect()).gauge('jobs.active', { 'job.type': 'email.send' })).toBe(1);
    clock.advance(250);
    finish();
    await running;
    const s = await tm.collect();
    expect(s.gauge('jobs.active', { 'job.type': 'email.send' })).toBe(0);
    expect(s.histogram('jobs.duration', { 'job.type': 'email.send' })?.sum).toBe(0.25);
  });

  it('records a failure by error.type and rethrows the original error, sync and async', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    const boom = new MailboxFullError('full');
    expect(() =>
      jobs.track('email.send', () => {
        throw boom;
      }),
    ).toThrow(boom);
    await expect(jobs.track('email.send', async () => Promise.reject(boom))).rejects.toBe(boom);
    const s = await tm.collect();
    expect(s.counter('jobs.failures', { 'job.type': 'email.send', 'error.type': 'MailboxFullError' })).toBe(
      2,
    );
    expect(s.counter('jobs.completed', { 'job.type': 'email.send', 'job.outcome': 'failure' })).toBe(2);
    expect(s.counter('jobs.completed', { 'job.outcome': 'success' })).toBe(0);
    expect(s.gauge('jobs.active', { 'job.type': 'email.send' })).toBe(0);
  });

  it('records an AbortError as cancelled, not as a failure', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    const controller = new AbortController();
    controller.abort();
    await expect(
      jobs.track('sync', async () => {
        controller.signal.throwIfAborted();
      }),
    ).rejects.toThrow();
    const s = await tm.collect();
    expect(s.counter('jobs.completed', { 'job.outcome': 'cancelled' })).toBe(1);
    expect(s.counter('jobs.failures')).toBeUndefined();
  });

  it('ends a manual run once: succeed, fail and cancel, later calls ignored', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    const a = jobs.start('import');
    const b = jobs.start('import');
    const c = jobs.start('import');
    expect((await tm.collect()).gauge('jobs.active', { 'job.type': 'import' })).toBe(3);
    clock.advance(2000);
    a.succeed();
    a.fail(new Error('late'));
    b.fail(new TypeError('bad row'));
    c.cancel();
    c.succeed();
    const s = await tm.collect();
    expect(s.gauge('jobs.active', { 'job.type': 'import' })).toBe(0);
    for (const outcome of ['success', 'failure', 'cancelled'])
      expect(s.counter('jobs.completed', { 'job.outcome': outcome })).toBe(1);
    expect(s.counter('jobs.failures', { 'error.type': 'TypeError' })).toBe(1);
    expect(s.histogram('jobs.duration')?.sum).toBe(6);
  });

  it('records through a bound job type into the same series as track(jobType)', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    const emails = jobs.bind('email.send');
    emails.track(() => clock.advance(100));
    emails.start({ attempt: 2 }).succeed();
    jobs.track('email.send', () => undefined);
    expect(jobs.bind('email.send')).toBe(emails);
    const s = await tm.collect();
    expect(s.counter('jobs.completed', { 'job.type': 'email.send', 'job.outcome': 'success' })).toBe(3);
    expect(s.counter('jobs.retries', { 'job.type': 'email.send' })).toBe(1);
    expect(s.histogram('jobs.duration', { 'job.type': 'email.send' })?.sum).toBe(0.1);
  });

  it('records the queue wait from the enqueue time and counts retries', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    jobs.track('email.send', () => undefined, { enqueuedAt: Date.now() - 40_000, attempt: 3 });
    jobs.start('email.send', { enqueuedAt: new Date(Date.now() + 5000), attempt: 1 }).succeed();
    const s = await tm.collect();
    const wait = s.histogram('jobs.queue.wait', { 'job.type': 'email.send' });
    expect(wait?.count).toBe(2);
    expect(wait?.bucket(0.01)).toBe(1); // a future enqueue time (clock skew) counts as 0
    expect(wait?.bucket(30)).toBe(1);
    expect(wait?.bucket(60)).toBe(2);
    expect(s.counter('jobs.retries', { 'job.type': 'email.send' })).toBe(1);
  });

  it('bounds job types: past the allow-list they are _OTHER, counted as overflow', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock, jobTypes: ['email.send'] });
    for (let i = 0; i < 50; i++) jobs.track(`user-${i}`, () => undefined);
    jobs.track('email.send', () => undefined);
    const s = await tm.collect();
    expect(s.counter('jobs.completed', { 'job.type': '_OTHER' })).toBe(50);
    expect(s.counter('jobs.completed', { 'job.type': 'email.send' })).toBe(1);
    expect(s.points('jobs.completed', { 'job.outcome': 'success' })).toHaveLength(2);
    expect(s.counter('omb.instrument.problems', { 'error.type': 'overflow' })).toBe(50);
  });

  it('caps job types at maxValues without an allow-list', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock, maxValues: 3 });
    for (let i = 0; i < 10; i++) jobs.track(`t${i}`, () => undefined);
    const s = await tm.collect();
    const types = s
      .points('jobs.completed', { 'job.outcome': 'success' })
      .map((p) => p.attributes['job.type']);
    expect(types.sort()).toEqual(['_OTHER', 't0', 't1', 't2']);
    expect(s.counter('jobs.completed', { 'job.type': '_OTHER' })).toBe(7);
  });

  it('never throws for bad input at record time', async () => {
    const { tm, clock } = setup();
    const jobs = createJobMetrics({ meter: tm.meter, clock });
    expect(() =>
      jobs.track(undefined as unknown as string, () => 1, { enqueuedAt: 'yesterday' as unknown as number }),
    ).not.toThrow();
    await tick();
    expect((await tm.collect()).counter('jobs.completed', { 'job.type': '_OTHER' })).toBe(1);
  });

  it('rejects bad options at creation with codes', () => {
    const { tm } = setup();
    expect(errorOf(() => createJobMetrics({ meter: tm.meter, maxValues: 0 })).code).toBe('ERR_INVALID_LIMIT');
    expect(errorOf(() => createJobMetrics({ meter: tm.meter, jobTypes: 'a' as never })).code).toBe(
      'ERR_INVALID_CONFIG',
    );
    expect(errorOf(() => createJobMetrics({ meter: tm.meter, typo: 1 } as never)).code).toBe(
      'ERR_UNKNOWN_OPTION',
    );
    expect(errorOf(() => createJobMetrics({ meter: {} as never })).code).toBe('ERR_INVALID_CONFIG');
  });

  it('needs a meter: initMeter() first, or one passed', () => {
    expect(errorOf(() => createJobMetrics()).code).toBe('ERR_BUSINESS_NO_METER');
  });
});
