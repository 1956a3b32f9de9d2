import protobuf from 'protobufjs';

// An independent decoder for what the endpoint serves: protobufjs reading the message definitions of
// prometheus/client_model io/prometheus/client/metrics.proto (fields, numbers and types as published; comments
// left out), so a wrong tag, wire type or nesting in our hand-written encoder fails here.
const TIMESTAMP_PROTO = `
syntax = "proto3";
package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;
const METRICS_PROTO = `
syntax = "proto2";
package io.prometheus.client;
message LabelPair { optional string name = 1; optional string value = 2; }
enum MetricType { COUNTER = 0; GAUGE = 1; SUMMARY = 2; UNTYPED = 3; HISTOGRAM = 4; GAUGE_HISTOGRAM = 5; }
message Gauge { optional double value = 1; }
message Counter {
  optional double value = 1;
  optional Exemplar exemplar = 2;
  optional google.protobuf.Timestamp created_timestamp = 3;
}
message Quantile { optional double quantile = 1; optional double value = 2; }
message Summary {
  optional uint64 sample_count = 1;
  optional double sample_sum = 2;
  repeated Quantile quantile = 3;
  optional google.protobuf.Timestamp created_timestamp = 4;
}
message Untyped { optional double value = 1; }
message Histogram {
  optional uint64 sample_count = 1;
  optional double sample_count_float = 4;
  optional double sample_sum = 2;
  repeated Bucket bucket = 3;
  optional google.protobuf.Timestamp created_timestamp = 15;
  optional sint32 schema = 5;
  optional double zero_threshold = 6;
  optional uint64 zero_count = 7;
  optional double zero_count_float = 8;
  repeated BucketSpan negative_span = 9;
  repeated sint64 negative_delta = 10;
  repeated double negative_count = 11;
  repeated BucketSpan positive_span = 12;
  repeated sint64 positive_delta = 13;
  repeated double positive_count = 14;
  repeated Exemplar exemplars = 16;
}
message Bucket {
  optional uint64 cumulative_count = 1;
  optional double cumulative_count_float = 4;
  optional double upper_bound = 2;
  optional Exemplar exemplar = 3;
}
message BucketSpan { optional sint32 offset = 1; optional uint32 length = 2; }
message Exemplar {
  repeated LabelPair label = 1;
  optional double value = 2;
  optional google.protobuf.Timestamp timestamp = 3;
}
message Metric {
  repeated LabelPair label = 1;
  optional Gauge gauge = 2;
  optional Counter counter = 3;
  optional Summary summary = 4;
  optional Untyped untyped = 5;
  optional Histogram histogram = 7;
  optional int64 timestamp_ms = 6;
}
message MetricFamily {
  optional string name = 1;
  optional string help = 2;
  optional MetricType type = 3;
  repeated Metric metric = 4;
  optional string unit = 5;
}
`;

const root = new protobuf.Root();
protobuf.parse(TIMESTAMP_PROTO, root, { keepCase: true });
protobuf.parse(METRICS_PROTO, root, { keepCase: true });
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
