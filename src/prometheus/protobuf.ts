/**
 * The Prometheus protobuf exposition: varint-length-delimited `io.prometheus.client.MetricFamily` messages
 * (prometheus/client_model `io/prometheus/client/metrics.proto`), the only format that carries native histograms.
 *
 * Hand-written rather than with protobufjs or @bufbuild/protobuf: a library builds one message object per
 * metric, bucket and label first and then encodes the tree, so it pays for the same exposition twice (objects,
 * then bytes) and cannot reuse anything between scrapes; it also adds a dependency and its import time to every
 * app. Here the label pairs of a series are encoded once and cached (as the text serializer caches label
 * strings), and every scrape writes straight into preallocated chunks. Measured with
 * `npm exec -- node bench/run.js prometheus-protobuf` (2026-12-02, 2-core VM shared with five other jobs, load
 * average 9–20, so absolute times are noisy; contenders interleaved): at 10k series this writer took 11.5–16.8 ms
 * against 27.8–32.3 ms for our text writer (1.7–2.8× faster, and a third of the bytes) and 159–172 ms for
 * protobufjs encoding the same families (9.5–15× slower); importing protobufjs costs 258–556 ms against
 * 44–47 ms for this module on that machine (docs/benchmarks.md).
 *
 * What is shared with the text formats (`PrometheusSerializer`): family grouping, names, the conflict rules and
 * the drop/overflow statistics (`families()`), label names and values (the text label string of a series, read
 * back into pairs, so both formats always agree), `target_info` (a gauge: protobuf has no info type) and scope
 * labels.
 *
 * What only this format has:
 * - exponential histograms as native histograms, by the OTel→Prometheus mapping: scale → schema, scales above
 *   8 downscaled to 8 by merging buckets, OTel bucket `i` (covering (base^i, base^(i+1)]) → Prometheus bucket
 *   `i + 1`, spans and delta-encoded counts (gaps of up to two empty buckets stay inside a span: cheaper than a
 *   new span), zero bucket, negative buckets. A scale below -4 (coarser than any schema) cannot be represented
 *   and is left out. An empty native histogram gets the Go client's zero threshold 2⁻¹²⁸: Prometheus 2.x tells
 *   native from classic by deltas, zero count or zero threshold, and would read an empty one as classic;
 * - `created_timestamp` on counters, histograms and summaries (the data point's start time);
 * - exemplars: on counters, on classic buckets (placed by value), and on native histograms twice — in the
 *   `exemplars` field (Prometheus ≥ 2.52 reads all of them) and, for older Prometheus which reads a native
 *   histogram's exemplars from its classic `bucket` entries (2.42: one per scrape), on one `+Inf` bucket carrying the
 *   latest exemplar (a `+Inf` bucket with the total count is a valid classic bucket, as client_golang does).
 *   With `nativeWithClassic`, classic buckets derived from the native ones are sent alongside and
 *   carry the exemplars instead.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type {
  DataPoint,
  ExponentialHistogram,
  Histogram,
  MetricData,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type Exemplar, exemplarsOf } from '../exemplars.js';
import { SUMMARY_SERIES, type SummaryMetricData } from '../instruments/summary.js';
import { ATTR_OTEL_METRIC_OVERFLOW, PROM_QUANTILE_LABEL, PROM_TARGET_INFO } from '../semconv.js';
import { countOverflow, drop, type ExpositionStats, isOverflowSeries } from './exposition-stats.js';
import type { FamilyMeta } from './family-meta.js';
import { labelString } from './labels.js';
import type { EscapingScheme } from './naming.js';
import type { WireFormat } from './negotiation.js';
import {
  BUCKET_COUNT,
  BUCKET_EXEMPLAR,
  BUCKET_UPPER_BOUND,
  COUNTER_CREATED,
  COUNTER_EXEMPLAR,
  encodePairs,
  FAMILY_HELP,
  FAMILY_METRIC,
  FAMILY_NAME,
  FAMILY_TYPE,
  FAMILY_UNIT,
  HISTOGRAM_BUCKET,
  HISTOGRAM_COUNT,
  HISTOGRAM_CREATED,
  HISTOGRAM_EXEMPLARS,
  HISTOGRAM_NEGATIVE_DELTA,
  HISTOGRAM_NEGATIVE_SPAN,
  HISTOGRAM_POSITIVE_DELTA,
  HISTOGRAM_POSITIVE_SPAN,
  HISTOGRAM_SCHEMA,
  HISTOGRAM_SUM,
  HISTOGRAM_ZERO_COUNT,
  HISTOGRAM_ZERO_THRESHOLD,
  METRIC_COUNTER,
  METRIC_GAUGE,
  METRIC_HISTOGRAM,
  METRIC_SUMMARY,
  ProtoWriter,
  QUANTILE_VALUE,
  SPAN_LENGTH,
  SPAN_OFFSET,
  SUMMARY_COUNT,
  SUMMARY_CREATED,
  SUMMARY_QUANTILE,
  SUMMARY_SUM,
  stringField,
  VALUE,
  writeExemplar,
  zigzag,
} from './proto-wire.js';
import { type Names, PrometheusSerializer, type ScopeBytes, type SerializerOptions } from './serializer.js';

export interface ProtobufSerializerOptions extends SerializerOptions {
  /**
   * In the protobuf format, send classic buckets (derived from the native buckets' boundaries) with every
   * native histogram, for Prometheus servers that also keep classic histograms (`scrape_classic_histograms`,
   * `always_scrape_classic_histograms`). Default `false`.
   */
  readonly nativeWithClassic?: boolean;
}

const TYPE_CODES = { counter: 0, gauge: 1, summary: 2, histogram: 4 } as const;

/** Native-histogram schemas Prometheus accepts: base 2^(2^-schema). */
const MIN_SCHEMA = -4;
const MAX_SCHEMA = 8;
/** client_golang's default zero threshold; marks an empty histogram as native for Prometheus 2.x. */
const EMPTY_ZERO_THRESHOLD = 2 ** -128;
/** Buckets between two populated ones up to which a span continues (each costs one delta byte). */
const MAX_SPAN_GAP = 2;
/** Points between pause points inside a family (see `chunks()`). */
const PAUSE_EVERY = 1024;
const PAUSE = Buffer.alloc(0);
// Upper bounds of encoded sizes, for `ensure()` before a metric is written: the fixed fields of a metric, one
// bucket (a message: tag, length up to 5 bytes, count, bound), one span, one delta, one quantile.
const METRIC_BYTES = 96;
const BUCKET_BYTES = 32;
const SPAN_BYTES = 20;
const DELTA_BYTES = 10;
const QUANTILE_BYTES = 24;

/** The label-pair caches of one name set: by stream position, by summary series, `target_info` by resource. */
interface PairCaches {
  readonly names: Names;
  readonly streams: WeakMap<object, StreamPairs>;
  readonly summaries: WeakMap<Attributes, Buffer>;
  readonly targetInfo: WeakMap<Resource, Buffer>;
}

/** A series' label pairs, encoded, by position in its stream (see the text serializer's `StreamLabels`). */
interface StreamPairs {
  attrs: Attributes[];
  pairs: Buffer[];
}

/**
 * Serializes a collection in the text formats (as {@link PrometheusSerializer}) and in the protobuf format.
 * One instance per endpoint.
 */
export class ProtobufSerializer extends PrometheusSerializer {
  private readonly classicWithNative: boolean;
  private readonly protoChunkSize: number;
  /** Label-pair caches per name set (one per escaping scheme in use; see the text serializer's `Names`). */
  private readonly pairCaches = new WeakMap<Names, PairCaches>();
  private readonly scopePairs = new WeakMap<ScopeBytes, Buffer>();
  private readonly headers = new WeakMap<FamilyMeta, { help: string; bytes: Buffer }>();
  // Scratch space for native buckets (Prometheus index, count), reused across series.
  private readonly index: number[] = [];
  private readonly count: number[] = [];
  private readonly negIndex: number[] = [];
  private readonly negCount: number[] = [];
  private readonly les: number[] = [];
  private readonly perBucket: number[] = [];

  constructor(options: ProtobufSerializerOptions = {}) {
    super(options);
    this.classicWithNative = options.nativeWithClassic ?? false;
    this.protoChunkSize = Math.max(1024, options.chunkSize ?? 65536);
  }

  /**
   * As {@link PrometheusSerializer.chunks}; for `protobuf`, the delimited messages. A family is written whole
   * before its bytes are handed out (its length comes first), so inside a large family this yields empty
   * chunks every few thousand series: pause points where the caller may give the event loop a turn.
   */
  override *chunks(
    resourceMetrics: ResourceMetrics,
    format: WireFormat = 'text',
    stats?: ExpositionStats,
    escaping: EscapingScheme = 'underscores',
  ): Generator<Buffer, void, undefined> {
    if (format !== 'protobuf') {
      yield* super.chunks(resourceMetrics, format, stats, escaping);
      return;
    }
    const names = this.namesFor(escaping, resourceMetrics.resource);
    let caches = this.pairCaches.get(names);
    if (caches === undefined) {
      caches = { names, streams: new WeakMap(), summaries: new WeakMap(), targetInfo: new WeakMap() };
      this.pairCaches.set(names, caches);
    }
    const w = new ProtoWriter(this.protoChunkSize);
    let series = 0;
    if (this.targetInfo) {
      const message = this.targetInfoMessage(resourceMetrics.resource, caches);
      w.ensure(message.length);
      w.bytes(message);
      series++;
    }
    for (const family of this.families(resourceMetrics, stats, names, true).values()) {
      if (family.points === 0) continue;
      w.beginFamily(this.familyHeader(family.meta, family.help));
      const meta = family.meta;
      let sincePause = 0;
      for (const { scope, metric } of family.members) {
        const scopePairs = this.scopePairsOf(scope);
        if (meta.type === 'summary') {
          series += this.writeSummaryMessage(w, scopePairs, metric as SummaryMetricData, caches, stats);
          continue;
        }
        const points = metric.dataPoints as DataPoint<number | Histogram | ExponentialHistogram>[];
        const cache = pairsFor(caches, metric, points.length);
        let overflowSeries = 0;
        let overflowMeasurements = 0;
        let invalid = 0;
        let unsupported = 0;
        for (let i = 0; i < points.length; i++) {
          const point = points[i]!;
          const { attributes } = point;
          const pairs =
            cache.attrs[i] === attributes ? cache.pairs[i]! : missPairs(caches, cache, i, attributes);
          let written: number;
          if (meta.native) {
            written = this.writeNative(w, scopePairs, pairs, point as DataPoint<ExponentialHistogram>);
            if (written === -1) {
              unsupported++;
              continue;
            }
          } else if (meta.type === 'histogram') {
            written = this.writeClassic(w, scopePairs, pairs, point as DataPoint<Histogram>);
          } else {
            written = writeNumberMetric(
              w,
              scopePairs,
              pairs,
              point as DataPoint<number>,
              meta.type === 'counter',
            );
          }
          if (written === 0) {
            invalid++;
            continue;
          }
          series += written;
          if (attributes[ATTR_OTEL_METRIC_OVERFLOW] === true && isOverflowSeries(attributes)) {
            overflowSeries++;
            if (meta.type === 'histogram') overflowMeasurements += (point.value as Histogram).count;
          }
          if (++sincePause === PAUSE_EVERY) {
            sincePause = 0;
            yield* w.take();
            yield PAUSE;
          }
        }
        if (unsupported > 0) {
          this.warnOnce(
            `scale:${metric.descriptor.name}`,
            `metric "${metric.descriptor.name}" has an exponential histogram with a scale below ${MIN_SCHEMA}, ` +
              'coarser than any Prometheus native-histogram schema; leaving those series out (allow more buckets ' +
              'for the instrument)',
          );
        }
        if (stats === undefined) continue;
        if (invalid > 0) drop(stats, metric, 'invalid_value', invalid);
        if (unsupported > 0) drop(stats, metric, 'unsupported_type', unsupported);
        if (overflowSeries > 0) countOverflow(stats, metric, overflowSeries, overflowMeasurements);
      }
      w.endFamily();
      yield* w.take();
    }
    if (stats) stats.series += series;
    w.flush();
    yield* w.take();
  }

  /** name, help, type and unit of a family, encoded once per help text. */
  private familyHeader(meta: FamilyMeta, help: string): Buffer {
    const cached = this.headers.get(meta);
    if (cached?.help === help) return cached.bytes;
    const unit =
      meta.unit !== '' && meta.name.replace(/_total$/, '').endsWith(`_${meta.unit}`) ? meta.unit : '';
    const fields = [stringField(FAMILY_NAME, meta.name)];
    if (help !== '') fields.push(stringField(FAMILY_HELP, help));
    fields.push(Buffer.from([FAMILY_TYPE, TYPE_CODES[meta.type]]));
    if (unit !== '') fields.push(stringField(FAMILY_UNIT, unit));
    const bytes = Buffer.concat(fields);
    this.headers.set(meta, { help, bytes });
    return bytes;
  }

  private targetInfoMessage(resource: Resource, caches: PairCaches): Buffer {
    let message = caches.targetInfo.get(resource);
    if (message === undefined) {
      const w = new ProtoWriter(1024);
      w.beginFamily(
        Buffer.concat([
          stringField(FAMILY_NAME, PROM_TARGET_INFO),
          stringField(FAMILY_HELP, 'Target metadata'),
          Buffer.from([FAMILY_TYPE, TYPE_CODES.gauge]),
        ]),
      );
      const pairs = encodePairs(
        labelString(resource.attributes, caches.names.labelNames, caches.names.translate),
      );
      w.ensure(METRIC_BYTES + pairs.length);
      const m = w.begin(FAMILY_METRIC);
      w.bytes(pairs);
      const g = w.begin(METRIC_GAUGE);
      w.double(VALUE, 1);
      w.end(g);
      w.end(m);
      w.endFamily();
      w.flush();
      message = Buffer.concat(w.take());
      caches.targetInfo.set(resource, message);
    }
    return message;
  }

  /**
   * One classic histogram series; returns its samples as Prometheus counts them (buckets, `+Inf`, `_sum`,
   * `_count`), or 0 when the sum is NaN or negative (left out, as in the text formats).
   */
  private writeClassic(w: ProtoWriter, scope: Buffer, pairs: Buffer, point: DataPoint<Histogram>): number {
    const h = point.value;
    if (h.sum !== undefined && !(h.sum >= 0)) return 0;
    const { boundaries, counts } = h.buckets;
    const exemplars = exemplarsOf(point);
    w.ensure(
      METRIC_BYTES +
        scope.length +
        pairs.length +
        (boundaries.length + 1) * BUCKET_BYTES +
        exemplarBytes(exemplars),
    );
    const m = w.metric(scope, pairs);
    const hm = w.begin(METRIC_HISTOGRAM);
    w.varintField(HISTOGRAM_COUNT, h.count);
    if (h.sum !== undefined) w.double(HISTOGRAM_SUM, h.sum);
    writeBuckets(w, boundaries, counts, h.count, exemplars);
    w.timestamp(HISTOGRAM_CREATED, point.startTime);
    w.end(hm);
    w.end(m);
    return boundaries.length + 1 + (h.sum === undefined ? 1 : 2);
  }

  /** One native histogram series; returns 1 (one native sample), 0 for a NaN sum, -1 for a scale below -4. */
  private writeNative(
    w: ProtoWriter,
    scope: Buffer,
    pairs: Buffer,
    point: DataPoint<ExponentialHistogram>,
  ): number {
    const h = point.value;
    if (h.scale < MIN_SCHEMA) return -1;
    if (h.sum !== undefined && Number.isNaN(h.sum)) return 0;
    const shift = Math.max(0, h.scale - MAX_SCHEMA);
    const schema = h.scale - shift;
    mergeBuckets(h.positive, shift, this.index, this.count);
    mergeBuckets(h.negative, shift, this.negIndex, this.negCount);
    const exemplars = exemplarsOf(point);
    const buckets = this.index.length + this.negIndex.length;
    let classic = 0;
    if (this.classicWithNative) classic = this.classicBounds(schema, h.zeroCount);
    w.ensure(
      METRIC_BYTES +
        scope.length +
        pairs.length +
        buckets * (SPAN_BYTES + 3 * DELTA_BYTES) +
        (classic + 1) * BUCKET_BYTES +
        2 * exemplarBytes(exemplars),
    );
    const m = w.metric(scope, pairs);
    const hm = w.begin(METRIC_HISTOGRAM);
    w.varintField(HISTOGRAM_COUNT, h.count);
    if (h.sum !== undefined) w.double(HISTOGRAM_SUM, h.sum);
    w.byte(HISTOGRAM_SCHEMA);
    w.varint(zigzag(schema));
    if (buckets === 0 && h.zeroCount === 0) w.double(HISTOGRAM_ZERO_THRESHOLD, EMPTY_ZERO_THRESHOLD);
    if (h.zeroCount > 0) w.varintField(HISTOGRAM_ZERO_COUNT, h.zeroCount);
    writeSpans(w, HISTOGRAM_NEGATIVE_SPAN, HISTOGRAM_NEGATIVE_DELTA, this.negIndex, this.negCount);
    writeSpans(w, HISTOGRAM_POSITIVE_SPAN, HISTOGRAM_POSITIVE_DELTA, this.index, this.count);
    w.timestamp(HISTOGRAM_CREATED, point.startTime);
    if (exemplars !== undefined) {
      for (const e of exemplars) writeExemplar(w, HISTOGRAM_EXEMPLARS, e);
      if (!this.classicWithNative) {
        // For Prometheus 2.4x: one classic `+Inf` bucket (the total count: valid as a classic bucket too)
        // carrying the latest exemplar.
        const b = w.begin(HISTOGRAM_BUCKET);
        w.varintField(BUCKET_COUNT, h.count);
        w.double(BUCKET_UPPER_BOUND, Number.POSITIVE_INFINITY);
        writeExemplar(w, [BUCKET_EXEMPLAR], latest(exemplars)!);
        w.end(b);
      }
    }
    if (this.classicWithNative) writeBuckets(w, this.les, this.perBucket, h.count, exemplars);
    w.end(hm);
    w.end(m);
    return 1;
  }

  /**
   * Classic bucket bounds and per-bucket counts of the merged native buckets, into `les`/`perBucket`: the
   * negative buckets from the most negative up (Prometheus negative bucket `k` holds [-base^k, -base^(k-1)),
   * so its upper bound is -base^(k-1)), the zero bucket (`le="0"`), then the positive buckets (bound base^k).
   * Returns the number of buckets.
   */
  private classicBounds(schema: number, zeroCount: number): number {
    const les = this.les;
    const per = this.perBucket;
    les.length = 0;
    per.length = 0;
    const step = 2 ** -schema;
    for (let k = this.negIndex.length - 1; k >= 0; k--) {
      les.push(-(2 ** ((this.negIndex[k]! - 1) * step)));
      per.push(this.negCount[k]!);
    }
    if (zeroCount > 0) {
      les.push(0);
      per.push(zeroCount);
    }
    for (let k = 0; k < this.index.length; k++) {
      les.push(2 ** (this.index[k]! * step));
      per.push(this.count[k]!);
    }
    return les.length;
  }

  /** A summary's series: quantiles, count and sum. Returns the samples written (quantiles + 2 per series). */
  private writeSummaryMessage(
    w: ProtoWriter,
    scope: Buffer,
    metric: SummaryMetricData,
    caches: PairCaches,
    stats: ExpositionStats | undefined,
  ): number {
    const points = metric.dataPoints as DataPoint<number>[];
    const all = metric[SUMMARY_SERIES];
    const perSeries = all.length === 0 ? 0 : points.length / all.length;
    let samples = 0;
    let overflowSeries = 0;
    let overflowMeasurements = 0;
    for (let k = 0; k < all.length; k++) {
      const s = all[k]!;
      let pairs = caches.summaries.get(s.attributes);
      if (pairs === undefined) {
        pairs = encodePairs(labelString(s.attributes, caches.names.labelNames, caches.names.translate));
        caches.summaries.set(s.attributes, pairs);
      }
      w.ensure(METRIC_BYTES + scope.length + pairs.length + perSeries * QUANTILE_BYTES);
      const m = w.metric(scope, pairs);
      const sm = w.begin(METRIC_SUMMARY);
      w.varintField(SUMMARY_COUNT, s.count);
      w.double(SUMMARY_SUM, s.sum);
      for (let i = k * perSeries; i < (k + 1) * perSeries; i++) {
        const point = points[i]!;
        const q = w.begin(SUMMARY_QUANTILE);
        w.double(VALUE, Number(point.attributes[PROM_QUANTILE_LABEL]));
        w.double(QUANTILE_VALUE, point.value);
        w.end(q);
      }
      if (perSeries > 0) w.timestamp(SUMMARY_CREATED, points[k * perSeries]!.startTime);
      w.end(sm);
      w.end(m);
      samples += perSeries + 2;
      if (s.attributes[ATTR_OTEL_METRIC_OVERFLOW] === true && isOverflowSeries(s.attributes)) {
        overflowSeries++;
        overflowMeasurements += s.count;
      }
    }
    if (stats && overflowSeries > 0) countOverflow(stats, metric, overflowSeries, overflowMeasurements);
    return samples;
  }

  private scopePairsOf(scope: ScopeBytes): Buffer {
    let pairs = this.scopePairs.get(scope);
    if (pairs === undefined) {
      pairs = encodePairs(scope.alone.toString('utf8'));
      this.scopePairs.set(scope, pairs);
    }
    return pairs;
  }
}

function pairsFor(caches: PairCaches, metric: MetricData, points: number): StreamPairs {
  let cache = caches.streams.get(metric.descriptor);
  if (cache === undefined) {
    cache = { attrs: [], pairs: [] };
    caches.streams.set(metric.descriptor, cache);
  } else if (cache.attrs.length > points) {
    cache.attrs.length = points;
    cache.pairs.length = points;
  }
  return cache;
}

/** A new series at this position (or a reordered stream): encode its label pairs and remember them. */
function missPairs(caches: PairCaches, cache: StreamPairs, i: number, attributes: Attributes): Buffer {
  const { labelNames, translate } = caches.names;
  const pairs = encodePairs(labelString(attributes, labelNames, translate));
  cache.attrs[i] = attributes;
  cache.pairs[i] = pairs;
  return pairs;
}

/** A counter (with its exemplar and created timestamp) or a gauge; 0 for a counter value NaN or negative. */
function writeNumberMetric(
  w: ProtoWriter,
  scope: Buffer,
  pairs: Buffer,
  point: DataPoint<number>,
  counter: boolean,
): number {
  const value = point.value;
  if (counter && !(value >= 0)) return 0;
  const exemplars = counter ? exemplarsOf(point) : undefined;
  w.ensure(METRIC_BYTES + scope.length + pairs.length + exemplarBytes(exemplars));
  const m = w.metric(scope, pairs);
  const v = w.begin(counter ? METRIC_COUNTER : METRIC_GAUGE);
  w.double(VALUE, value);
  if (counter) {
    if (exemplars !== undefined && exemplars.length > 0) {
      writeExemplar(w, [COUNTER_EXEMPLAR], latest(exemplars)!);
    }
    w.timestamp(COUNTER_CREATED, point.startTime);
  }
  w.end(v);
  w.end(m);
  return 1;
}

/**
 * Classic buckets: `bounds[i]` with the cumulative count up to it. The `+Inf` bucket is optional in the format
 * (its count is `sample_count`); it is written only to carry an exemplar. Each exemplar goes to the first bucket
 * whose bound is at least its value; the latest wins when two land in one bucket.
 */
function writeBuckets(
  w: ProtoWriter,
  bounds: readonly number[],
  counts: readonly number[],
  total: number,
  exemplars: readonly Exemplar[] | undefined,
): void {
  let placed: (Exemplar | undefined)[] | undefined;
  if (exemplars !== undefined && exemplars.length > 0) {
    placed = new Array(bounds.length + 1);
    for (const e of exemplars) {
      let i = 0;
      while (i < bounds.length && e.value > bounds[i]!) i++;
      if (placed[i] === undefined || placed[i]!.timestamp <= e.timestamp) placed[i] = e;
    }
  }
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += counts[i] ?? 0;
    const b = w.begin(HISTOGRAM_BUCKET);
    w.varintField(BUCKET_COUNT, cumulative);
    w.double(BUCKET_UPPER_BOUND, bounds[i]!);
    const e = placed?.[i];
    if (e !== undefined) writeExemplar(w, [BUCKET_EXEMPLAR], e);
    w.end(b);
  }
  const inf = placed?.[bounds.length];
  if (inf !== undefined) {
    const b = w.begin(HISTOGRAM_BUCKET);
    w.varintField(BUCKET_COUNT, total);
    w.double(BUCKET_UPPER_BOUND, Number.POSITIVE_INFINITY);
    writeExemplar(w, [BUCKET_EXEMPLAR], inf);
    w.end(b);
  }
}

/**
 * The populated buckets of one side of an exponential histogram as (Prometheus index, count), merged
 * `2^shift` at a time when downscaling: OTel bucket `i` at scale `s` lies inside bucket `i >> d` at scale
 * `s - d`, and OTel's bucket `i` (base^i, base^(i+1)] is Prometheus's bucket `i + 1`.
 */
function mergeBuckets(
  side: ExponentialHistogram['positive'],
  shift: number,
  index: number[],
  count: number[],
): void {
  index.length = 0;
  count.length = 0;
  const counts = side.bucketCounts;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (!(c > 0)) continue;
    const i = ((side.offset + k) >> shift) + 1;
    const n = index.length;
    if (n > 0 && index[n - 1] === i) count[n - 1]! += c;
    else {
      index.push(i);
      count.push(c);
    }
  }
}

/**
 * Spans and packed delta-encoded counts of one side. A span continues over gaps of up to
 * {@link MAX_SPAN_GAP} empty buckets (written as zero counts); the first span's offset is its first index,
 * each later one's the gap after the previous span.
 */
function writeSpans(
  w: ProtoWriter,
  spanTag: number,
  deltaTag: number,
  index: number[],
  count: number[],
): void {
  const n = index.length;
  if (n === 0) return;
  let start = 0;
  let previousEnd = 0;
  for (let k = 1; k <= n; k++) {
    if (k < n && index[k]! - index[k - 1]! <= MAX_SPAN_GAP + 1) continue;
    const s = w.begin(spanTag);
    w.byte(SPAN_OFFSET);
    w.varint(zigzag(start === 0 ? index[0]! : index[start]! - previousEnd));
    w.varintField(SPAN_LENGTH, index[k - 1]! - index[start]! + 1);
    w.end(s);
    previousEnd = index[k - 1]! + 1;
    start = k;
  }
  const d = w.begin(deltaTag);
  let previous = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0) {
      const gap = index[k]! - index[k - 1]! - 1;
      if (gap > 0 && gap <= MAX_SPAN_GAP) {
        // Empty buckets inside a span: the first drops to zero, the rest stay there.
        w.varint(zigzag(-previous));
        for (let g = 1; g < gap; g++) w.byte(0);
        previous = 0;
      }
    }
    w.varint(zigzag(count[k]! - previous));
    previous = count[k]!;
  }
  w.end(d);
}

/** Bytes the exemplars can take at most (two label pairs, value, timestamp, message headers). */
function exemplarBytes(exemplars: readonly Exemplar[] | undefined): number {
  if (exemplars === undefined) return 0;
  let n = 0;
  for (const e of exemplars) n += 96 + 3 * (e.traceId.length + e.spanId.length);
  return n;
}

function latest(exemplars: readonly Exemplar[]): Exemplar | undefined {
  let best: Exemplar | undefined;
  for (const e of exemplars) if (best === undefined || e.timestamp >= best.timestamp) best = e;
  return best;
}
