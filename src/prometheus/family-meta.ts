/**
 * What a Prometheus family is called and how its lines start: its served name, OpenMetrics names, the sample names
 * it claims (for the serializers' conflict rule) and those names as bytes, built once per family.
 */
import { escapeName, type PromType } from './naming.js';

/**
 * A sample name as bytes in both spellings: with labels to follow (`name{`, or `{"name",` for a quoted UTF-8
 * name) and alone (`name`, or `{"name"}`).
 */
export interface SampleName {
  readonly open: Buffer;
  readonly bare: Buffer;
}

export interface FamilyMeta {
  /** The name as served (escaped for the scheme; UTF-8, unquoted, under `allow-utf-8`); text 0.0.4's TYPE name. */
  readonly name: string;
  readonly type: PromType;
  /** An exponential histogram served as a native histogram (protobuf only). */
  readonly native: boolean;
  readonly unit: string;
  /** OpenMetrics family name: a counter's without `_total`. */
  readonly omName: string;
  /** Names this family's lines use besides `name`: its other sample names and its OpenMetrics family name. */
  readonly claims: readonly string[];
  /** Sample names as bytes, built once per family. */
  readonly bytes: {
    /** Text 0.0.4 sample name (counters: as `name`; others: the family name). */
    readonly name: SampleName;
    /** OpenMetrics sample name: a counter's always ends in `_total`. */
    readonly omSample: SampleName;
    readonly bucket: SampleName;
    readonly sum: SampleName;
    readonly count: SampleName;
    readonly created: SampleName;
  };
  /** HELP/TYPE/UNIT lines per format, for the help text they were built with. */
  header?: { readonly help: string; readonly text?: Buffer; readonly om?: Buffer };
}

/** A sample name in both spellings; quoted (`{"a.b"` …) when it is outside the legacy character set. */
function sampleName(name: string): SampleName {
  const written = quoteName(name);
  return written === name
    ? { open: Buffer.from(`${name}{`), bare: Buffer.from(name) }
    : { open: Buffer.from(`{${written},`), bare: Buffer.from(`{${written}}`) };
}

/** A served name as written on a line: unchanged when legacy-valid, else quoted (only under `allow-utf-8`). */
export function quoteName(name: string): string {
  return escapeName(name, 'allow-utf-8');
}

/** Family metadata for a served name: its OpenMetrics names, the names it claims, its sample-name bytes. */
export function buildMeta(name: string, type: PromType, unit: string, native: boolean): FamilyMeta {
  // OpenMetrics names a counter family without `_total` and its sample with it, whatever the strategy did.
  const omName = type === 'counter' && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
  const omSample = type === 'counter' ? `${omName}_total` : name;
  const created = `${omName}_created`;
  const claims =
    type === 'counter'
      ? [omName, omSample, created]
      : type === 'histogram'
        ? [`${name}_bucket`, `${name}_sum`, `${name}_count`, created]
        : type === 'summary'
          ? [`${name}_sum`, `${name}_count`, created]
          : [];
  const sample = sampleName(name);
  return {
    name,
    type,
    native,
    unit,
    omName,
    claims: [...new Set(claims)].filter((n) => n !== name),
    bytes: {
      name: sample,
      omSample: omSample === name ? sample : sampleName(omSample),
      bucket: sampleName(`${name}_bucket`),
      sum: sampleName(`${name}_sum`),
      count: sampleName(`${name}_count`),
      created: sampleName(created),
    },
  };
}
