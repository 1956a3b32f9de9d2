import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

// An independent decoder for what the endpoint serves: protobufjs reading the message definitions of
// prometheus/client_model io/prometheus/client/metrics.proto (test/fixtures/prometheus-metrics.proto), so a
// wrong tag, wire type or nesting in our hand-written encoder fails here.
const root = protobuf.parse(
  readFileSync(new URL('../fixtures/prometheus-metrics.proto', import.meta.url), 'utf8'),
  { keepCase: true },
).root;
const MetricFamily = root.lookupType('io.prometheus.client.MetricFamily');

export interface Timestamp {
  seconds: number;
  nanos: number;
}
export interface PbExemplar {
  label: { name: string; value: string }[];
  value: number;
  timestamp?: Timestamp;
}
export interface PbHistogram {
  sample_count: number;
  sample_sum: number;
  bucket: { cumulative_count: number; upper_bound: number; exemplar?: PbExemplar }[];
  created_timestamp?: Timestamp;
  schema?: number;
  zero_threshold?: number;
  zero_count?: number;
  negative_span: { offset: number; length: number }[];
  negative_delta: number[];
  positive_span: { offset: number; length: number }[];
  positive_delta: number[];
  exemplars: PbExemplar[];
}
export interface PbMetric {
  label: { name: string; value: string }[];
  gauge?: { value: number };
  counter?: { value: number; exemplar?: PbExemplar; created_timestamp?: Timestamp };
  summary?: {
    sample_count: number;
    sample_sum: number;
    quantile: { quantile: number; value: number }[];
    created_timestamp?: Timestamp;
  };
  histogram?: PbHistogram;
}
export interface PbFamily {
  name: string;
  help?: string;
  type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'UNTYPED' | 'HISTOGRAM' | 'GAUGE_HISTOGRAM';
  metric: PbMetric[];
  unit?: string;
}

/** Every delimited MetricFamily in `body`, as plain objects (64-bit numbers as numbers, enums as names). */
export function decodeFamilies(body: Uint8Array): PbFamily[] {
  const reader = protobuf.Reader.create(body);
  const out: PbFamily[] = [];
  while (reader.pos < reader.len) {
    const message = MetricFamily.decodeDelimited(reader);
    out.push(
      MetricFamily.toObject(message, { longs: Number, enums: String, arrays: true }) as unknown as PbFamily,
    );
  }
  return out;
}

/** Label pairs as a record. */
export function labelsOf(m: { label: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(m.label.map((l) => [l.name, l.value]));
}

/** A native histogram's buckets as absolute counts by Prometheus bucket index (spans and deltas undone). */
export function nativeBuckets(
  spans: { offset: number; length: number }[],
  deltas: number[],
): Map<number, number> {
  const out = new Map<number, number>();
  let index = 0;
  let count = 0;
  let d = 0;
  // The first offset is the first index; every later one is the gap after the previous span's end.
  for (const span of spans) {
    index += span.offset;
    for (let k = 0; k < span.length; k++) {
      count += deltas[d++]!;
      if (count !== 0) out.set(index, count);
      index++;
    }
  }
  return out;
}
