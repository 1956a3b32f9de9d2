import type { ExponentialHistogram } from '@opentelemetry/sdk-metrics';
import { lowerBound } from '../http/exponential.js';

/**
 * Most classic buckets an exponential histogram is served with in the text formats (plus `+Inf` and the zero
 * bucket). Its scale is lowered (adjacent buckets merged in pairs, as the SDK's own downscaling does) until its
 * populated range fits, and never served finer than {@link MAX_CLASSIC_SCALE}.
 */
export const MAX_CLASSIC_BUCKETS = 40;
/** Finest scale served as classic buckets: 3, buckets 2^(1/8) ≈ 9 % wide. */
export const MAX_CLASSIC_SCALE = 3;

/**
 * An exponential histogram as classic buckets, for the text formats (they have no native histograms): the
 * upper bounds (without `+Inf`) and each bucket's own count. Bucket `j` at scale `s` holds
 * (2^(j·2^-s), 2^((j+1)·2^-s)], so its upper bound is an exact `le`: the counts are not estimated, only merged.
 * To keep the `le` set small and stable across scrapes, the scale is lowered to at most
 * {@link MAX_CLASSIC_SCALE} and further until the populated range fits in {@link MAX_CLASSIC_BUCKETS}
 * (lowering by one merges neighbours in pairs). Negative buckets come first (bound −2^(j·2^-s)), then the zero
 * bucket (`le="0"`) when it holds anything, then the positive ones.
 */
export function classicBuckets(h: ExponentialHistogram): { bounds: number[]; counts: number[] } {
  const pos = populated(h.positive);
  const neg = populated(h.negative);
  let scale = Math.min(h.scale, MAX_CLASSIC_SCALE);
  const span = (r: { lo: number; hi: number } | undefined, shift: number) =>
    r === undefined ? 0 : (r.hi >> shift) - (r.lo >> shift) + 1;
  while (scale > -10 && span(pos, h.scale - scale) + span(neg, h.scale - scale) > MAX_CLASSIC_BUCKETS)
    scale--;
  const shift = h.scale - scale;
  const bounds: number[] = [];
  const counts: number[] = [];
  if (neg !== undefined) {
    // Most negative first: bucket j holds values in [−2^((j+1)·2^-s), −2^(j·2^-s)).
    for (let j = neg.hi >> shift; j >= neg.lo >> shift; j--) {
      bounds.push(-lowerBound(j, scale));
      counts.push(0);
    }
    const top = neg.hi >> shift;
    neg.counts.forEach((c, i) => {
      counts[top - ((h.negative.offset + i) >> shift)]! += c;
    });
  }
  if (h.zeroCount > 0) {
    bounds.push(0);
    counts.push(h.zeroCount);
  }
  if (pos !== undefined) {
    const first = counts.length;
    const low = pos.lo >> shift;
    for (let j = low; j <= pos.hi >> shift; j++) {
      bounds.push(lowerBound(j + 1, scale));
      counts.push(0);
    }
    pos.counts.forEach((c, i) => {
      counts[first + ((h.positive.offset + i) >> shift) - low]! += c;
    });
  }
  return { bounds, counts };
}

/** Lowest and highest absolute index with a non-zero count; `undefined` when every count is zero. */
function populated(
  buckets: ExponentialHistogram['positive'],
): { lo: number; hi: number; counts: number[] } | undefined {
  const counts = buckets.bucketCounts;
  let lo = 0;
  while (lo < counts.length && counts[lo] === 0) lo++;
  if (lo === counts.length) return undefined;
  let hi = counts.length - 1;
  while (counts[hi] === 0) hi--;
  return { lo: buckets.offset + lo, hi: buckets.offset + hi, counts };
}
