import type { Attributes } from '@opentelemetry/api';
import { MetricsError } from '../errors.js';
import { sanitizeLabelName } from '../prometheus/naming.js';
import { ATTR_OTEL_METRIC_OVERFLOW, PROM_LE_LABEL, PROM_QUANTILE_LABEL } from '../semconv.js';
import type { InstrumentKind } from './instrument.js';

/** OTel attribute keys as Prometheus can carry them: a letter or `_` first, then letters, digits, `_`, `.`. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,254}$/;

/**
 * Why `key` cannot be an attribute (label) key of a `kind` instrument, or `undefined` when it can: invalid
 * characters, the `__` prefix Prometheus reserves, `le` on histograms and timers, `quantile` on summaries, and
 * `otel.metric.overflow`, which marks the overflow series.
 */
export function labelNameProblem(key: string, kind: InstrumentKind): string | undefined {
  if (!LABEL_NAME.test(key))
    return 'use a letter or "_" first, then letters, digits, "_" or "." (at most 255 characters)';
  if (key.startsWith('__')) return 'names starting with "__" are reserved by Prometheus';
  if (key === ATTR_OTEL_METRIC_OVERFLOW) return 'it marks the overflow series and is set only by the SDK';
  // Compared as written: the exposition would rename these to `key_le`/`key_quantile` (src/prometheus/naming.ts),
  // but on the instruments API they are refused at creation, where the mistake is made.
  if ((kind === 'histogram' || kind === 'timer') && key === PROM_LE_LABEL)
    return '"le" holds the bucket bound of histogram samples';
  if (kind === 'summary' && key === PROM_QUANTILE_LABEL)
    return '"quantile" holds the quantile of summary samples';
  return undefined;
}

/**
 * Checks declared label keys and constant attributes at creation (setup time) and throws one `MetricsError`
 * (`ERR_INVALID_LABEL`) listing every problem: invalid or reserved names, duplicates, two keys that become the
 * same Prometheus label (`a.b` and `a_b`), and constant attributes that are not strings, finite numbers or
 * booleans.
 */
export function checkLabels(
  instrument: string,
  kind: InstrumentKind,
  labels: unknown,
  constAttributes: Attributes,
): readonly string[] | undefined {
  const problems: { code: 'ERR_INVALID_LABEL'; source: string; message: string }[] = [];
  const report = (source: string, message: string) =>
    problems.push({ code: 'ERR_INVALID_LABEL', source: `${instrument}: ${source}`, message });
  const seen = new Map<string, string>();
  const check = (key: string, source: string) => {
    const problem = labelNameProblem(key, kind);
    if (problem !== undefined) report(source, `${JSON.stringify(key)} is not a valid label name: ${problem}`);
    const label = sanitizeLabelName(key);
    const other = seen.get(label);
    if (other !== undefined)
      report(
        source,
        other === key
          ? `${JSON.stringify(key)} is given twice`
          : `${JSON.stringify(key)} and ${JSON.stringify(other)} both become the Prometheus label "${label}"; rename one`,
      );
    seen.set(label, key);
  };
  for (const [key, value] of Object.entries(constAttributes)) {
    check(key, 'attributes');
    if (
      typeof value !== 'string' &&
      typeof value !== 'boolean' &&
      !(typeof value === 'number' && Number.isFinite(value))
    )
      report(
        'attributes',
        `the value of ${JSON.stringify(key)} must be a string, a finite number or a boolean`,
      );
  }
  let declared: string[] | undefined;
  if (labels !== undefined) {
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
      report('labels', 'must be an array of attribute keys');
    } else {
      declared = [...labels];
      for (const key of declared) check(key, 'labels');
    }
  }
  if (problems.length > 0) throw new MetricsError(problems);
  return declared;
}
