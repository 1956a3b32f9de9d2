import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { isRecord, type Reader, type Section, show } from '../option-reader.js';
import { EXPORT_ENV } from './options.js';

// The reads the exporters' options need beyond option-reader.ts: options fed by several variables (the
// signal-specific OTLP one before the generic one), durations, enumerations, URLs, `k=v` lists, and the user's
// own readers.

/** Any options object being read: the top level or one exporter's. */
export type Reads = Section<object>;

/** Matches no text: for reads whose variable stays a string. */
export const TEXT = /(?!)/;

/** The first variable feeding `path` that is set, in `EXPORT_ENV` order (the one that wins first). */
export function firstSet(r: Reader, path: string): string | undefined {
  return Object.entries(EXPORT_ENV).find(
    ([name, feeds]) => feeds.split(', ').includes(path) && r.envValue(name) !== undefined,
  )?.[0];
}

/** The option, else its first variable set (a number when the text matches `pattern`). */
export function candidate(s: Reads, key: string, pattern: RegExp) {
  const path = s.source(key);
  return s.r.candidate(path, s.get(key), firstSet(s.r, path), pattern);
}

/** Whole milliseconds ≥ 1 (`ERR_INVALID_LIMIT`). */
export function duration(s: Reads, key: string, fallback: number): number {
  return (
    s.r.checked(
      candidate(s, key, /^\d+$/),
      (n) => Number.isInteger(n) && n >= 1,
      'ERR_INVALID_LIMIT',
      (v) => `${v} is not a duration; use whole milliseconds of at least 1`,
    ) ?? fallback
  );
}

/** One of `allowed` (case-insensitive from a variable). */
export function oneOf<T extends string>(s: Reads, key: string, allowed: readonly T[], fallback: T): T {
  const got = candidate(s, key, TEXT);
  if (got === undefined) return fallback;
  const v = got.source === s.source(key) ? got.value : String(got.value).toLowerCase();
  if (allowed.includes(v as T)) return v as T;
  s.r.report('ERR_INVALID_EXPORT_OPTION', got.source, `${show(v)} is not valid; use ${allowed.join(', ')}`);
  return fallback;
}

export function url(r: Reader, source: string, raw: string, protocols: readonly string[]): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    r.report('ERR_INVALID_URL', source, `${show(raw)} is not an absolute URL such as http://collector:4318`);
    return undefined;
  }
  if (!protocols.includes(parsed.protocol)) {
    r.report('ERR_INVALID_URL', source, `${show(raw)} must use ${protocols.join(' or ')}`);
    return undefined;
  }
  return parsed;
}

/** `k=v,k2=v2` with percent-encoded values (the OTel spec's header and resource-attribute list format). */
export function keyValueList(r: Reader, source: string, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      value = '';
      r.report('ERR_INVALID_EXPORT_OPTION', source, `bad percent-encoding in the value of ${show(key)}`);
    }
    // Header values may be secrets: name the key, never echo the value.
    if (key === '') r.report('ERR_INVALID_EXPORT_OPTION', source, 'must be a comma list of key=value pairs');
    else out[key] = value;
  }
  return out;
}

export function stringRecord(r: Reader, source: string, value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) {
    r.report('ERR_INVALID_EXPORT_OPTION', source, `must be an object of string values, got ${show(value)}`);
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      r.report('ERR_INVALID_EXPORT_OPTION', `${source}.${k}`, 'must be a string');
      return undefined;
    }
  }
  return { ...(value as Record<string, string>) };
}

/** The user's `readers`: objects with every MetricReader method. */
export function resolveReaders(r: Reader, value: unknown): IMetricReader[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    r.report(
      'ERR_INVALID_READER',
      'readers',
      `must be an array of MetricReader instances, got ${show(value)}`,
    );
    return [];
  }
  const readers: IMetricReader[] = [];
  for (const [i, reader] of value.entries()) {
    const ok =
      isRecord(reader) &&
      ['setMetricProducer', 'collect', 'shutdown', 'forceFlush', 'selectAggregationTemporality'].every(
        (m) => typeof reader[m] === 'function',
      );
    if (ok) readers.push(reader as unknown as IMetricReader);
    else {
      r.report(
        'ERR_INVALID_READER',
        `readers[${i}]`,
        'is not a MetricReader (extend MetricReader from @opentelemetry/sdk-metrics 3.x)',
      );
    }
  }
  if (new Set(readers).size !== readers.length)
    r.report(
      'ERR_INVALID_READER',
      'readers',
      'the same reader is listed twice; a reader serves one provider',
    );
  return readers;
}
