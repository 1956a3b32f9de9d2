/**
 * Estimates the `q`-quantile of an explicit-bucket histogram the way Prometheus's `histogram_quantile()` does, so a
 * test sees the number a dashboard would show:
 *
 * - the rank `q × count` is located in the first bucket whose cumulative count reaches it, and the value is
 *   interpolated linearly between that bucket's lower and upper bound (observations are assumed to be spread
 *   evenly inside a bucket);
 * - the lowest bucket's lower bound is `0` when its upper bound is positive; when it is `<= 0`, its upper bound is
 *   returned;
 * - a rank that falls in the `+Inf` bucket returns the highest finite boundary (the value is only known to be
 *   above it);
 * - an empty histogram, or one with no finite boundary, gives `NaN`.
 *
 * Unlike PromQL, which answers `-Inf`/`+Inf` for `q < 0`/`q > 1`, this throws `RangeError` for a `q` outside
 * `[0, 1]` or `NaN`: in a test, `quantile(99)` is a typo for `quantile(0.99)`.
 *
 * @param q the quantile, from 0 to 1 (0.5 is the median, 0.99 the 99th percentile).
 * @param boundaries the finite upper bounds, strictly increasing (OTel `buckets.boundaries`).
 * @param counts per-bucket counts, not cumulative, one more than `boundaries` (the last is the `+Inf` bucket).
 */
export function bucketQuantile(q: number, boundaries: readonly number[], counts: readonly number[]): number {
  if (typeof q !== 'number' || Number.isNaN(q) || q < 0 || q > 1) {
    throw new RangeError(`quantile must be between 0 and 1 (0.99, not 99), got ${String(q)}`);
  }
  if (boundaries.length === 0) return Number.NaN;
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return Number.NaN;

  const rank = q * total;
  let below = 0; // cumulative count of the buckets before `b`
  let b = 0;
  while (b < boundaries.length && below + (counts[b] ?? 0) < rank) {
    below += counts[b] ?? 0;
    b++;
  }
  if (b === boundaries.length) return boundaries[boundaries.length - 1]!;
  const upper = boundaries[b]!;
  if (b === 0 && upper <= 0) return upper;
  const lower = b === 0 ? 0 : boundaries[b - 1]!;
  // Same arithmetic as Prometheus (including 0/0 = NaN for q = 0 over an empty first bucket).
  return lower + (upper - lower) * ((rank - below) / (counts[b] ?? 0));
}
