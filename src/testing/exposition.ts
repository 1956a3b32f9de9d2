import { AssertionError } from 'node:assert';
import { distance } from '../option-reader.js';
import { close } from './assertions.js';
import { ExactAttributes, matchesAttributes } from './snapshot.js';

/** One sample line: `name{labels} value [timestamp]`. */
export interface ExpositionSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp?: number;
  /** The OpenMetrics exemplar on the line (` # {trace_id="…"} value [timestamp]`), if any. */
  readonly exemplar?: {
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
    readonly timestamp?: number;
  };
  /** 1-based line number in the text. */
  readonly line: number;
}

/** A metric family: its `# TYPE`/`# HELP`/`# UNIT` metadata and its samples. */
export interface ExpositionFamily {
  /** As written on `# TYPE` (OpenMetrics names a counter family without `_total`), else the sample name. */
  readonly name: string;
  /** `counter`, `gauge`, `histogram`, `summary`, `info`, `stateset`, `gaugehistogram`, `unknown` or `untyped`. */
  readonly type: string;
  readonly help?: string;
  readonly unit?: string;
  readonly samples: readonly ExpositionSample[];
}

const TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);

/** Sample-name suffixes each family type may use, besides the bare family name. */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;

/**
 * Parses Prometheus text 0.0.4/1.0.0 or OpenMetrics 1.0 text into families, enough to assert on what an endpoint
 * serves: metadata lines, samples with escaped label values, special values (`+Inf`, `NaN`), timestamps,
 * OpenMetrics exemplars, and UTF-8 metric and label names in Prometheus 3's quoted syntax
 * (`{"http.server.duration","http.route"="/"} 1`, `# TYPE "http.server.duration" histogram`). It also reports what makes Prometheus reject a scrape: a malformed line, a duplicate
 * `# TYPE`/`# HELP`, a family whose lines are split by another family, duplicate label names, and content after
 * `# EOF`. Throws `SyntaxError` listing every problem with its line number.
 *
 * It is deliberately small; to validate an exposition fully, use `promtool check metrics`.
 */
export function parseExposition(text: string): ExpositionFamily[] {
  const problems: string[] = [];
  const families = new Map<
    string,
    { name: string; type: string; help?: string; unit?: string; samples: ExpositionSample[]; closed: boolean }
  >();
  let current: string | undefined;
  let eof = false;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();

  const enter = (name: string, line: number) => {
    if (current === name) return families.get(name)!;
    if (current !== undefined) families.get(current)!.closed = true;
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: 'untyped', samples: [], closed: false };
      families.set(name, family);
    } else if (family.closed) {
      problems.push(`line ${line}: lines of family "${name}" are split by another family`);
      family.closed = false;
    }
    current = name;
    return family;
  };

  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (eof) {
      problems.push(`line ${line}: content after # EOF`);
      return;
    }
    if (text.trim() === '') return;
    if (text.startsWith('#')) {
      if (text === '# EOF') {
        eof = true;
        return;
      }
      const meta = /^#\s+(HELP|TYPE|UNIT)\s+("(?:[^"\\]|\\.)*"|\S+)(?:\s(.*))?$/.exec(text);
      if (meta === null) return; // any other comment is allowed in text 0.0.4
      const [, keyword, written, rest = ''] = meta as unknown as [
        string,
        'HELP' | 'TYPE' | 'UNIT',
        string,
        string?,
      ];
      const name = written.startsWith('"') ? unquote(written.slice(1, -1)) : written;
      if (name === undefined || (!written.startsWith('"') && NAME.exec(name)?.[0] !== name)) {
        problems.push(`line ${line}: invalid metric name ${JSON.stringify(written)}`);
        return;
      }
      const family = enter(name, line);
      if (keyword === 'TYPE') {
        const type = rest.trim();
        if (!TYPES.has(type)) problems.push(`line ${line}: unknown type "${type}" for "${name}"`);
        if (family.type !== 'untyped' || family.samples.length > 0) {
          problems.push(`line ${line}: duplicate or late # TYPE for "${name}"`);
        }
        family.type = type;
      } else if (keyword === 'HELP') {
        if (family.help !== undefined) problems.push(`line ${line}: duplicate # HELP for "${name}"`);
        family.help = unescapeHelp(rest);
      } else {
        if (family.unit !== undefined) problems.push(`line ${line}: duplicate # UNIT for "${name}"`);
        family.unit = rest.trim();
      }
      return;
    }
    const parsed = parseSample(text, line);
    if (typeof parsed === 'string') {
      problems.push(`line ${line}: ${parsed}`);
      return;
    }
    const owner = ownerOf(parsed.name, current === undefined ? undefined : families.get(current), families);
    enter(owner, line).samples.push(parsed);
  });

  if (problems.length > 0) {
    throw new SyntaxError(`the exposition does not parse:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return [...families.values()].map(({ closed: _closed, ...family }) => family);
}

/** The family a sample belongs to: the current family if the name fits it, else a declared one, else its own. */
function ownerOf(
  sample: string,
  current: { name: string; type: string } | undefined,
  families: ReadonlyMap<string, { name: string; type: string }>,
): string {
  const fits = (f: { name: string; type: string }) =>
    sample === f.name || (SUFFIXES[f.type] ?? []).some((s) => sample === f.name + s);
  if (current && fits(current)) return current.name;
  for (const f of families.values()) if (fits(f)) return f.name;
  return sample;
}

function parseSample(text: string, line: number): ExpositionSample | string {
  let name = text.startsWith('{') ? undefined : NAME.exec(text)?.[0];
  if (name === undefined && !text.startsWith('{')) return `not a sample or comment: ${JSON.stringify(text)}`;
  let i = name?.length ?? 0;
  const labels: Record<string, string> = {};
  if (text[i] === '{') {
    const block = parseLabels(text, i + 1, name === undefined);
    if (typeof block === 'string') return block;
    i = block.end;
    Object.assign(labels, block.labels);
    name ??= block.name;
    if (name === undefined) return 'a sample without a metric name';
  }
  const sampleName = name!;
  // Value, optional timestamp, optional OpenMetrics exemplar (` # {…} v [ts]`).
  const hash = text.indexOf(' # ', i);
  const rest = hash === -1 ? text.slice(i) : text.slice(i, hash);
  if (!/^[ \t]/.test(rest)) return `expected a space before the value of "${sampleName}"`;
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length > 2) return `unexpected text after the value of "${sampleName}"`;
  const value = parseFloatValue(fields[0] ?? '');
  if (value === undefined) return `invalid value ${JSON.stringify(fields[0])} for "${sampleName}"`;
  const sample: { -readonly [K in keyof ExpositionSample]: ExpositionSample[K] } = {
    name: sampleName,
    labels,
    value,
    line,
  };
  if (fields[1] !== undefined) {
    const ts = parseFloatValue(fields[1]);
    if (ts === undefined || !Number.isFinite(ts)) return `invalid timestamp ${JSON.stringify(fields[1])}`;
    sample.timestamp = ts;
  }
  if (hash !== -1) {
    const exemplar = parseExemplar(text.slice(hash + 3));
    if (typeof exemplar === 'string') return `${exemplar} on "${sampleName}"`;
    sample.exemplar = exemplar;
  }
  return sample;
}

/**
 * The label block from `text[start]` (just after `{`) to its `}`. With `nameFirst`, a leading quoted string not
 * followed by `=` is the metric name (Prometheus 3's `{"my.metric",…}`). Label names may be quoted too.
 */
function parseLabels(
  text: string,
  start: number,
  nameFirst: boolean,
): { labels: Record<string, string>; name?: string; end: number } | string {
  const labels: Record<string, string> = {};
  let name: string | undefined;
  let i = start;
  let first = true;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, name, end: i + 1 };
    let label: string | undefined;
    if (text[i] === '"') {
      const quoted = readQuoted(text, i + 1);
      if (typeof quoted === 'string') return quoted;
      label = quoted.value;
      i = quoted.end;
      while (text[i] === ' ') i++;
      if (first && nameFirst && text[i] !== '=') {
        name = label;
        first = false;
        if (text[i] === ',') i++;
        else if (text[i] !== '}') return `expected "," or "}" after the metric name "${name}"`;
        continue;
      }
    } else {
      label = LABEL_NAME.exec(text.slice(i))?.[0];
      if (label === undefined) return `invalid label name at column ${i + 1}`;
      i += label.length;
    }
    first = false;
    while (text[i] === ' ') i++;
    if (text[i] !== '=' || text[i + 1] !== '"') return `expected ="…" after label "${label}"`;
    const value = readQuoted(text, i + 2);
    if (typeof value === 'string') return `${value} in label "${label}"`;
    i = value.end;
    if (Object.hasOwn(labels, label)) return `duplicate label "${label}"`;
    labels[label] = value.value;
    while (text[i] === ' ') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return `expected "," or "}" after label "${label}"`;
  }
}

/** A quoted string's text from `text[start]` (just after the opening `"`), unescaped; `end` is after the closing `"`. */
function readQuoted(text: string, start: number): { value: string; end: number } | string {
  let value = '';
  let i = start;
  for (;;) {
    const c = text[i];
    if (c === undefined) return 'unterminated quoted string';
    i++;
    if (c === '"') return { value, end: i };
    if (c === '\\') {
      const e = text[i++];
      if (e === 'n') value += '\n';
      else if (e === '\\' || e === '"') value += e;
      else return `invalid escape "\\${e ?? ''}"`;
    } else value += c;
  }
}

/** The inside of a quoted name on a metadata line, unescaped; `undefined` when an escape is invalid. */
function unquote(inner: string): string | undefined {
  const read = readQuoted(`${inner}"`, 0);
  return typeof read === 'string' ? undefined : read.value;
}

/** `{labels} value [timestamp]` after an exemplar's `# `. */
function parseExemplar(text: string): NonNullable<ExpositionSample['exemplar']> | string {
  if (!text.startsWith('{')) return 'an exemplar without labels';
  const block = parseLabels(text, 1, false);
  if (typeof block === 'string') return `exemplar: ${block}`;
  const fields = text
    .slice(block.end)
    .trim()
    .split(/[ \t]+/);
  const value = parseFloatValue(fields[0] ?? '');
  if (value === undefined || fields.length > 2)
    return `invalid exemplar value ${JSON.stringify(fields.join(' '))}`;
  if (fields[1] === undefined) return { labels: block.labels, value };
  const timestamp = parseFloatValue(fields[1]);
  if (timestamp === undefined) return `invalid exemplar timestamp ${JSON.stringify(fields[1])}`;
  return { labels: block.labels, value, timestamp };
}

function parseFloatValue(s: string): number | undefined {
  if (FLOAT.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^\+?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  return undefined;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => (c === 'n' ? '\n' : c === '\\' || c === '"' ? c : m));
}

/**
 * Which samples a lookup selects: a plain object matches samples whose labels include those (a subset, like a
 * PromQL matcher); `exactly({...})` matches only samples with exactly those labels.
 */
export type LabelFilter = Readonly<Record<string, string>> | ExactAttributes;

/** What `toHaveFamily` may check besides presence. */
export interface FamilyExpectation {
  type?: string;
  help?: string;
  unit?: string;
}

/** Chainable assertions on one exposition; each throws `AssertionError` on failure and returns `this` otherwise. */
export interface ExpositionAssertions {
  /** Every family parsed, in order. */
  readonly families: readonly ExpositionFamily[];
  /** A family by name (a counter also answers to its name with or without `_total`). */
  family(name: string): ExpositionFamily | undefined;
  /** Samples with this exact sample name whose labels include `labels`. */
  samples(name: string, labels?: LabelFilter): ExpositionSample[];
  /** A family with this name exists (and has the given type, HELP text, unit). */
  toHaveFamily(name: string, expected?: FamilyExpectation): this;
  /**
   * A sample with this name (e.g. `orders_placed_total`, `checkout_duration_seconds_bucket`) whose labels include
   * `labels` exists; with `value`, exactly one such sample exists and has that value (within 1e-9 relative).
   */
  toHaveSample(name: string, labels?: LabelFilter, value?: number): this;
  /** The negations. */
  readonly not: {
    toHaveFamily(name: string): ExpositionAssertions;
    toHaveSample(name: string, labels?: LabelFilter): ExpositionAssertions;
  };
}

/**
 * Parses an exposition (Prometheus text or OpenMetrics, e.g. the body of a `/metrics` response) and returns
 * assertions on it. Throws `AssertionError` at once if it does not parse.
 *
 * ```ts
 * const body = await (await fetch(handle.metricsUrl!)).text();
 * expectExposition(body)
 *   .toHaveFamily('orders_placed_total', { type: 'counter' })
 *   .toHaveSample('orders_placed_total', { payment_method: 'card' }, 2);
 * ```
 */
export function expectExposition(text: string): ExpositionAssertions {
  let families: ExpositionFamily[];
  try {
    families = parseExposition(text);
  } catch (err) {
    throw new AssertionError({ message: (err as Error).message, stackStartFn: expectExposition });
  }
  const family = (name: string) =>
    families.find((f) => f.name === name) ??
    families.find((f) => f.type === 'counter' && (f.name === `${name}_total` || `${f.name}_total` === name));
  const samples = (name: string, labels: LabelFilter = {}) =>
    families.flatMap((f) => f.samples.filter((s) => s.name === name && matchesAttributes(s.labels, labels)));
  const allSamples = () => families.flatMap((f) => f.samples);
  const fail = (message: string, fn: (...args: never[]) => unknown): never => {
    throw new AssertionError({ message, stackStartFn: fn });
  };

  const api: ExpositionAssertions = {
    families,
    family,
    samples,
    toHaveFamily(name, expected = {}) {
      const f = family(name);
      if (f === undefined) {
        fail(
          `expected a family named ${q(name)} in the exposition, but there is none.\n` +
            nearest(
              name,
              families.map((x) => ({ key: x.name, label: `${x.name} (${x.type})` })),
              'families',
            ),
          api.toHaveFamily,
        );
        return api;
      }
      const wrong: string[] = [];
      if (expected.type !== undefined && f.type !== expected.type) wrong.push(`type ${f.type}`);
      if (expected.help !== undefined && f.help !== expected.help) wrong.push(`HELP ${q(f.help ?? '')}`);
      if (expected.unit !== undefined && f.unit !== expected.unit) wrong.push(`UNIT ${q(f.unit ?? '')}`);
      if (wrong.length > 0) {
        const want = [
          expected.type !== undefined && `type ${expected.type}`,
          expected.help !== undefined && `HELP ${q(expected.help)}`,
          expected.unit !== undefined && `UNIT ${q(expected.unit)}`,
        ].filter(Boolean);
        fail(
          `expected family ${q(f.name)} to have ${want.join(', ')}, but it has ${wrong.join(', ')}.`,
          api.toHaveFamily,
        );
      }
      return api;
    },
    toHaveSample(name, labels = {}, value) {
      const named = allSamples().filter((s) => s.name === name);
      if (named.length === 0) {
        const names = [...new Set(allSamples().map((s) => s.name))];
        fail(
          `expected a sample named ${q(name)} in the exposition, but there is none.\n` +
            nearest(
              name,
              names.map((n) => ({ key: n, label: n })),
              'sample names',
            ),
          api.toHaveSample,
        );
      }
      const matched = samples(name, labels);
      if (matched.length === 0) {
        fail(
          `expected a sample ${q(name)} with labels ${formatLabels(labels)}, but none of its ` +
            `${named.length} samples has them.\nSamples present:\n${sampleList(named)}`,
          api.toHaveSample,
        );
      }
      if (value !== undefined) {
        if (matched.length > 1) {
          fail(
            `expected one sample ${q(name)}${matching(labels)} to compare with ${value}, but ` +
              `${matched.length} match; add labels to pick one.\nMatching samples:\n${sampleList(matched)}`,
            api.toHaveSample,
          );
        }
        const s = matched[0]!;
        if (!close(s.value, value)) {
          fail(
            `expected sample ${s.name}${formatLabels(s.labels)} (line ${s.line}) to be ${value}, but it is ${s.value}.`,
            api.toHaveSample,
          );
        }
      }
      return api;
    },
    not: {
      toHaveFamily(name) {
        const f = family(name);
        if (f !== undefined) {
          fail(
            `expected no family named ${q(name)} in the exposition, but there is one ` +
              `(${f.type}, ${f.samples.length} samples).`,
            api.not.toHaveFamily,
          );
        }
        return api;
      },
      toHaveSample(name, labels = {}) {
        const matched = samples(name, labels);
        if (matched.length > 0) {
          fail(
            `expected no sample ${q(name)}${matching(labels)}, but found ${matched.length}:\n` +
              sampleList(matched),
            api.not.toHaveSample,
          );
        }
        return api;
      },
    },
  };
  return api;
}

function nearest(name: string, candidates: { key: string; label: string }[], what: string): string {
  if (candidates.length === 0) return `The exposition holds no ${what}.`;
  const ranked = candidates
    .map((c) => ({ c, d: distance(name, c.key) }))
    .sort((a, b) => a.d - b.d || (a.c.key < b.c.key ? -1 : 1));
  const lines = ranked.slice(0, 5).map(({ c }) => `  ${c.label}`);
  if (ranked.length > 5) lines.push(`  … and ${ranked.length - 5} more`);
  return `Nearest ${what}:\n${lines.join('\n')}`;
}

const MAX_SAMPLES_LISTED = 10;

function sampleList(samples: readonly ExpositionSample[]): string {
  const lines = samples
    .slice(0, MAX_SAMPLES_LISTED)
    .map((s) => `  ${s.name}${formatLabels(s.labels)} ${s.value} (line ${s.line})`);
  if (samples.length > MAX_SAMPLES_LISTED) lines.push(`  … and ${samples.length - MAX_SAMPLES_LISTED} more`);
  return lines.join('\n');
}

function formatLabels(labels: LabelFilter): string {
  const exact = labels instanceof ExactAttributes;
  const entries = Object.entries(exact ? labels.attributes : labels);
  const parts = entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${exact ? 'exactly ' : ''}{${parts.join(',')}}`;
}

function matching(labels: LabelFilter): string {
  const exact = labels instanceof ExactAttributes;
  return !exact && Object.keys(labels).length === 0 ? '' : ` matching ${formatLabels(labels)}`;
}

function q(s: string): string {
  return JSON.stringify(s);
}
