/**
 * OTel → Prometheus name translation, per the spec's default strategy (`UnderscoreEscapingWithSuffixes`,
 * specification/compatibility/prometheus_and_openmetrics.md): invalid characters become `_`, the UCUM unit
 * becomes a word suffix (`s` → `_seconds`), `{annotations}` are dropped, and monotonic sums end in `_total`.
 */

/** Prometheus family type as written on the `# TYPE` line. */
export type PromType = 'counter' | 'gauge' | 'histogram';

const UNIT_WORDS: Readonly<Record<string, string>> = {
  // Time
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  // Bytes
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  // SI
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  // Misc
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** Replaces every character outside `[a-zA-Z0-9_:]` with `_`, collapses runs of `_`, guards a leading digit. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/_{2,}/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/**
 * Label names allow no `:`, and runs of `_` collapse to one, so no label can start with the `__` that Prometheus
 * reserves. A leading digit gets the spec's `key_` prefix, and so does a name the exposition itself uses or
 * reserves (`le` on histogram buckets, `quantile` on summaries, `otel_scope_*` for the scope): an attribute named
 * `le` becomes `key_le`, so it can never repeat a label the serializer adds (Prometheus rejects such a scrape).
 */
export function sanitizeLabelName(key: string): string {
  const s = key.replace(/[^a-zA-Z0-9_]+/g, '_').replace(/_{2,}/g, '_');
  if (s === '' || s === '_') return 'key_';
  return /^[0-9]/.test(s) || RESERVED_LABEL.test(s) ? `key_${s}` : s;
}

// Labels the exposition writes itself. Applied to every family type, so an attribute keeps one label name
// whatever instrument records it.
const RESERVED_LABEL = /^(?:le|quantile|otel_scope_.*)$/;

/**
 * The unit's suffix words (`s` → `seconds`, `By/s` → `bytes_per_second`, `{request}` → ``). Unknown units are
 * kept, sanitized. `1` becomes `ratio` on gauges only, as the spec's worked examples do.
 */
export function unitSuffix(unit: string, type: PromType): string {
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return type === 'gauge' ? 'ratio' : '';
  const slash = u.indexOf('/');
  if (slash === -1) return cleanUnit(UNIT_WORDS[u] ?? u);
  const main = u.slice(0, slash);
  const per = u.slice(slash + 1);
  const mainWord = main === '' || main === '1' ? '' : (UNIT_WORDS[main] ?? main);
  const perWord = per === '' ? '' : (PER_UNIT_WORDS[per] ?? UNIT_WORDS[per] ?? per);
  if (perWord === '') return cleanUnit(mainWord);
  return cleanUnit(mainWord === '' ? `per_${perWord}` : `${mainWord}_per_${perWord}`);
}

function cleanUnit(word: string): string {
  return word
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Full family name: sanitized name, unit suffix unless already present, then `_total` for counters. `''` when the
 * name has nothing to represent: no letter or digit is left once it is sanitized and a counter's `_total` is taken
 * off (`''`, `'_total'`, `'…'`); the serializer drops such a metric.
 */
export function familyName(name: string, unit: string, type: PromType): string {
  let base = sanitizeMetricName(name);
  if (type === 'counter' && base.endsWith('_total')) base = base.slice(0, -'_total'.length);
  if (!/[a-zA-Z0-9]/.test(base)) return '';
  const suffix = unitSuffix(unit, type);
  if (suffix !== '' && !base.endsWith(`_${suffix}`) && base !== suffix) base = `${base}_${suffix}`;
  return type === 'counter' ? `${base}_total` : base;
}
