export type { Clock, EndTimer } from '../clock.js';
export { startTimer, systemClock } from '../clock.js';
export type { HistogramExpectation, MatcherResult, MetricsMatchers } from './assertions.js';
export {
  assertCounter,
  assertGauge,
  assertHistogram,
  assertMetric,
  assertNoMetric,
  formatAttributes,
  metricsMatchers,
} from './assertions.js';
export type { TestClock } from './clock.js';
export { createTestClock } from './clock.js';
export type {
  ExpositionAssertions,
  ExpositionFamily,
  ExpositionSample,
  FamilyExpectation,
  LabelFilter,
} from './exposition.js';
export { expectExposition, parseExposition } from './exposition.js';
export { bucketQuantile } from './quantile.js';
export type {
  AttributeFilter,
  HistogramMetric,
  HistogramPoint,
  MetricKind,
  MetricsSnapshotData,
  NumberMetric,
  NumberPoint,
  SnapshotAttributes,
  SnapshotAttributeValue,
  SnapshotMetric,
} from './snapshot.js';
export {
  ExactAttributes,
  exactly,
  HistogramSummary,
  MetricsSnapshot,
  matchesAttributes,
  toSnapshot,
} from './snapshot.js';
export type { TestMeter, TestMeterOptions } from './test-meter.js';
export { createTestMeter } from './test-meter.js';
