import { type Attributes, diag } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { SUMMARY_SERIES, type SummaryMetricData } from '../instruments/summary.js';
import {
  ATTR_OTEL_METRIC_OVERFLOW,
  PROM_QUANTILE_LABEL,
  PROM_SCOPE_NAME,
  PROM_SCOPE_SCHEMA_URL,
  PROM_SCOPE_VERSION,
  PROM_TARGET_INFO,
  PROM_TARGET_INFO_OM,
} from '../semconv.js';
import { ByteWriter, CLOSE_BRACE, copyLabels, cp, OPEN_BRACE, writeNumber } from './byte-writer.js';
import { escapeHelp, escapeLabelValue, formatValue, labelString } from './labels.js';
import { familyName, type PromType, unitSuffix } from './naming.js';

/** `text` is the Prometheus text format 0.0.4; `openmetrics` is OpenMetrics 1.0 text. */
export type ExpositionFormat = 'text' | 'openmetrics';

export interface SerializerOptions {
  /** Emit `target_info` with the resource attributes. Default `true`. */
  readonly targetInfo?: boolean;
  /** Add `otel_scope_name` / `otel_scope_version` / `otel_scope_schema_url` labels. Default `true`. */
  readonly scopeInfo?: boolean;
  /** Size of each yielded chunk, in bytes. Default 64 KiB. */
  readonly chunkSize?: number;
}

/** What one exposition contained; filled in by `chunks()` when the caller passes one. */
export interface ExpositionStats {
  /** Sample lines written (what Prometheus counts as scraped samples), `target_info` included. */
  series: number;
  /**
   * Per instrument name: data points carrying `otel.metric.overflow=true` (one per stream that hit its
   * cardinality limit) and, for histograms, the measurements folded into them (the overflow point's count).
   */
  readonly overflow: Map<string, { series: number; measurements: number }>;
  /**
   * What was left out, keyed by `<reason>\u0000<instrument name>`; created on the first drop. See
   * {@link DroppedSeries} for the reasons.
   */
  dropped?: Map<string, DroppedSeries>;
}

/**
 * Why a metric or series was left out of an exposition:
 * - `invalid_name`: the instrument name has no letter or digit once translated (`''`, `'_total'`, `'…'`);
 * - `name_conflict`: an earlier family already uses its Prometheus name, one of its sample names (`_total`,
 *   `_bucket`, `_sum`, `_count`) or its OpenMetrics family name, or it repeats a stream of the same scope;
 * - `unsupported_type`: an exponential histogram, which the text formats cannot carry (nor protobuf when its scale
 *   is below -4, the coarsest native-histogram schema);
 * - `invalid_value`: a counter value or histogram sum that is NaN or negative (counters only count up).
 */
export type DropReason = 'invalid_name' | 'name_conflict' | 'unsupported_type' | 'invalid_value';

/** Series of one instrument left out of one exposition, and why. */
export interface DroppedSeries {
  readonly instrument: string;
  readonly reason: DropReason;
  series: number;
}

export interface FamilyMeta {
  readonly name: string;
  readonly type: PromType;
  /** An exponential histogram served as a native histogram (protobuf only). */
  readonly native: boolean;
  readonly unit: string;
  /** Names this family's lines use besides `name`: its other sample names and its OpenMetrics family name. */
  readonly claims: readonly string[];
  /** Sample-name prefixes as bytes, built once per family: `name`, `name_bucket{`, `name_sum`, `name_count`. */
  readonly bytes: {
    readonly name: Buffer;
    readonly bucket: Buffer;
    readonly sum: Buffer;
    readonly count: Buffer;
  };
  /** HELP/TYPE/UNIT lines per format, for the help text they were built with. */
  header?: { readonly help: string; readonly text?: Buffer; readonly om?: Buffer };
}

/**
 * Label strings of one metric stream by data-point position. The SDK returns a stream's points in the same
 * order on every collection (insertion order of its series map, keys kept from the first recording), so a
 * position whose attributes object is the same as last time reuses its string: an identity check instead of a
 * hash lookup. Holds only what the SDK itself keeps for the stream; trimmed when the stream shrinks.
 */
interface StreamLabels {
  attrs: Attributes[];
  labels: string[];
}

export interface Family {
  readonly meta: FamilyMeta;
  readonly help: string;
  readonly members: { readonly scope: ScopeBytes; readonly metric: MetricData }[];
  /** Data points over all members; a family without any writes nothing, not even HELP/TYPE. */
  points: number;
}

/** The scope labels as bytes, with and without the `,` that separates them from attribute labels. */
export interface ScopeBytes {
  readonly alone: Buffer;
  readonly withComma: Buffer;
}

const NO_SCOPE: ScopeBytes = { alone: Buffer.alloc(0), withComma: Buffer.alloc(0) };
const EOF_LINE = Buffer.from('# EOF\n');
const SPACE = 0x20;
const NEWLINE = 0x0a;
// Longest a number can print as (`-1.7976931348623157e+308`), rounded up.
const MAX_NUMBER_BYTES = 32;
// `,le=""} ` around the longest number.
const MAX_LE_BYTES = MAX_NUMBER_BYTES + 8;

/**
 * Turns one collection into Prometheus text 0.0.4 or OpenMetrics 1.0 bytes, written by hand because the
 * upstream serializer is the slow part of an OTel scrape (126 of 137 ms at 10k series) and breaks the spec on
 * suffixes and duplicate HELP/TYPE.
 *
 * Why bytes and not strings: building the exposition as one JavaScript string and encoding it costs about
 * twice as much as writing straight into Buffers, because the rope of small strings has to be flattened and
 * UTF-8 encoded at the end (measured in `bench/prometheus-serialize.js`). So each series' label string is
 * UTF-8-encoded once per scrape, into the output itself, and the other lines of a histogram copy those bytes
 * with `copyWithin` (a memmove); integers are written digit by digit.
 *
 * What is expensive and stable across scrapes is computed once and cached: family names and their byte
 * prefixes per (name, unit, type), label strings per attribute object (the SDK hands out the same attributes
 * object for a series on every collection, so a WeakMap keyed by it frees the entry with the series), scope
 * label bytes, `le` bytes per bucket-boundary array and `target_info` per resource. The caches hold one label
 * string per series — the same strings any serializer must build — so they add little to the SDK's own
 * per-series memory (measured in `bench/prometheus-heap.js`).
 *
 * One instance per endpoint; not safe to share between threads (there are none in Node).
 */
export class PrometheusSerializer {
  protected readonly targetInfo: boolean;
  private readonly scopeInfo: boolean;
  private readonly chunkSize: number;
  private readonly familyCache = new Map<string, FamilyMeta>();
  private readonly streamLabels = new WeakMap<object, StreamLabels>();
  private readonly labelNameCache = new Map<string, string>();
  private readonly scopeCache = new Map<string, ScopeBytes>();
  private readonly leCache = new WeakMap<readonly number[], { text?: Buffer[]; om?: Buffer[] }>();
  private readonly targetInfoCache = new WeakMap<Resource, { text?: Buffer; om?: Buffer }>();
  private readonly warned = new Set<string>();
  /** Label string of each summary series (its attributes without `quantile`), for its `_sum`/`_count` lines. */
  private readonly summaryLabels = new WeakMap<Attributes, string>();

  constructor(options: SerializerOptions = {}) {
    this.targetInfo = options.targetInfo ?? true;
    this.scopeInfo = options.scopeInfo ?? true;
    this.chunkSize = Math.max(1024, options.chunkSize ?? 65536);
  }

  /** The whole exposition as one string (for tests and small outputs; the endpoint streams `chunks()`). */
  serialize(resourceMetrics: ResourceMetrics, format: ExpositionFormat = 'text'): string {
    return Buffer.concat([...this.chunks(resourceMetrics, format)]).toString('utf8');
  }

  /**
   * The exposition as UTF-8 chunks of about `chunkSize` bytes (a series is never split), so the caller can
   * yield to the event loop between them. Pass `stats` to learn the sample count and the overflow series.
   */
  *chunks(
    resourceMetrics: ResourceMetrics,
    format: ExpositionFormat = 'text',
    stats?: ExpositionStats,
  ): Generator<Buffer, void, undefined> {
    const om = format === 'openmetrics';
    const w = new ByteWriter(this.chunkSize);
    let series = 0;
    if (this.targetInfo) {
      w.bytes(this.targetInfoBytes(resourceMetrics.resource, om));
      series++;
    }
    for (const family of this.families(resourceMetrics, stats).values()) {
      if (family.points === 0) continue;
      w.bytes(this.header(family, om));
      const meta = family.meta;
      const counter = meta.type === 'counter';
      for (const { scope, metric } of family.members) {
        if (meta.type === 'summary') {
          series += this.writeSummary(w, meta, scope, metric as SummaryMetricData, stats);
          if (w.done.length > 0) yield* w.take();
          continue;
        }
        const points = metric.dataPoints as DataPoint<number | Histogram>[];
        if (points.length === 0) continue;
        const histogram = metric.dataPointType === DataPointType.HISTOGRAM;
        const cache = this.labelsFor(metric);
        let overflowSeries = 0;
        let overflowMeasurements = 0;
        let invalid = 0;
        for (let i = 0; i < points.length; i++) {
          const { attributes, value } = points[i]!;
          const labels = cache.attrs[i] === attributes ? cache.labels[i]! : this.miss(cache, i, attributes);
          const written = histogram
            ? this.writeHistogram(w, meta, scope, labels, value as Histogram, om)
            : this.writeSample(w, meta, scope, labels, value as number, counter);
          if (written === 0) {
            invalid++;
            continue;
          }
          series += written;
          if (attributes[ATTR_OTEL_METRIC_OVERFLOW] === true && isOverflowSeries(attributes)) {
            overflowSeries++;
            if (histogram) overflowMeasurements += (value as Histogram).count;
          }
          if (w.done.length > 0) yield* w.take();
        }
        if (stats === undefined) continue;
        if (invalid > 0) drop(stats, metric, 'invalid_value', invalid);
        if (overflowSeries > 0) countOverflow(stats, metric, overflowSeries, overflowMeasurements);
      }
    }
    if (om) w.bytes(EOF_LINE);
    if (stats) stats.series += series;
    w.flush();
    yield* w.take();
  }

  /**
   * Groups metrics by Prometheus family name across scopes, so each family gets one HELP/TYPE (spec: MUST), and
   * makes sure no line name is written by two families: in the order the SDK reports metrics (meters in creation
   * order, then their instruments in creation order), the first metric to use a name keeps it. A later metric is
   * left out, with one warning, when its family name, OpenMetrics family name or any of its sample names is
   * already used by another family, or when it maps to a family that already has a stream from the same scope
   * (`x` next to `x_total`; with scope labels off, any second stream). The SDK reports a metric once it has
   * data and cumulative streams stay, so once both have data the instrument created first is served.
   */
  protected families(
    resourceMetrics: ResourceMetrics,
    stats?: ExpositionStats,
    native = false,
  ): Map<string, Family> {
    const families = new Map<string, Family>();
    // Every line name in use → the family that uses it.
    const taken = new Map<string, string>();
    if (this.targetInfo) {
      taken.set(PROM_TARGET_INFO, PROM_TARGET_INFO);
      taken.set(PROM_TARGET_INFO_OM, PROM_TARGET_INFO);
    }
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      const scopeBytes = this.scopeInfo ? this.scopeBytes(scope) : NO_SCOPE;
      for (const metric of metrics) {
        const meta = this.familyMeta(metric, stats, native);
        if (meta === undefined) continue;
        const points = metric.dataPoints.length;
        const existing = families.get(meta.name);
        // Native and classic histograms stay apart: Prometheus 2.x decides by a family's first metric.
        if (
          existing !== undefined &&
          existing.meta.type === meta.type &&
          existing.meta.native === meta.native
        ) {
          if (existing.members.every((m) => m.scope !== scopeBytes)) {
            existing.members.push({ scope: scopeBytes, metric });
            existing.points += points;
            continue;
          }
        } else if (
          existing === undefined &&
          !taken.has(meta.name) &&
          meta.claims.every((n) => !taken.has(n))
        ) {
          // Without a description, HELP names the OTel instrument: linters (promtool) want HELP on every family,
          // and the original name is what a reader needs to find the instrument in code.
          families.set(meta.name, {
            meta,
            help: metric.descriptor.description || metric.descriptor.name,
            members: [{ scope: scopeBytes, metric }],
            points,
          });
          taken.set(meta.name, meta.name);
          for (const n of meta.claims) taken.set(n, meta.name);
          continue;
        }
        const holder =
          taken.get(meta.name) ?? meta.claims.map((n) => taken.get(n)).find((n) => n) ?? meta.name;
        this.warnOnce(
          `conflict:${metric.descriptor.name}:${meta.type}:${scope.name}`,
          `metric "${metric.descriptor.name}" (${meta.type}) from scope "${scope.name}" maps to the Prometheus ` +
            `${meta.type} "${meta.name}", whose names are already used by the family "${holder}"; leaving it out ` +
            'of the exposition (rename one of the instruments)',
        );
        if (stats && points > 0) drop(stats, metric, 'name_conflict', points);
      }
    }
    return families;
  }

  private familyMeta(
    metric: MetricData,
    stats: ExpositionStats | undefined,
    native: boolean,
  ): FamilyMeta | undefined {
    const { name, unit } = metric.descriptor;
    let type: PromType;
    const nativeHistogram = native && metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM;
    switch (metric.dataPointType) {
      case DataPointType.SUM:
        type = metric.isMonotonic ? 'counter' : 'gauge';
        break;
      case DataPointType.GAUGE:
        type = SUMMARY_SERIES in metric ? 'summary' : 'gauge';
        break;
      case DataPointType.HISTOGRAM:
        type = 'histogram';
        break;
      default:
        if (native) {
          type = 'histogram';
          break;
        }
        this.warnOnce(
          `exp:${name}`,
          `metric "${name}" uses an exponential histogram, which the Prometheus text formats cannot carry; ` +
            'leaving it out of the exposition (use an explicit-bucket view for this instrument)',
        );
        if (stats) drop(stats, metric, 'unsupported_type', metric.dataPoints.length);
        return undefined;
    }
    const key = `${name}\u0000${unit}\u0000${type}${nativeHistogram ? '\u0000native' : ''}`;
    let meta = this.familyCache.get(key);
    if (meta === undefined) {
      const family = familyName(name, unit, type);
      if (family === '') {
        this.warnOnce(
          `name:${key}`,
          `metric ${JSON.stringify(name)} has no letter or digit left once translated to a Prometheus name; ` +
            'leaving it out of the exposition (give the instrument a name such as "orders.placed")',
        );
        if (stats) drop(stats, metric, 'invalid_name', metric.dataPoints.length);
        return undefined;
      }
      meta = {
        name: family,
        type,
        native: nativeHistogram,
        unit: unitSuffix(unit, type),
        claims:
          type === 'counter'
            ? [family.slice(0, -'_total'.length)]
            : type === 'histogram'
              ? [`${family}_bucket`, `${family}_sum`, `${family}_count`]
              : type === 'summary'
                ? [`${family}_sum`, `${family}_count`]
                : [],
        bytes: {
          name: Buffer.from(family),
          bucket: Buffer.from(`${family}_bucket{`),
          sum: Buffer.from(`${family}_sum`),
          count: Buffer.from(`${family}_count`),
        },
      };
      this.familyCache.set(key, meta);
    }
    return meta;
  }

  private header(family: Family, om: boolean): Buffer {
    const meta = family.meta;
    if (meta.header?.help !== family.help) meta.header = { help: family.help };
    const cached = om ? meta.header.om : meta.header.text;
    if (cached) return cached;
    const { name, type, unit } = meta;
    // OpenMetrics names the counter family without `_total`; the samples keep it.
    const metaName = om && type === 'counter' ? name.slice(0, -'_total'.length) : name;
    let out = '';
    if (family.help !== '') out += `# HELP ${metaName} ${escapeHelp(family.help, om)}\n`;
    out += `# TYPE ${metaName} ${type}\n`;
    // OpenMetrics requires the family name to end with the unit when UNIT is given.
    if (om && unit !== '' && metaName.endsWith(`_${unit}`)) out += `# UNIT ${metaName} ${unit}\n`;
    const bytes = Buffer.from(out);
    meta.header = om ? { ...meta.header, om: bytes } : { ...meta.header, text: bytes };
    return bytes;
  }

  /**
   * `name{scope,labels} value\n`; returns the samples written: 0 for a counter value that is NaN or negative,
   * which OpenMetrics forbids (and one `add(NaN)` would keep a counter NaN for good).
   */
  private writeSample(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    labels: string,
    value: number,
    counter: boolean,
    name: Buffer = meta.bytes.name,
  ): number {
    if (counter && !(value >= 0)) return 0;
    w.ensure(name.length + scope.withComma.length + labels.length * 3 + MAX_NUMBER_BYTES + 4);
    const b = w.buf;
    let off = w.off;
    off = cp(b, off, name);
    if (labels !== '') {
      b[off++] = OPEN_BRACE;
      off = cp(b, off, scope.withComma);
      off += b.write(labels, off);
      b[off++] = CLOSE_BRACE;
    } else if (scope.alone.length > 0) {
      b[off++] = OPEN_BRACE;
      off = cp(b, off, scope.alone);
      b[off++] = CLOSE_BRACE;
    }
    b[off++] = SPACE;
    off = writeNumber(b, off, value);
    b[off++] = NEWLINE;
    w.off = off;
    return 1;
  }

  /**
   * A summary from the instruments API: per series its quantile samples (the gauge points; `quantile` is
   * written here, as the one label a summary owns, so the reserved-name rule of user attributes does not touch
   * it), then `_sum` and `_count`. Returns the number of samples written.
   */
  private writeSummary(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    metric: SummaryMetricData,
    stats: ExpositionStats | undefined,
  ): number {
    const points = metric.dataPoints;
    const all = metric[SUMMARY_SERIES];
    const perSeries = all.length === 0 ? 0 : points.length / all.length;
    let samples = 0;
    let overflowSeries = 0;
    let overflowMeasurements = 0;
    for (let k = 0; k < all.length; k++) {
      const s = all[k]!;
      let labels = this.summaryLabels.get(s.attributes);
      if (labels === undefined) {
        labels = labelString(s.attributes, this.labelNameCache);
        this.summaryLabels.set(s.attributes, labels);
      }
      const sep = labels === '' ? '' : ',';
      for (let i = k * perSeries; i < (k + 1) * perSeries; i++) {
        const point = points[i]!;
        const q = String(point.attributes[PROM_QUANTILE_LABEL]);
        samples += this.writeSample(
          w,
          meta,
          scope,
          `${labels}${sep}quantile="${q}"`,
          point.value as number,
          false,
        );
      }
      samples += this.writeSample(w, meta, scope, labels, s.sum, false, meta.bytes.sum);
      samples += this.writeSample(w, meta, scope, labels, s.count, true, meta.bytes.count);
      if (s.attributes[ATTR_OTEL_METRIC_OVERFLOW] === true && isOverflowSeries(s.attributes)) {
        overflowSeries++;
        overflowMeasurements += s.count;
      }
    }
    if (stats && overflowSeries > 0) countOverflow(stats, metric, overflowSeries, overflowMeasurements);
    return samples;
  }

  /**
   * All lines of one histogram series. The label bytes are written once, into the first bucket line, and
   * copied from there for every other line. Returns the number of samples written: 0 when the sum is NaN or
   * negative, which OpenMetrics forbids for counter-like samples.
   */
  private writeHistogram(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    labels: string,
    h: Histogram,
    om: boolean,
  ): number {
    if (h.sum !== undefined && !(h.sum >= 0)) return 0;
    const { boundaries, counts } = h.buckets;
    const les = this.leBytes(boundaries, om);
    const { bucket, sum, count } = meta.bytes;
    const scopeBytes = labels === '' ? scope.alone : scope.withComma;
    const hasLabels = labels !== '' || scopeBytes.length > 0;
    const lines = les.length + 2;
    // Per line at most: the `_bucket{` prefix, the labels (3 UTF-8 bytes per UTF-16 unit at worst), the `le`
    // bytes, a number and 4 separators.
    w.ensure(
      lines * (bucket.length + scopeBytes.length + labels.length * 3 + MAX_LE_BYTES + MAX_NUMBER_BYTES + 4),
    );
    const b = w.buf;
    let off = w.off;

    // The first bucket line writes the labels; every other line copies them from there.
    let labelStart = -1;
    let labelEnd = -1;
    // `le` bytes start with the `,` that follows other labels; skip it when there are none.
    const leSkip = hasLabels ? 0 : 1;
    const last = les.length - 1;
    let cumulative = 0;
    for (let i = 0; i <= last; i++) {
      off = cp(b, off, bucket);
      if (labelStart === -1) {
        labelStart = off;
        off = cp(b, off, scopeBytes);
        if (labels !== '') off += b.write(labels, off);
        labelEnd = off;
      } else {
        b.copyWithin(off, labelStart, labelEnd);
        off += labelEnd - labelStart;
      }
      off = cp(b, off, les[i]!, leSkip);
      // +Inf is the total count (the SDK's last bucket count is already included in it).
      if (i < last) cumulative += counts[i] ?? 0;
      off = writeNumber(b, off, i < last ? cumulative : h.count);
      b[off++] = NEWLINE;
    }

    let samples = les.length + 1;
    // A histogram whose instrument saw negative values has no sum; OpenMetrics then forbids _sum entirely.
    if (h.sum !== undefined) {
      off = cp(b, off, sum);
      off = copyLabels(b, off, labelStart, labelEnd, hasLabels);
      b[off++] = SPACE;
      off = writeNumber(b, off, h.sum);
      b[off++] = NEWLINE;
      samples++;
    }
    off = cp(b, off, count);
    off = copyLabels(b, off, labelStart, labelEnd, hasLabels);
    b[off++] = SPACE;
    off = writeNumber(b, off, h.count);
    b[off++] = NEWLINE;
    w.off = off;
    return samples;
  }

  /** `,le="0.005"} ` … `,le="+Inf"} ` as bytes, one list per boundary array and format. */
  private leBytes(boundaries: readonly number[], om: boolean): Buffer[] {
    let entry = this.leCache.get(boundaries);
    if (entry === undefined) {
      entry = {};
      this.leCache.set(boundaries, entry);
    }
    let les = om ? entry.om : entry.text;
    if (les === undefined) {
      // OpenMetrics wants canonical floats (`1.0`, not `1`) so `le` values compare as strings across scrapes.
      les = [...boundaries, Number.POSITIVE_INFINITY].map((bound) => {
        const le = om && Number.isInteger(bound) ? bound.toFixed(1) : formatValue(bound);
        return Buffer.from(`,le="${le}"} `);
      });
      if (om) entry.om = les;
      else entry.text = les;
    }
    return les;
  }

  private labelsFor(metric: MetricData): StreamLabels {
    let cache = this.streamLabels.get(metric.descriptor);
    if (cache === undefined) {
      cache = { attrs: [], labels: [] };
      this.streamLabels.set(metric.descriptor, cache);
    } else if (cache.attrs.length > metric.dataPoints.length) {
      cache.attrs.length = metric.dataPoints.length;
      cache.labels.length = metric.dataPoints.length;
    }
    return cache;
  }

  /** A new series at this position (or a reordered stream): build its label string and remember it. */
  private miss(cache: StreamLabels, i: number, attributes: Attributes): string {
    const labels = labelString(attributes, this.labelNameCache);
    cache.attrs[i] = attributes;
    cache.labels[i] = labels;
    return labels;
  }

  private scopeBytes(scope: InstrumentationScope): ScopeBytes {
    const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    let s = this.scopeCache.get(key);
    if (s === undefined) {
      let text = `${PROM_SCOPE_NAME}="${escapeLabelValue(scope.name)}"`;
      if (scope.version) text += `,${PROM_SCOPE_VERSION}="${escapeLabelValue(scope.version)}"`;
      if (scope.schemaUrl) text += `,${PROM_SCOPE_SCHEMA_URL}="${escapeLabelValue(scope.schemaUrl)}"`;
      s = { alone: Buffer.from(text), withComma: Buffer.from(`${text},`) };
      this.scopeCache.set(key, s);
    }
    return s;
  }

  private targetInfoBytes(resource: Resource, om: boolean): Buffer {
    let entry = this.targetInfoCache.get(resource);
    if (entry === undefined) {
      entry = {};
      this.targetInfoCache.set(resource, entry);
    }
    let body = om ? entry.om : entry.text;
    if (body === undefined) {
      const labels = labelString(resource.attributes, this.labelNameCache);
      const type = om ? 'info' : 'gauge';
      // OpenMetrics info families are named without `_info`; the sample carries it.
      const metaName = om ? PROM_TARGET_INFO_OM : PROM_TARGET_INFO;
      body = Buffer.from(
        `# HELP ${metaName} Target metadata\n# TYPE ${metaName} ${type}\n` +
          `${PROM_TARGET_INFO}${labels === '' ? '' : `{${labels}}`} 1\n`,
      );
      if (om) entry.om = body;
      else entry.text = body;
    }
    return body;
  }

  protected warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    diag.warn(`otel-metrics-bootstrap: ${message}`);
  }
}

/** The SDK's overflow series carries exactly one attribute, `otel.metric.overflow=true`. */
export function isOverflowSeries(attributes: Attributes): boolean {
  let n = 0;
  for (const _ in attributes) if (++n > 1) return false;
  return true;
}

export function countOverflow(
  stats: ExpositionStats,
  metric: MetricData,
  series: number,
  measurements: number,
): void {
  const seen = stats.overflow.get(metric.descriptor.name);
  if (seen) {
    seen.series += series;
    seen.measurements += measurements;
  } else stats.overflow.set(metric.descriptor.name, { series, measurements });
}

export function drop(stats: ExpositionStats, metric: MetricData, reason: DropReason, series: number): void {
  const instrument = metric.descriptor.name;
  const key = `${reason}\u0000${instrument}`;
  stats.dropped ??= new Map();
  const seen = stats.dropped.get(key);
  if (seen) seen.series += series;
  else stats.dropped.set(key, { instrument, reason, series });
}
