import { type Attributes, type AttributeValue, diag } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { PROM_SCOPE_NAME, PROM_SCOPE_SCHEMA_URL, PROM_SCOPE_VERSION, PROM_TARGET_INFO } from '../semconv.js';
import { familyName, type PromType, sanitizeLabelName, unitSuffix } from './naming.js';

/** `text` is the Prometheus text format 0.0.4; `openmetrics` is OpenMetrics 1.0 text. */
export type ExpositionFormat = 'text' | 'openmetrics';

export interface SerializerOptions {
  /** Emit `target_info` with the resource attributes. Default `true`. */
  readonly targetInfo?: boolean;
  /** Add `otel_scope_name` / `otel_scope_version` / `otel_scope_schema_url` labels. Default `true`. */
  readonly scopeInfo?: boolean;
  /** Approximate size of each yielded chunk, in UTF-16 code units. Default 64 KiB. */
  readonly chunkSize?: number;
}

interface FamilyMeta {
  readonly name: string;
  readonly type: PromType;
  readonly unit: string;
}

interface Family {
  readonly meta: FamilyMeta;
  readonly help: string;
  readonly members: { readonly scopeLabels: string; readonly metric: MetricData }[];
}

/**
 * Turns one collection into Prometheus text 0.0.4 or OpenMetrics 1.0, written by hand because the upstream
 * serializer is the slow part of an OTel scrape (126 of 137 ms at 10k series) and breaks the spec on suffixes
 * and duplicate HELP/TYPE. What is expensive and stable across scrapes is computed once and cached: family
 * names per (name, unit, type), label strings per attribute object (the SDK hands out the same attributes
 * object for a series on every collection), scope label strings and `le` strings.
 *
 * One instance per endpoint; not safe to share between threads (there are none in Node).
 */
export class PrometheusSerializer {
  private readonly targetInfo: boolean;
  private readonly scopeInfo: boolean;
  private readonly chunkSize: number;
  private readonly familyCache = new Map<string, FamilyMeta>();
  private readonly labelCache = new WeakMap<Attributes, string>();
  private readonly scopeCache = new Map<string, string>();
  private readonly leCache = new WeakMap<readonly number[], string[]>();
  private readonly targetInfoCache = new WeakMap<Resource, string>();
  private readonly warned = new Set<string>();

  constructor(options: SerializerOptions = {}) {
    this.targetInfo = options.targetInfo ?? true;
    this.scopeInfo = options.scopeInfo ?? true;
    this.chunkSize = options.chunkSize ?? 65536;
  }

  /** The whole exposition as one string. */
  serialize(resourceMetrics: ResourceMetrics, format: ExpositionFormat = 'text'): string {
    let out = '';
    for (const chunk of this.chunks(resourceMetrics, format)) out += chunk;
    return out;
  }

  /** The exposition in chunks of about `chunkSize`, so a caller can write and yield between them. */
  *chunks(
    resourceMetrics: ResourceMetrics,
    format: ExpositionFormat = 'text',
  ): Generator<string, void, undefined> {
    const om = format === 'openmetrics';
    let buf = '';
    if (this.targetInfo) buf += this.targetInfoText(resourceMetrics.resource, om);

    for (const family of this.families(resourceMetrics).values()) {
      buf += this.header(family, om);
      for (const { scopeLabels, metric } of family.members) {
        buf += this.samples(family.meta, scopeLabels, metric, om);
        if (buf.length >= this.chunkSize) {
          yield buf;
          buf = '';
        }
      }
    }
    if (om) buf += '# EOF\n';
    if (buf !== '') yield buf;
  }

  /** Groups metrics by Prometheus family name across scopes, so each family gets one HELP/TYPE (spec: MUST). */
  private families(resourceMetrics: ResourceMetrics): Map<string, Family> {
    const families = new Map<string, Family>();
    for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
      const scopeLabels = this.scopeInfo ? this.scopeLabels(scope) : '';
      for (const metric of metrics) {
        if (metric.dataPoints.length === 0) continue;
        const meta = this.familyMeta(metric);
        if (meta === undefined) continue;
        const existing = families.get(meta.name);
        if (existing === undefined) {
          // Without a description, HELP names the OTel instrument: linters (promtool) want HELP on every family,
          // and the original name is what a reader needs to find the instrument in code.
          families.set(meta.name, {
            meta,
            help: metric.descriptor.description || metric.descriptor.name,
            members: [{ scopeLabels, metric }],
          });
        } else if (existing.meta.type !== meta.type) {
          this.warnOnce(
            `conflict:${meta.name}`,
            `metric "${metric.descriptor.name}" from scope "${scope.name}" maps to Prometheus family "${meta.name}" ` +
              `as a ${meta.type}, but that family is already a ${existing.meta.type}; dropping it (rename one of them)`,
          );
        } else {
          existing.members.push({ scopeLabels, metric });
        }
      }
    }
    return families;
  }

  private familyMeta(metric: MetricData): FamilyMeta | undefined {
    const { name, unit } = metric.descriptor;
    let type: PromType;
    switch (metric.dataPointType) {
      case DataPointType.SUM:
        type = metric.isMonotonic ? 'counter' : 'gauge';
        break;
      case DataPointType.GAUGE:
        type = 'gauge';
        break;
      case DataPointType.HISTOGRAM:
        type = 'histogram';
        break;
      default:
        this.warnOnce(
          `exp:${name}`,
          `metric "${name}" uses an exponential histogram, which the Prometheus text formats cannot carry; ` +
            'dropping it (use an explicit-bucket view for this instrument)',
        );
        return undefined;
    }
    const key = `${name}\u0000${unit}\u0000${type}`;
    let meta = this.familyCache.get(key);
    if (meta === undefined) {
      meta = { name: familyName(name, unit, type), type, unit: unitSuffix(unit, type) };
      if (meta.name === PROM_TARGET_INFO) {
        this.warnOnce(`target_info:${name}`, `metric "${name}" would shadow target_info; dropping it`);
        return undefined;
      }
      this.familyCache.set(key, meta);
    }
    return meta;
  }

  private header(family: Family, om: boolean): string {
    const { name, type, unit } = family.meta;
    // OpenMetrics names the counter family without `_total`; the samples keep it.
    const metaName = om && type === 'counter' ? name.slice(0, -'_total'.length) : name;
    let out = '';
    if (family.help !== '') out += `# HELP ${metaName} ${escapeHelp(family.help, om)}\n`;
    out += `# TYPE ${metaName} ${type}\n`;
    // OpenMetrics requires the family name to end with the unit when UNIT is given.
    if (om && unit !== '' && metaName.endsWith(`_${unit}`)) out += `# UNIT ${metaName} ${unit}\n`;
    return out;
  }

  private samples(meta: FamilyMeta, scopeLabels: string, metric: MetricData, om: boolean): string {
    let out = '';
    const name = meta.name;
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      for (const point of metric.dataPoints) {
        const labels = this.joinLabels(scopeLabels, this.attributeLabels(point.attributes));
        out += this.histogramLines(name, labels, point.value, om);
      }
      return out;
    }
    if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
      for (const point of metric.dataPoints) {
        const labels = this.joinLabels(scopeLabels, this.attributeLabels(point.attributes));
        out += `${name}${labels === '' ? '' : `{${labels}}`} ${formatValue(point.value)}\n`;
      }
    }
    return out;
  }

  private histogramLines(name: string, labels: string, h: Histogram, om: boolean): string {
    const { boundaries, counts } = h.buckets;
    const les = this.leStrings(boundaries, om);
    const sep = labels === '' ? '' : ',';
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < boundaries.length; i++) {
      cumulative += counts[i] ?? 0;
      out += `${name}_bucket{${labels}${sep}le="${les[i]}"} ${cumulative}\n`;
    }
    out += `${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}\n`;
    const braces = labels === '' ? '' : `{${labels}}`;
    // A histogram whose instrument saw negative values has no sum; OpenMetrics then forbids _sum entirely.
    if (h.sum !== undefined) out += `${name}_sum${braces} ${formatValue(h.sum)}\n`;
    out += `${name}_count${braces} ${h.count}\n`;
    return out;
  }

  private leStrings(boundaries: readonly number[], om: boolean): string[] {
    let les = om ? undefined : this.leCache.get(boundaries);
    if (les === undefined) {
      // OpenMetrics wants canonical floats (`1.0`, not `1`) so `le` values compare as strings across scrapes.
      les = boundaries.map((b) => (om && Number.isInteger(b) ? b.toFixed(1) : formatValue(b)));
      if (!om) this.leCache.set(boundaries, les);
    }
    return les;
  }

  private joinLabels(scopeLabels: string, attrLabels: string): string {
    if (scopeLabels === '') return attrLabels;
    return attrLabels === '' ? scopeLabels : `${scopeLabels},${attrLabels}`;
  }

  /** `k="v",…` for one attribute set, cached by object identity. */
  private attributeLabels(attributes: Attributes): string {
    let s = this.labelCache.get(attributes);
    if (s === undefined) {
      s = labelString(attributes);
      this.labelCache.set(attributes, s);
    }
    return s;
  }

  private scopeLabels(scope: InstrumentationScope): string {
    const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    let s = this.scopeCache.get(key);
    if (s === undefined) {
      s = `${PROM_SCOPE_NAME}="${escapeLabelValue(scope.name)}"`;
      if (scope.version) s += `,${PROM_SCOPE_VERSION}="${escapeLabelValue(scope.version)}"`;
      if (scope.schemaUrl) s += `,${PROM_SCOPE_SCHEMA_URL}="${escapeLabelValue(scope.schemaUrl)}"`;
      this.scopeCache.set(key, s);
    }
    return s;
  }

  private targetInfoText(resource: Resource, om: boolean): string {
    let body = om ? undefined : this.targetInfoCache.get(resource);
    if (body === undefined) {
      const labels = labelString(resource.attributes);
      const type = om ? 'info' : 'gauge';
      // OpenMetrics info families are named without `_info`; the sample carries it.
      const metaName = om ? 'target' : PROM_TARGET_INFO;
      body =
        `# HELP ${metaName} Target metadata\n# TYPE ${metaName} ${type}\n` +
        `${PROM_TARGET_INFO}${labels === '' ? '' : `{${labels}}`} 1\n`;
      if (!om) this.targetInfoCache.set(resource, body);
    }
    return body;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    diag.warn(`otel-metrics-bootstrap: ${message}`);
  }
}

/**
 * Label string for an attribute set. Keys are sanitized; when two keys sanitize to the same label, their values
 * are joined with `;` in the order of the original keys (spec: MUST).
 */
export function labelString(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  const merged = new Map<string, { key: string; value: string }[]>();
  for (const key of keys) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    const label = sanitizeLabelName(key);
    const list = merged.get(label);
    const entry = { key, value: attributeString(value) };
    if (list) list.push(entry);
    else merged.set(label, [entry]);
  }
  let out = '';
  for (const [label, entries] of merged) {
    if (entries.length > 1) entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const value = entries.map((e) => e.value).join(';');
    out += `${out === '' ? '' : ','}${label}="${escapeLabelValue(value)}"`;
  }
  return out;
}

function attributeString(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

const LABEL_ESCAPES = /[\\"\n]/;

/** Escapes `\`, `"` and newline, the three characters the text formats forbid raw in label values. */
export function escapeLabelValue(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: `\` and newline in text 0.0.4; OpenMetrics also escapes `"`. */
function escapeHelp(help: string, om: boolean): string {
  const s = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return om ? s.replace(/"/g, '\\"') : s;
}

/** Prometheus float syntax: `NaN`, `+Inf`, `-Inf`, otherwise JavaScript's shortest round-trip form. */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}
