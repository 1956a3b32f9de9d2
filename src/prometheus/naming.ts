/**
 * OTel → Prometheus name translation, per the spec's default strategy (`UnderscoreEscapingWithSuffixes`,
 * specification/compatibility/prometheus_and_openmetrics.md): invalid characters become `_`, the UCUM unit
 * becomes a word suffix (`s` → `_seconds`), `{annotations}` are dropped, and monotonic sums end in `_total`.
 */

/** Prometheus family type as written on the `# TYPE` line. */
export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary';

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
 * How OTel names become Prometheus names (spec: the Prometheus exporter's `translation_strategy`):
 * - `UnderscoreEscapingWithSuffixes` (default): invalid characters become `_`; unit and `_total` suffixes added;
 * - `UnderscoreEscapingWithoutSuffixes`: invalid characters become `_`; no suffixes;
 * - `NoUTF8EscapingWithSuffixes`: names keep their UTF-8 characters (`http.server.request.duration_seconds`);
 *   suffixes added;
 * - `NoTranslation`: names as the instrument gives them; no suffixes.
 * Names kept in UTF-8 reach the scraper unchanged only when it asks for `escaping=allow-utf-8`; otherwise they
 * are escaped by the scheme it asks for ({@link escapeName}, underscores by default).
 */
export type TranslationStrategy =
  | 'UnderscoreEscapingWithSuffixes'
  | 'UnderscoreEscapingWithoutSuffixes'
  | 'NoUTF8EscapingWithSuffixes'
  | 'NoTranslation';

/** Every {@link TranslationStrategy}, the default first. */
export const TRANSLATION_STRATEGIES: readonly TranslationStrategy[] = [
  'UnderscoreEscapingWithSuffixes',
  'UnderscoreEscapingWithoutSuffixes',
  'NoUTF8EscapingWithSuffixes',
  'NoTranslation',
];

/**
 * The `escaping=` values of Prometheus content negotiation: how a name outside the legacy character set is
 * written. `allow-utf-8` leaves it as it is (quoted on the line); the others make it legacy-valid.
 */
export type EscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

/** Every {@link EscapingScheme}: the values of `escaping=` that negotiation honours. */
export const ESCAPING_SCHEMES: readonly EscapingScheme[] = ['allow-utf-8', 'underscores', 'dots', 'values'];

/** Whether names under this strategy can hold characters outside the legacy set (so escaping matters). */
export function keepsUtf8(strategy: TranslationStrategy): boolean {
  return strategy === 'NoUTF8EscapingWithSuffixes' || strategy === 'NoTranslation';
}

function addsSuffixes(strategy: TranslationStrategy): boolean {
  return strategy === 'UnderscoreEscapingWithSuffixes' || strategy === 'NoUTF8EscapingWithSuffixes';
}

/**
 * Full family name under the default strategy: sanitized name, unit suffix unless already present, then `_total`
 * for counters. `''` when the name has nothing to represent: no letter or digit is left once it is sanitized and a
 * counter's `_total` is taken off (`''`, `'_total'`, `'…'`); the serializer drops such a metric.
 */
export function familyName(
  name: string,
  unit: string,
  type: PromType,
  strategy: TranslationStrategy = 'UnderscoreEscapingWithSuffixes',
): string {
  let base = keepsUtf8(strategy) ? name : sanitizeMetricName(name);
  const suffixes = addsSuffixes(strategy);
  if (suffixes && type === 'counter' && base.endsWith('_total')) base = base.slice(0, -'_total'.length);
  if (!/[\p{L}\p{N}]/u.test(base)) return '';
  if (!suffixes) return base;
  const suffix = unitSuffix(unit, type);
  if (suffix !== '' && !base.endsWith(`_${suffix}`) && base !== suffix) base = `${base}_${suffix}`;
  return type === 'counter' ? `${base}_total` : base;
}

/**
 * A label name for an attribute key under a strategy: {@link sanitizeLabelName} for the underscore strategies;
 * the key itself for the UTF-8 ones, except that a key the exposition reserves (`le`, `quantile`, `otel_scope_*`,
 * anything starting with `__`) or an empty one still gets the `key_` prefix, so it cannot repeat a label the
 * serializer writes.
 */
export function labelName(key: string, strategy: TranslationStrategy): string {
  if (!keepsUtf8(strategy)) return sanitizeLabelName(key);
  return key === '' || key.startsWith('__') || RESERVED_LABEL.test(key) ? `key_${key}` : key;
}

const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A metric (`label` false) or label name as written under an escaping scheme, per Prometheus's
 * `escaping_schemes.md`: a name already in the legacy set is kept; otherwise `allow-utf-8` quotes it
 * (`"http.server.duration"`), `underscores` turns each invalid character into `_`, `dots` writes `.` as `_dot_`,
 * `_` as `__` and any other invalid character as `__`, and `values` prefixes `U__` and writes each invalid
 * character as `_<hex code point>_` (and `_` as `__`).
 */
export function escapeName(name: string, scheme: EscapingScheme, label = false): string {
  if ((label ? LEGACY_LABEL : LEGACY_METRIC).test(name)) return name;
  if (scheme === 'allow-utf-8') return `"${name.replace(/[\\"\n]/g, quoteChar)}"`;
  let out = scheme === 'values' ? 'U__' : '';
  let i = 0;
  for (const c of name) {
    const valid = /[a-zA-Z_]/.test(c) || (i > 0 && /[0-9]/.test(c)) || (!label && c === ':');
    i++;
    if (scheme === 'underscores') out += valid ? c : '_';
    else if (c === '_') out += '__';
    else if (valid) out += c;
    else if (scheme === 'dots') out += c === '.' ? '_dot_' : '__';
    else out += `_${c.codePointAt(0)!.toString(16)}_`;
  }
  return out;
}

function quoteChar(c: string): string {
  return c === '\n' ? '\\n' : `\\${c}`;
}
