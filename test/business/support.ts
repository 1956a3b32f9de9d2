import { readFileSync } from 'node:fs';
import { afterEach, vi } from 'vitest';
import { MetricsError } from '../../src/errors.js';
import { createTestClock, createTestMeter, type TestClock, type TestMeter } from '../../src/testing/index.js';

const open: TestMeter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((tm) => tm.shutdown()));
});

/** A test meter (shut down after the test) and a manual clock for the helper under test. */
export function setup(): { tm: TestMeter; clock: TestClock } {
  const tm = createTestMeter();
  open.push(tm);
  return { tm, clock: createTestClock() };
}

/** The MetricsError `fn` throws. */
export function errorOf(fn: () => unknown): MetricsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MetricsError) return err;
    throw err;
  }
  throw new Error('expected a MetricsError');
}

/** Resolves after `ms` of the test clock have been advanced, for code awaiting between ticks. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A recorded response (`.json`) or the events of a recorded stream (`.jsonl`), from test/fixtures/llm/. */
export function fixture(name: string): unknown {
  const text = readFileSync(new URL(`../fixtures/llm/${name}`, import.meta.url), 'utf8');
  return name.endsWith('.jsonl')
    ? text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
    : JSON.parse(text);
}
