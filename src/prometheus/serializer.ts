import { type Attributes, diag } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type Exemplar, exemplarsOf } from '../exemplars.js';
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
import { ByteWriter, CLOSE_BRACE, cp, writeNumber } from './byte-writer.js';
import { classicBuckets } from './classic-buckets.js';
import { countOverflow, drop, type ExpositionStats, isOverflowSeries } from './exposition-stats.js';
import { buildMeta, type FamilyMeta, quoteName, type SampleName } from './family-meta.js';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  keyFilter,
  labelString,
  type ResourceConstantLabels,
  reserveLabel,
} from './labels.js';
import {
  type EscapingScheme,
  escapeName,
  familyName,
  keepsUtf8,
  labelName,
  type PromType,
  sanitizeLabelName,
  type TranslationStrategy,
  unitSuffix,
} from './naming.js';

/** `text` is the Prometheus text format 0.0.4; `openmetrics` is OpenMetrics 1.0 text. */
export type ExpositionFormat = 'text' | 'openmetrics';

export interface SerializerOptions {
  /** Emit `target_info` with the resource attributes. Default `true`. */
  readonly targetInfo?: boolean;
  /** Add `otel_scope_name` / `otel_scope_version` / `otel_scope_schema_url` labels. Default `true`. */
  readonly scopeInfo?: boolean;
  /** How instrument names and attribute keys become Prometheus names. Default `UnderscoreEscapingWithSuffixes`. */
  readonly translationStrategy?: TranslationStrategy;
  /**
   * Which resource attributes are copied as labels onto every series (besides `target_info`), by key: `*` and `?`
   * wildcards. Default: none.
   */
  readonly resourceConstantLabels?: ResourceConstantLabels;
  /** Size of each yielded chunk, in bytes. Default 64 KiB. */
  readonly chunkSize?: number;
}

/**
 * Everything that depends on how names are written, one set per escaping scheme in use (a single set under the
 * underscore strategies, whose names never need escaping): family names, label names and strings, scope and
 * `target_info` bytes.
 */
export interface Names {
  readonly escaping: EscapingScheme;
  /** Attribute key → label name as written. */
  readonly translate: (key: string) => string;
  readonly families: Map<string, FamilyMeta>;
  readonly labelNames: Map<string, string>;
  readonly streams: WeakMap<object, StreamLabels>;
  readonly scopes: Map<string, ScopeBytes>;
  readonly targetInfo: WeakMap<Resource, { text?: Buffer; om?: Buffer }>;
  /** Label string of each summary series (its attributes without `quantile`), for its `_sum`/`_count` lines. */
  readonly summaries: WeakMap<Attributes, string>;
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

const EOF_LINE = Buffer.from('# EOF\n');
const SPACE = 0x20;
const NEWLINE = 0x0a;
// Longest a number can print as (`-1.7976931348623157e+308`), rounded up.
const MAX_NUMBER_BYTES = 32;
// `,le=""} ` around the longest number.
const MAX_LE_BYTES = MAX_NUMBER_BYTES + 8;
// ` # {trace_id="<32>",span_id="<16>"} <value> <timestamp>`.
const MAX_EXEMPLAR_BYTES = 80 + 2 * MAX_NUMBER_BYTES;
const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

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
  private readonly strategy: TranslationStrategy;
  private readonly utf8: boolean;
  private readonly constantLabels: ((key: string) => boolean) | undefined;
  /** Per escaping scheme in use; under the underscore strategies only `underscores`. */
  private readonly names = new Map<EscapingScheme, Names>();
  /** The resource the label-name caches were built for (constant labels reserve names per resource). */
  private resource: Resource | undefined;
  /** Constant label text per resource and scheme, and the label names it takes. */
  private constant: { text: string; labels: Set<string> } | undefined;
  private readonly leCache = new WeakMap<readonly number[], { text?: Buffer[]; om?: Buffer[] }>();
  /** `le` bytes of exponential buckets, by format, scale and bound. */
  private readonly expLeCache = new Map<string, Buffer>();
  private readonly warned = new Set<string>();
  /** The latest start time written as `_created` and its digits: series of a stream mostly share one. */
  private start: { s: number; ns: number; bytes: Buffer } = { s: Number.NaN, ns: 0, bytes: Buffer.alloc(0) };

  constructor(options: SerializerOptions = {}) {
    this.targetInfo = options.targetInfo ?? true;
    this.scopeInfo = options.scopeInfo ?? true;
    this.chunkSize = Math.max(1024, options.chunkSize ?? 65536);
    this.strategy = options.translationStrategy ?? 'UnderscoreEscapingWithSuffixes';
    this.utf8 = keepsUtf8(this.strategy);
    this.constantLabels = keyFilter(options.resourceConstantLabels);
  }

  /**
   * The scheme the output is actually written with for a requested one: under the underscore strategies every
   * name is legacy, so all schemes give the same bytes (callers cache by this).
   */
  escapingFor(requested: EscapingScheme): EscapingScheme {
    return this.utf8 ? requested : 'underscores';
  }

  /** The whole exposition as one string (for tests and small outputs; the endpoint streams `chunks()`). */
  serialize(
    resourceMetrics: ResourceMetrics,
    format: ExpositionFormat = 'text',
    escaping: EscapingScheme = 'underscores',
  ): string {
    return Buffer.concat([...this.chunks(resourceMetrics, format, undefined, escaping)]).toString('utf8');
  }

  /**
   * The exposition as UTF-8 chunks of about `chunkSize` bytes (a series is never split), so the caller can
   * yield to the event loop between them. Pass `stats` to learn the sample count and the overflow series.
   * `escaping` is the negotiated scheme; it changes the output only under the UTF-8 translation strategies.
   * OpenMetrics adds what text 0.0.4 cannot carry: exemplars and `_created` samples.
   */
  *chunks(
    resourceMetrics: ResourceMetrics,
    format: ExpositionFormat = 'text',
    stats?: ExpositionStats,
    escaping: EscapingScheme = 'underscores',
  ): Generator<Buffer, void, undefined> {
    const om = format === 'openmetrics';
    const names = this.namesFor(escaping, resourceMetrics.resource);
    const w = new ByteWriter(this.chunkSize);
    let series = 0;
    if (this.targetInfo) {
      w.bytes(this.targetInfoBytes(resourceMetrics.resource, om, names));
      series++;
    }
    for (const family of this.families(resourceMetrics, stats, names).values()) {
      if (family.points === 0) continue;
      w.bytes(this.header(family, om));
      const meta = family.meta;
      const counter = meta.type === 'counter';
      const sample = om ? meta.bytes.omSample : meta.bytes.name;
      for (const { scope, metric } of family.members) {
        if (meta.type === 'summary') {
          series += this.writeSummary(w, meta, scope, metric as SummaryMetricData, names, om, stats);
          if (w.done.length > 0) yield* w.take();
          continue;
        }
        const points = metric.dataPoints as DataPoint<number | Histogram | ExponentialHistogram>[];
        if (points.length === 0) continue;
        const kind = metric.dataPointType;
        const histogram = kind === DataPointType.HISTOGRAM || kind === DataPointType.EXPONENTIAL_HISTOGRAM;
        const cache = this.labelsFor(metric, names);
        let overflowSeries = 0;
        let overflowMeasurements = 0;
        let invalid = 0;
        for (let i = 0; i < points.length; i++) {
          const point = points[i]!;
          const { attributes, value } = point;
          const labels =
            cache.attrs[i] === attributes ? cache.labels[i]! : this.miss(cache, i, attributes, names);
          const written =
            kind === DataPointType.HISTOGRAM
              ? this.writeExplicit(w, meta, scope, labels, point as DataPoint<Histogram>, om)
              : kind === DataPointType.EXPONENTIAL_HISTOGRAM
                ? this.writeExponential(w, meta, scope, labels, point as DataPoint<ExponentialHistogram>, om)
                : this.writeSample(
                    w,
                    sample,
                    scope,
                    labels,
                    value as number,
                    counter,
                    om ? point : undefined,
                    meta,
                  );
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
   * The name caches for a scheme. The underscore strategies write legacy names only, which every scheme leaves
   * alone, so they share one set whatever the scraper asked for. With constant labels, a new resource (a new
   * provider) starts afresh: they reserve label names per resource.
   */
  protected namesFor(requested: EscapingScheme, resource: Resource): Names {
    // Only constant labels depend on the resource; without them a caller alternating resources keeps its caches.
    if (this.constantLabels !== undefined && resource !== this.resource) {
      this.resource = resource;
      this.names.clear();
      this.constant = undefined;
    }
    const escaping = this.escapingFor(requested);
    let names = this.names.get(escaping);
    if (names === undefined) {
      const reserved = this.constantOf(resource).labels;
      const strategy = this.strategy;
      const plain = this.utf8
        ? (key: string) => escapeName(labelName(key, strategy), escaping, true)
        : sanitizeLabelName;
      names = {
        escaping,
        // An attribute whose label would repeat a constant label gets the `key_` prefix, as reserved names do.
        translate: reserved.size === 0 ? plain : (key) => reserveLabel(plain(key), reserved),
        families: new Map(),
        labelNames: new Map(),
        streams: new WeakMap(),
        scopes: new Map(),
        targetInfo: new WeakMap(),
        summaries: new WeakMap(),
      };
      this.names.set(escaping, names);
    }
    return names;
  }

  /**
   * The `resourceConstantLabels` of a resource as label text (`service_name="checkout",…`), with the label names
   * it uses. Label names follow the strategy; under a UTF-8 strategy they are escaped with `underscores`, so the
   * reserved set is the same whatever scheme a scraper asks for.
   */
  private constantOf(resource: Resource): { text: string; labels: Set<string> } {
    if (this.constant !== undefined) return this.constant;
    const keep = this.constantLabels;
    const picked: Attributes = {};
    if (keep !== undefined) {
      for (const [key, value] of Object.entries(resource.attributes)) if (keep(key)) picked[key] = value;
    }
    const translate = this.utf8
      ? (key: string) => escapeName(labelName(key, this.strategy), 'underscores', true)
      : sanitizeLabelName;
    const text = labelString(picked, undefined, translate);
    const labels = new Set(Object.keys(picked).map(translate));
    this.constant = { text, labels };
    return this.constant;
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
    stats: ExpositionStats | undefined,
    names: Names,
    native = false,
  ): Map<string, Family> {
    const families = new Map<string, Family>();
    // Every line name in use → the family that uses it.
    const taken = new Map<string, string>();
    if (this.targetInfo) {
      taken.set(PROM_TARGET_INFO, PROM_TARGET_INFO);
      taken.set(PROM_TARGET_INFO_OM, PROM_TARGET_INFO);
    }
    const constant = this.constantOf(resourceMetrics.resource).text;
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      const scopeBytes = this.scopeBytes(scope, constant, names);
      for (const metric of metrics) {
        const meta = this.familyMeta(metric, stats, names, native);
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
          `conflict:${metric.descriptor.name}:${meta.type}:${scope.name}:${names.escaping}`,
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
    names: Names,
    native: boolean,
  ): FamilyMeta | undefined {
    const { name, unit } = metric.descriptor;
    const points = metric.dataPoints.length;
    let type: PromType;
    switch (metric.dataPointType) {
      case DataPointType.SUM:
        type = metric.isMonotonic ? 'counter' : 'gauge';
        break;
      case DataPointType.GAUGE:
        type = SUMMARY_SERIES in metric ? 'summary' : 'gauge';
        break;
      case DataPointType.HISTOGRAM:
      case DataPointType.EXPONENTIAL_HISTOGRAM:
        // The text formats carry an exponential histogram as classic buckets (writeExponential).
        type = 'histogram';
        break;
      default:
        this.warnOnce(
          `type:${name}`,
          `metric "${name}" has a data point type the Prometheus serializer does not know; leaving it out`,
        );
        if (stats) drop(stats, metric as MetricData, 'unsupported_type', points);
        return undefined;
    }
    const nativeHistogram = native && metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM;
    const key = `${name}\u0000${unit}\u0000${type}${nativeHistogram ? '\u0000native' : ''}`;
    let meta = names.families.get(key);
    if (meta === undefined) {
      const translated = familyName(name, unit, type, this.strategy);
      if (translated === '') {
        this.warnOnce(
          `name:${key}`,
          `metric ${JSON.stringify(name)} has no letter or digit left once translated to a Prometheus name; ` +
            'leaving it out of the exposition (give the instrument a name such as "orders.placed")',
        );
        if (stats) drop(stats, metric, 'invalid_name', metric.dataPoints.length);
        return undefined;
      }
      meta = buildMeta(
        names.escaping === 'allow-utf-8' ? translated : escapeName(translated, names.escaping),
        type,
        unitSuffix(unit, type),
        nativeHistogram,
      );
      names.families.set(key, meta);
    }
    return meta;
  }

  private header(family: Family, om: boolean): Buffer {
    const meta = family.meta;
    if (meta.header?.help !== family.help) meta.header = { help: family.help };
    const cached = om ? meta.header.om : meta.header.text;
    if (cached) return cached;
    const { type, unit } = meta;
    const metaName = om ? meta.omName : meta.name;
    const written = quoteName(metaName);
    let out = '';
    if (family.help !== '') out += `# HELP ${written} ${escapeHelp(family.help, om)}\n`;
    out += `# TYPE ${written} ${type}\n`;
    // OpenMetrics requires the family name to end with the unit when UNIT is given.
    if (om && unit !== '' && metaName.endsWith(`_${unit}`)) out += `# UNIT ${written} ${unit}\n`;
    const bytes = Buffer.from(out);
    meta.header = om ? { ...meta.header, om: bytes } : { ...meta.header, text: bytes };
    return bytes;
  }

  /**
   * `name{scope,labels} value\n`; returns the samples written: 0 for a counter value that is NaN or negative,
   * which OpenMetrics forbids (and one `add(NaN)` would keep a counter NaN for good). With `point` (OpenMetrics
   * counters), its exemplar and a `_created` line follow.
   */
  private writeSample(
    w: ByteWriter,
    name: SampleName,
    scope: ScopeBytes,
    labels: string,
    value: number,
    counter: boolean,
    point?: DataPoint<unknown>,
    meta?: FamilyMeta,
  ): number {
    if (counter && !(value >= 0)) return 0;
    const extra = counter && point !== undefined && meta !== undefined;
    const line = name.open.length + scope.withComma.length + labels.length * 3 + MAX_NUMBER_BYTES + 4;
    w.ensure(extra ? 2 * line + MAX_EXEMPLAR_BYTES + 16 : line);
    const b = w.buf;
    let off = w.off;
    const hasLabels = labels !== '' || scope.alone.length > 0;
    let labelStart = off;
    let labelEnd = off;
    if (labels !== '') {
      off = cp(b, off, name.open);
      labelStart = off;
      off = cp(b, off, scope.withComma);
      off += b.write(labels, off);
      labelEnd = off;
      b[off++] = CLOSE_BRACE;
    } else if (scope.alone.length > 0) {
      off = cp(b, off, name.open);
      labelStart = off;
      off = cp(b, off, scope.alone);
      labelEnd = off;
      b[off++] = CLOSE_BRACE;
    } else off = cp(b, off, name.bare);
    b[off++] = SPACE;
    off = writeNumber(b, off, value);
    if (!extra) {
      b[off++] = NEWLINE;
      w.off = off;
      return 1;
    }
    const exemplars = exemplarsOf(point);
    if (exemplars !== undefined && exemplars.length > 0)
      off = writeExemplar(b, off, exemplars[exemplars.length - 1]!);
    b[off++] = NEWLINE;
    off = copyLine(b, off, meta.bytes.created, labelStart, labelEnd, hasLabels);
    off = cp(b, off, this.startBytes(point.startTime));
    b[off++] = NEWLINE;
    w.off = off;
    return 2;
  }

  /**
   * A summary from the instruments API: per series its quantile samples (the gauge points; `quantile` is
   * written here, as the one label a summary owns, so the reserved-name rule of user attributes does not touch
   * it), then `_sum` and `_count` (and `_created` in OpenMetrics). Returns the number of samples written.
   */
  private writeSummary(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    metric: SummaryMetricData,
    names: Names,
    om: boolean,
    stats: ExpositionStats | undefined,
  ): number {
    const points = metric.dataPoints;
    const all = metric[SUMMARY_SERIES];
    const perSeries = all.length === 0 ? 0 : points.length / all.length;
    const { name, sum, count, created } = meta.bytes;
    let samples = 0;
    let overflowSeries = 0;
    let overflowMeasurements = 0;
    for (let k = 0; k < all.length; k++) {
      const s = all[k]!;
      let labels = names.summaries.get(s.attributes);
      if (labels === undefined) {
        labels = labelString(s.attributes, names.labelNames, names.translate);
        names.summaries.set(s.attributes, labels);
      }
      const sep = labels === '' ? '' : ',';
      for (let i = k * perSeries; i < (k + 1) * perSeries; i++) {
        const point = points[i]!;
        const q = String(point.attributes[PROM_QUANTILE_LABEL]);
        samples += this.writeSample(
          w,
          name,
          scope,
          `${labels}${sep}quantile="${q}"`,
          point.value as number,
          false,
        );
      }
      samples += this.writeSample(w, sum, scope, labels, s.sum, false);
      samples += this.writeSample(w, count, scope, labels, s.count, true);
      const first = points[k * perSeries];
      if (om && first !== undefined) {
        samples += this.writeSample(w, created, scope, labels, seconds(first.startTime), false);
      }
      if (s.attributes[ATTR_OTEL_METRIC_OVERFLOW] === true && isOverflowSeries(s.attributes)) {
        overflowSeries++;
        overflowMeasurements += s.count;
      }
    }
    if (stats && overflowSeries > 0) countOverflow(stats, metric, overflowSeries, overflowMeasurements);
    return samples;
  }

  private writeExplicit(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    labels: string,
    point: DataPoint<Histogram>,
    om: boolean,
  ): number {
    const h = point.value;
    const { boundaries, counts } = h.buckets;
    return this.writeHistogram(
      w,
      meta,
      scope,
      labels,
      point,
      this.leBytes(boundaries, om),
      boundaries,
      counts,
      om,
    );
  }

  /** An exponential histogram as classic buckets with exact bounds (`classicBuckets`). */
  private writeExponential(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    labels: string,
    point: DataPoint<ExponentialHistogram>,
    om: boolean,
  ): number {
    const { bounds, counts } = classicBuckets(point.value);
    const les = bounds.map((bound) => this.expLe(bound, om));
    les.push(this.expLe(Number.POSITIVE_INFINITY, om));
    counts.push(0);
    return this.writeHistogram(w, meta, scope, labels, point, les, bounds, counts, om);
  }

  /** A start time as `_created` digits (seconds), remembered for the next series with the same start. */
  private startBytes(t: readonly [number, number]): Buffer {
    const last = this.start;
    if (last.s === t[0] && last.ns === t[1]) return last.bytes;
    this.start = { s: t[0], ns: t[1], bytes: Buffer.from(formatValue(seconds(t)), 'latin1') };
    return this.start.bytes;
  }

  /** `,le="…"} ` for one exponential bound, cached per format and bound (bounds repeat across scrapes). */
  private expLe(bound: number, om: boolean): Buffer {
    const key = `${om ? 'o' : 't'}${bound}`;
    let b = this.expLeCache.get(key);
    if (b === undefined) {
      b = leBuffer(bound, om);
      this.expLeCache.set(key, b);
    }
    return b;
  }

  /**
   * All lines of one histogram series: `les[i]` with the cumulative sum of `counts[0..i]` (the last, `+Inf`, with
   * the total count), `_sum`, `_count`, and in OpenMetrics each exemplar on the bucket whose range holds its value
   * and `_created`. The label bytes are written once, into the first bucket line, and copied from there for every
   * other line. Returns the number of samples written: 0 when the sum is NaN or negative, which OpenMetrics
   * forbids for counter-like samples.
   */
  private writeHistogram(
    w: ByteWriter,
    meta: FamilyMeta,
    scope: ScopeBytes,
    labels: string,
    point: DataPoint<Histogram | ExponentialHistogram>,
    les: readonly Buffer[],
    bounds: readonly number[],
    counts: readonly number[],
    om: boolean,
  ): number {
    const h = point.value;
    if (h.sum !== undefined && !(h.sum >= 0)) return 0;
    const { bucket, sum, count, created } = meta.bytes;
    const scopeBytes = labels === '' ? scope.alone : scope.withComma;
    const hasLabels = labels !== '' || scopeBytes.length > 0;
    const exemplars = om ? exemplarsOf(point) : undefined;
    const placed = exemplars !== undefined && exemplars.length > 0 ? place(exemplars, bounds) : undefined;
    const lines = les.length + 3;
    // Per line at most: the `_bucket{` prefix, the labels (3 UTF-8 bytes per UTF-16 unit at worst), the `le`
    // bytes, a number and 4 separators.
    w.ensure(
      lines *
        (bucket.open.length + scopeBytes.length + labels.length * 3 + MAX_LE_BYTES + MAX_NUMBER_BYTES + 4) +
        (placed === undefined ? 0 : exemplars!.length * MAX_EXEMPLAR_BYTES),
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
      off = cp(b, off, bucket.open);
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
      const exemplar = placed?.[i];
      if (exemplar !== undefined) off = writeExemplar(b, off, exemplar);
      b[off++] = NEWLINE;
    }

    let samples = les.length + 1;
    // A histogram whose instrument saw negative values has no sum; OpenMetrics then forbids _sum entirely.
    if (h.sum !== undefined) {
      off = copyLine(b, off, sum, labelStart, labelEnd, hasLabels);
      off = writeNumber(b, off, h.sum);
      b[off++] = NEWLINE;
      samples++;
    }
    off = copyLine(b, off, count, labelStart, labelEnd, hasLabels);
    off = writeNumber(b, off, h.count);
    b[off++] = NEWLINE;
    if (om) {
      off = copyLine(b, off, created, labelStart, labelEnd, hasLabels);
      off = cp(b, off, this.startBytes(point.startTime));
      b[off++] = NEWLINE;
      samples++;
    }
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
      les = [...boundaries, Number.POSITIVE_INFINITY].map((bound) => leBuffer(bound, om));
      if (om) entry.om = les;
      else entry.text = les;
    }
    return les;
  }

  private labelsFor(metric: MetricData, names: Names): StreamLabels {
    let cache = names.streams.get(metric.descriptor);
    if (cache === undefined) {
      cache = { attrs: [], labels: [] };
      names.streams.set(metric.descriptor, cache);
    } else if (cache.attrs.length > metric.dataPoints.length) {
      cache.attrs.length = metric.dataPoints.length;
      cache.labels.length = metric.dataPoints.length;
    }
    return cache;
  }

  /** A new series at this position (or a reordered stream): build its label string and remember it. */
  private miss(cache: StreamLabels, i: number, attributes: Attributes, names: Names): string {
    const labels = labelString(attributes, names.labelNames, names.translate);
    cache.attrs[i] = attributes;
    cache.labels[i] = labels;
    return labels;
  }

  /** The scope labels (when `scopeInfo` is on) and the constant labels, as bytes. */
  private scopeBytes(scope: InstrumentationScope, constant: string, names: Names): ScopeBytes {
    const key = this.scopeInfo
      ? `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`
      : '';
    let s = names.scopes.get(key);
    if (s === undefined) {
      let text = '';
      if (this.scopeInfo) {
        text = `${PROM_SCOPE_NAME}="${escapeLabelValue(scope.name)}"`;
        if (scope.version) text += `,${PROM_SCOPE_VERSION}="${escapeLabelValue(scope.version)}"`;
        if (scope.schemaUrl) text += `,${PROM_SCOPE_SCHEMA_URL}="${escapeLabelValue(scope.schemaUrl)}"`;
      }
      if (constant !== '') text += text === '' ? constant : `,${constant}`;
      s = text === '' ? NO_SCOPE : { alone: Buffer.from(text), withComma: Buffer.from(`${text},`) };
      names.scopes.set(key, s);
    }
    return s;
  }

  private targetInfoBytes(resource: Resource, om: boolean, names: Names): Buffer {
    let entry = names.targetInfo.get(resource);
    if (entry === undefined) {
      entry = {};
      names.targetInfo.set(resource, entry);
    }
    let body = om ? entry.om : entry.text;
    if (body === undefined) {
      // Resource keys as the strategy writes label names, without the constant-label reservation: target_info
      // carries every resource attribute under its own name.
      const strategy = this.strategy;
      const translate = this.utf8
        ? (key: string) => escapeName(labelName(key, strategy), names.escaping, true)
        : sanitizeLabelName;
      const labels = labelString(resource.attributes, undefined, translate);
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

const NO_SCOPE: ScopeBytes = { alone: Buffer.alloc(0), withComma: Buffer.alloc(0) };

/** A line that copies its labels from `b[start..end)`: `name{labels} ` or `name ` (spellings of {@link SampleName}). */
function copyLine(
  b: Buffer,
  off: number,
  name: SampleName,
  start: number,
  end: number,
  hasLabels: boolean,
): number {
  if (hasLabels) {
    off = cp(b, off, name.open);
    b.copyWithin(off, start, end);
    off += end - start;
    b[off++] = CLOSE_BRACE;
  } else off = cp(b, off, name.bare);
  b[off++] = SPACE;
  return off;
}

/** `,le="…"} `; OpenMetrics wants canonical floats (`1.0`, not `1`) so `le` values compare as strings. */
function leBuffer(bound: number, om: boolean): Buffer {
  const le = om && Number.isInteger(bound) ? bound.toFixed(1) : formatValue(bound);
  return Buffer.from(`,le="${le}"} `);
}

/** ` # {trace_id="…",span_id="…"} value timestamp` (OpenMetrics exemplar; timestamp in seconds). */
function writeExemplar(b: Buffer, off: number, e: Exemplar): number {
  // Ids come from the tracer; a malformed one would make the whole scrape unparsable, so it is left out.
  if (!HEX_TRACE_ID.test(e.traceId) || !HEX_SPAN_ID.test(e.spanId) || !Number.isFinite(e.timestamp))
    return off;
  off += b.write(` # {trace_id="${e.traceId}",span_id="${e.spanId}"} `, off, 'latin1');
  off = writeNumber(b, off, e.value);
  b[off++] = SPACE;
  return writeNumber(b, off, e.timestamp / 1000);
}

/** Each exemplar at the index of the bucket whose range holds its value (`bounds` are upper bounds; last is +Inf). */
function place(exemplars: readonly Exemplar[], bounds: readonly number[]): (Exemplar | undefined)[] {
  const at: (Exemplar | undefined)[] = [];
  for (const e of exemplars) {
    let i = 0;
    while (i < bounds.length && e.value > bounds[i]!) i++;
    // Several for one bucket (they came from finer buckets merged here): the latest wins.
    const held = at[i];
    if (held === undefined || e.timestamp >= held.timestamp) at[i] = e;
  }
  return at;
}

/** An OTel HrTime as seconds since the epoch. */
function seconds(t: readonly [number, number]): number {
  return t[0] + t[1] / 1e9;
}
