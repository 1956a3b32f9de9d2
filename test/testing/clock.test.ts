import { describe, expect, it } from 'vitest';
import { createTestClock } from '../../src/testing/index.js';

describe('createTestClock', () => {
  it('starts where it is told and moves only when advanced', () => {
    const clock = createTestClock(42);
    expect(clock.now()).toBe(42);
    expect(clock.now()).toBe(42);
    expect(clock.advance(8)).toBe(50);
    expect(clock.advance(0)).toBe(50);
    expect(createTestClock().now()).toBe(0);
  });

  it('refuses to go backwards or to a non-finite time', () => {
    const clock = createTestClock();
    expect(() => clock.advance(-1)).toThrowErrorMatchingInlineSnapshot(
      `[RangeError: clock.advance: ms must be a finite number >= 0, got -1]`,
    );
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => createTestClock(Number.NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });
});
