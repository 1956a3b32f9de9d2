import type { Attributes, HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { EXEMPLARS, type Exemplar, exemplarsOf } from '../exemplars.js';
import { SUMMARY_SERIES, type SummarySeriesData } from '../instruments/summary.js';

/**
 * The IPC payload of one worker answer. What is stable from one scrape to the next — scopes, metric
 * descriptors, bucket boundaries, each series' attributes and start time — goes into a dictionary that the
 * worker sends once: after the first answer only new entries travel (the primary says in each request how many
 * it holds). Every scrape sends the numbers alone, packed into bytes (see `Packer`) and sent as one base64
 * string: nothing is printed or parsed as text, and the channel's JSON copies one long string without escapes
 * (bench/cluster.js has the figures).
 *
 * The numbers, per stream with points: stream id, point count, kind (`NUMBER`, `HISTOGRAM`, `GENERIC`), end
 * time (seconds, nanoseconds) and whether every point has it (1) or carries its own (0); then per point: its
 * series id (as the difference to the previous point's, less one: 0 when the SDK reports series in dictionary
 * order), its own end time when not uniform, and its value — a number; or a histogram as presence bits (sum,
 * min, max), count, the sum, min and max present, bucket count and bucket counts; or nothing for `GENERIC`
 * values (any other point type, such as exponential histograms), which travel whole, as JSON, in `j`.
 * Exemplars and summary series ride along in JSON too (`x`, `s`), keyed by the stream's position in the answer.
 */
export interface Payload {
  /** The worker's dictionary generation; a new one starts from an empty dictionary. */
  readonly e: number;
  /** Index of the first entry in `d`. */
  readonly b: number;
  /** Dictionary entries from `b` on. */
  readonly d: readonly Entry[];
  /** The numbers, packed, as base64. */
  readonly v: string;
  /** `GENERIC` point values, in order. */
  readonly j?: readonly unknown[];
  /** Exemplars: `[stream position, point index, exemplars]`. */
  readonly x?: readonly (readonly [number, number, unknown])[];
  /** Summary series: `[stream position, series]`. */
  readonly s?: readonly (readonly [number, unknown])[];
}

/** `[0, scope name, version, schema URL, name, description, unit, value type, point type, temporality, monotonic]` */
type StreamEntry = [0, string, string, string, string, string, string, number, number, number, boolean];
/** `[1, boundaries]` */
type BoundsEntry = [1, number[]];
/** `[2, stream id, attributes, start seconds, start nanoseconds, bounds id or -1]` */
type SeriesEntry = [2, number, unknown, number, number, number];
export type Entry = StreamEntry | BoundsEntry | SeriesEntry;

const NUMBER = 0;
const HISTOGRAM = 1;
const GENERIC = 2;
const HAS_SUM = 1;
const HAS_MIN = 2;
const HAS_MAX = 4;

/** A series as the primary knows it, without the `worker` label: what aggregated output adds up by. */
export interface SeriesRef {
  /**
   * Where the merger last found this series (its table and position there): the decoder hands out the same ref
   * on every scrape, so the merger looks a series up by its key only the first time.
   */
  at?: { readonly table: object; readonly generation: number; readonly index: number };
  /** The attributes as canonical JSON (keys sorted): the same series from two workers has the same key. */
  readonly key: string;
  readonly plain: Attributes;
}

/** One metric from a worker, with the key of its scope. */
export interface DecodedMetric {
  readonly scope: InstrumentationScope;
  readonly scopeKey: string;
  readonly metric: MetricData;
  /** Each point's series, in point order. */
  readonly series: readonly SeriesRef[];
}

/** What the encoder remembers of one stream: the series id at each point position, as the last scrape had it. */
interface StreamState {
  readonly id: number;
  readonly attrs: Attributes[];
  readonly starts: HrTime[];
  readonly bounds: (readonly number[] | undefined)[];
  readonly ids: number[];
  /** Series id by attributes JSON, start time and bounds id, for series not at their last position. */
  readonly byKey: Map<string, number>;
}

let epochs = Math.floor(Math.random() * 0x40000000);

/**
 * The worker's side of the codec. The SDK hands out the same attributes object for a series and the same
 * descriptor for a stream on every collection, in the same order, so a point at the position it had last time
 * costs an identity check to find its series id. A dictionary that has grown to more than twice what the last
 * scrape used (series that left) is dropped and a new generation starts, so it never grows without bound.
 */
export class ClusterEncoder {
  private epoch = epochs++;
  private entries: Entry[] = [];
  private streams = new Map<string, StreamState>();
  private boundsByText = new Map<string, number>();
  private boundsById = new WeakMap<readonly number[], number>();
  private readonly writer = new Packer();

  /** The payload for a primary that holds `have` = `[generation, entries]` of this worker's dictionary. */
  encode(resourceMetrics: ResourceMetrics, have: unknown): Payload {
    this.writer.reset();
    let used = 0;
    const generic: unknown[] = [];
    const exemplars: [number, number, unknown][] = [];
    const summaries: [number, unknown][] = [];
    let position = 0;
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        const points = metric.dataPoints;
        if (points.length === 0) continue;
        const stream = this.stream(scope, metric);
        const kind = kindOf(metric);
        const end = points[0]!.endTime;
        let uniform = 1;
        for (const p of points) if (p.endTime[0] !== end[0] || p.endTime[1] !== end[1]) uniform = 0;
        const w = this.writer;
        w.uint(stream.id);
        w.uint(points.length);
        w.uint(kind);
        w.num(end[0]);
        w.num(end[1]);
        w.uint(uniform);
        let previous = -1;
        for (let i = 0; i < points.length; i++) {
          const p = points[i]!;
          const id = this.series(stream, i, p.attributes, p.startTime, kind, p.value);
          w.int(id - previous - 1);
          previous = id;
          if (uniform === 0) {
            w.num(p.endTime[0]);
            w.num(p.endTime[1]);
          }
          if (kind === NUMBER) w.num(p.value as number);
          else if (kind === HISTOGRAM) this.histogram(p.value as Histogram);
          else generic.push(portable(p.value));
          const ex = exemplarsOf(p);
          if (ex !== undefined) exemplars.push([position, i, portable(ex)]);
        }
        used += points.length;
        const series = (metric as { [SUMMARY_SERIES]?: readonly SummarySeriesData[] })[SUMMARY_SERIES];
        if (series !== undefined) summaries.push([position, portable(series)]);
        position++;
      }
    }
    const [epoch, count] = Array.isArray(have) ? have : [];
    const base =
      epoch === this.epoch && typeof count === 'number' && count <= this.entries.length ? count : 0;
    const payload: Payload = {
      e: this.epoch,
      b: base,
      d: base === 0 ? this.entries : this.entries.slice(base),
      v: this.writer.base64(),
      ...(generic.length > 0 && { j: generic }),
      ...(exemplars.length > 0 && { x: exemplars }),
      ...(summaries.length > 0 && { s: summaries }),
    };
    if (this.entries.length > 2 * used + 1024) this.reset();
    return payload;
  }

  private reset(): void {
    this.epoch = epochs++;
    this.entries = [];
    this.streams = new Map();
    this.boundsByText = new Map();
    this.boundsById = new WeakMap();
  }

  private stream(scope: InstrumentationScope, metric: MetricData): StreamState {
    const d = metric.descriptor;
    const monotonic = metric.dataPointType === DataPointType.SUM ? metric.isMonotonic : false;
    const entry: StreamEntry = [
      0,
      scope.name,
      scope.version ?? '',
      scope.schemaUrl ?? '',
      d.name,
      d.description,
      d.unit,
      d.valueType,
      metric.dataPointType,
      metric.aggregationTemporality,
      monotonic,
    ];
    const key = JSON.stringify(entry);
    let state = this.streams.get(key);
    if (state === undefined) {
      state = { id: this.add(entry), attrs: [], starts: [], bounds: [], ids: [], byKey: new Map() };
      this.streams.set(key, state);
    }
    return state;
  }

  /** The series id of the point at position `i`: the one from last time when nothing changed, else looked up. */
  private series(
    s: StreamState,
    i: number,
    attributes: Attributes,
    start: HrTime,
    kind: number,
    value: unknown,
  ): number {
    const bounds = kind === HISTOGRAM ? (value as Histogram).buckets.boundaries : undefined;
    const last = s.starts[i];
    if (
      s.attrs[i] === attributes &&
      last !== undefined &&
      last[0] === start[0] &&
      last[1] === start[1] &&
      s.bounds[i] === bounds
    ) {
      return s.ids[i]!;
    }
    const boundsId = bounds === undefined ? -1 : this.boundsId(bounds);
    const sorted = canonical(attributes);
    const key = `${JSON.stringify(sorted)}\u0000${start[0]}\u0000${start[1]}\u0000${boundsId}`;
    let id = s.byKey.get(key);
    if (id === undefined) {
      id = this.add([2, s.id, sorted, start[0], start[1], boundsId]);
      s.byKey.set(key, id);
    }
    s.attrs[i] = attributes;
    s.starts[i] = start;
    s.bounds[i] = bounds;
    s.ids[i] = id;
    return id;
  }

  private boundsId(bounds: readonly number[]): number {
    let id = this.boundsById.get(bounds);
    if (id !== undefined) return id;
    const text = bounds.join(',');
    id = this.boundsByText.get(text);
    if (id === undefined) {
      id = this.add([1, [...bounds]]);
      this.boundsByText.set(text, id);
    }
    this.boundsById.set(bounds, id);
    return id;
  }

  private add(entry: Entry): number {
    this.entries.push(entry);
    return this.entries.length - 1;
  }

  private histogram(h: Histogram): void {
    const counts = h.buckets.counts;
    const bits =
      (h.sum === undefined ? 0 : HAS_SUM) |
      (h.min === undefined ? 0 : HAS_MIN) |
      (h.max === undefined ? 0 : HAS_MAX);
    const w = this.writer;
    w.uint(bits);
    w.num(h.count);
    if (h.sum !== undefined) w.num(h.sum);
    if (h.min !== undefined) w.num(h.min);
    if (h.max !== undefined) w.num(h.max);
    w.uint(counts.length);
    for (let k = 0; k < counts.length; k++) w.num(counts[k]!);
  }
}

/**
 * The numbers of a payload, packed: most are small non-negative integers (ids, counts, bucket counts), which
 * take one or two bytes as varints; any other number takes a marker byte and its float64 bits, exactly.
 */
class Packer {
  private bytes = new Uint8Array(65536);
  private view = new DataView(this.bytes.buffer);
  private n = 0;

  reset(): void {
    this.n = 0;
  }

  base64(): string {
    return Buffer.from(this.bytes.buffer, 0, this.n).toString('base64');
  }

  /** A non-negative integer below 2^53, 7 bits a byte. */
  uint(v: number): void {
    if (this.n + 8 > this.bytes.length) this.grow();
    const b = this.bytes;
    let n = this.n;
    while (v >= 128) {
      b[n++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    b[n++] = v;
    this.n = n;
  }

  /** An integer, zigzag: small magnitudes of either sign stay short. */
  int(v: number): void {
    this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Any number: an integer in [0, 2^52) as a varint of twice its value, else 1 and its float64 bits. */
  num(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 52 && !(v === 0 && 1 / v < 0)) this.uint(v * 2);
    else {
      if (this.n + 9 > this.bytes.length) this.grow();
      this.bytes[this.n] = 1;
      this.view.setFloat64(this.n + 1, v, true);
      this.n += 9;
    }
  }

  private grow(): void {
    const bigger = new Uint8Array(this.bytes.length * 2);
    bigger.set(this.bytes.subarray(0, this.n));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

/** Reads what a {@link Packer} wrote. */
class Unpacker {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  uint(): number {
    const b = this.bytes;
    let byte = b[this.pos++]!;
    if (byte < 128) return byte;
    let v = byte & 127;
    let scale = 128;
    do {
      byte = b[this.pos++]!;
      v += (byte & 127) * scale;
      scale *= 128;
    } while (byte >= 128);
    return v;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  num(): number {
    const z = this.uint();
    if (z % 2 === 0) return z / 2;
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
}

/** One dictionary entry as the primary keeps it. */
type Decoded = StreamInfo | { readonly tag: 1; readonly bounds: number[] } | SeriesInfo;

interface SeriesInfo {
  readonly tag: 2;
  readonly attributes: Attributes;
  readonly ref: SeriesRef;
  readonly startTime: HrTime;
  readonly bounds: number[];
}

interface StreamInfo {
  readonly tag: 0;
  readonly scope: InstrumentationScope;
  readonly scopeKey: string;
  readonly descriptor: MetricDescriptor;
  readonly dataPointType: DataPointType;
  readonly aggregationTemporality: number;
  readonly isMonotonic: boolean;
}

/**
 * The primary's side of the codec, one per worker: that worker's dictionary, with every series' attributes
 * object (the `extra` labels, such as `worker`, added) made once and handed out again on every scrape, so the
 * serializer's per-series label cache keeps hitting.
 */
export class ClusterDecoder {
  private epoch = -1;
  private entries: Decoded[] = [];

  constructor(private readonly extra: Attributes) {}

  /** What to tell the worker this side holds (`[generation, entries]`). */
  have(): [number, number] {
    return [this.epoch, this.entries.length];
  }

  /**
   * The metrics of one answer; `undefined` when the answer does not fit the dictionary held here (it would
   * take an answer to a request that was never made).
   */
  decode(payload: Payload): DecodedMetric[] | undefined {
    if (!this.learn(payload)) return undefined;
    const r = new Unpacker(Buffer.from(payload.v, 'base64'));
    const metrics: DecodedMetric[] = [];
    const entries = this.entries;
    let g = 0;
    while (!r.done) {
      const info = entries[r.uint()];
      const count = r.uint();
      const kind = r.uint();
      const end: HrTime = [r.num(), r.num()];
      const uniform = r.uint() === 1;
      if (info?.tag !== 0) return undefined;
      const dataPoints: unknown[] = new Array(count);
      const refs: SeriesRef[] = new Array(count);
      let id = -1;
      for (let i = 0; i < count; i++) {
        id += r.int() + 1;
        const series = entries[id];
        if (series?.tag !== 2) return undefined;
        const endTime: HrTime = uniform ? end : [r.num(), r.num()];
        let value: unknown;
        if (kind === NUMBER) value = r.num();
        else if (kind === HISTOGRAM) {
          const bits = r.uint();
          const histogramCount = r.num();
          const sum = bits & HAS_SUM ? r.num() : undefined;
          const min = bits & HAS_MIN ? r.num() : undefined;
          const max = bits & HAS_MAX ? r.num() : undefined;
          const n = r.uint();
          const counts: number[] = new Array(n);
          for (let c = 0; c < n; c++) counts[c] = r.num();
          value = {
            count: histogramCount,
            sum,
            min,
            max,
            buckets: { boundaries: series.bounds, counts },
          } satisfies Histogram;
        } else value = revive(payload.j?.[g++]);
        dataPoints[i] = { attributes: series.attributes, startTime: series.startTime, endTime, value };
        refs[i] = series.ref;
      }
      const metric = {
        descriptor: info.descriptor,
        dataPointType: info.dataPointType,
        aggregationTemporality: info.aggregationTemporality,
        isMonotonic: info.isMonotonic,
        dataPoints,
      } as unknown as MetricData;
      metrics.push({ scope: info.scope, scopeKey: info.scopeKey, metric, series: refs });
    }
    for (const [position, index, ex] of payload.x ?? []) {
      const point = metrics[position]?.metric.dataPoints[index];
      if (point !== undefined) (point as { [EXEMPLARS]?: unknown })[EXEMPLARS] = revive(ex) as Exemplar[];
    }
    for (const [position, series] of payload.s ?? []) {
      const metric = metrics[position]?.metric;
      if (metric === undefined) continue;
      (metric as unknown as Record<symbol, unknown>)[SUMMARY_SERIES] = (
        revive(series) as SummarySeriesData[]
      ).map((s) => ({ ...s, attributes: { ...s.attributes, ...this.extra } }));
    }
    return metrics;
  }

  /** Adds the answer's new dictionary entries; false when they do not continue what is held here. */
  private learn(payload: Payload): boolean {
    if (payload.e !== this.epoch) {
      if (payload.b !== 0) return false;
      this.epoch = payload.e;
      this.entries = [];
    }
    const held = this.entries.length;
    if (payload.b > held) return false;
    // Two requests in flight may both carry the same new entries: only those not held yet are added.
    for (let i = held - payload.b; i < payload.d.length; i++) this.entries.push(this.entry(payload.d[i]!));
    return true;
  }

  private entry(e: Entry): Decoded {
    if (e[0] === 0) {
      const [, sName, sVersion, sSchema, name, description, unit, valueType, type, temporality, monotonic] =
        e;
      return {
        tag: 0,
        scope: {
          name: sName,
          ...(sVersion !== '' && { version: sVersion }),
          ...(sSchema !== '' && { schemaUrl: sSchema }),
        },
        scopeKey: `${sName}\u0000${sVersion}\u0000${sSchema}`,
        descriptor: { name, description, unit, valueType, type: '' as never } as MetricDescriptor,
        dataPointType: type,
        aggregationTemporality: temporality,
        isMonotonic: monotonic,
      };
    }
    if (e[0] === 1) return { tag: 1, bounds: e[1] };
    const [, , attributes, seconds, nanos, boundsId] = e;
    const plain = revive(attributes) as Attributes;
    const bounds = this.entries[boundsId];
    return {
      tag: 2,
      attributes: { ...plain, ...this.extra },
      // The portable form keeps NaN apart from null.
      ref: { key: JSON.stringify(attributes), plain },
      startTime: [seconds, nanos],
      bounds: bounds?.tag === 1 ? bounds.bounds : [],
    };
  }
}

function kindOf(metric: MetricData): number {
  const points = metric.dataPoints as { value: unknown }[];
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    return points.every((p) => typeof p.value === 'number') ? NUMBER : GENERIC;
  }
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    return points.every((p) => isHistogram(p.value)) ? HISTOGRAM : GENERIC;
  }
  return GENERIC;
}

function isHistogram(v: unknown): boolean {
  const h = v as Histogram | undefined;
  return (
    typeof h?.count === 'number' && Array.isArray(h.buckets?.boundaries) && Array.isArray(h.buckets.counts)
  );
}

/** Attributes with their keys sorted, so two workers' same series give the same key; made {@link portable}. */
function canonical(attributes: Attributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(attributes).sort()) out[key] = portable(attributes[key]);
  return out;
}

/** Marks a number JSON cannot carry (NaN, ±Infinity) in the JSON parts of a payload. */
const NON_FINITE = '\u0000';

/** `v` with every non-finite number replaced by a marker object, so JSON carries it exactly. */
function portable(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { [NON_FINITE]: String(v) };
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(portable);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) out[key] = portable((v as Record<string, unknown>)[key]);
  return out;
}

/** The inverse of {@link portable}. */
function revive(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(revive);
  const marked = (v as Record<string, unknown>)[NON_FINITE];
  if (typeof marked === 'string') return Number(marked);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) out[key] = revive((v as Record<string, unknown>)[key]);
  return out;
}

export function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
