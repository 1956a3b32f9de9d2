import type { Attributes } from '@opentelemetry/api';
import { isAttributeValue } from '../measurement-guard.js';
import { sanitizeLabelName } from './naming.js';

/**
 * Label string for an attribute set, in the order of its keys. Keys become label names by
 * {@link sanitizeLabelName}; when two keys give the same label, their values are joined with `;` in the
 * lexicographical order of the original keys (spec: MUST). Values follow {@link attributeString}: one that is not
 * a valid attribute value, or that cannot be read (a throwing getter), leaves its label out. `names` caches
 * label names per key; `translate` turns a key into the label name as written (the translation strategy and
 * escaping scheme, `sanitizeLabelName` by default). Never throws: what cannot be read is left out.
 */
export function labelString(
  attributes: Attributes,
  names?: Map<string, string>,
  translate: (key: string) => string = sanitizeLabelName,
): string {
  let keys: string[];
  try {
    keys = Object.keys(attributes);
  } catch {
    return '';
  }
  // Label → [original key, value] pairs, in first-seen order of the labels.
  const labels = new Map<string, [string, string][]>();
  for (const key of keys) {
    let value: string | undefined;
    try {
      value = attributeString(attributes[key]);
    } catch {
      value = undefined;
    }
    if (value === undefined) continue;
    let label = names?.get(key);
    if (label === undefined) {
      label = translate(key);
      names?.set(key, label);
    }
    const entries = labels.get(label);
    if (entries) entries.push([key, value]);
    else labels.set(label, [[key, value]]);
  }
  let out = '';
  for (const [label, entries] of labels) {
    // Rare: several keys share a label.
    if (entries.length > 1) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const value = entries.length === 1 ? entries[0]![1] : entries.map((e) => e[1]).join(';');
    out += `${out === '' ? '' : ','}${label}="${escapeLabelValue(value)}"`;
  }
  return out;
}

/**
 * An attribute value as label text: strings as they are, numbers and booleans as JavaScript prints them, arrays
 * of those as JSON (`["a","b"]`). Anything else (BigInt, objects, functions, symbols, arrays holding anything
 * but primitives, `null`, `undefined`) is not an OTel attribute value: `undefined`, and the label is left out.
 */
export function attributeString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isAttributeValue(value)) return undefined;
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

// `\`, `"` and newline have escapes in every text format; no other control character has one that every parser
// reads (Prometheus's own text parser rejects `\r`), and a raw CR or NEL splits the line for parsers that read
// with universal newlines (Python's). So those are replaced by U+FFFD, the Unicode replacement character.
const LABEL_ESCAPES = /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LABEL_ESCAPES_ALL = /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const HELP_ESCAPES = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const HELP_ESCAPES_OM = /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeChar(c: string): string {
  return c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '\n' ? '\\n' : '\ufffd';
}

/**
 * A label value as the text formats want it: `\`, `"` and newline escaped, every other control character (C0,
 * DEL, C1) and U+2028/U+2029 replaced by U+FFFD.
 */
export function escapeLabelValue(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(LABEL_ESCAPES_ALL, escapeChar);
}

/** HELP text: as label values, but `"` only in OpenMetrics (text 0.0.4 has no escape for it in HELP). */
export function escapeHelp(help: string, om: boolean): string {
  return help.replace(om ? HELP_ESCAPES_OM : HELP_ESCAPES, escapeChar);
}

/** Prometheus float syntax: `NaN`, `+Inf`, `-Inf`, otherwise JavaScript's shortest round-trip form. */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/**
 * Resource attribute keys to copy onto every series: those matching an `include` pattern (every key when
 * `include` is not given) and no `exclude` pattern. `*` matches any run of characters, `?` any one.
 */
export interface ResourceConstantLabels {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

/** The label name, or `key_<name>` when it would repeat a constant label. */
export function reserveLabel(label: string, reserved: ReadonlySet<string>): string {
  return reserved.has(label) ? `key_${label}` : label;
}

/** A predicate for resource attribute keys from include/exclude patterns; `undefined` when nothing is copied. */
export function keyFilter(spec: ResourceConstantLabels | undefined): ((key: string) => boolean) | undefined {
  if (spec === undefined) return undefined;
  const glob = (p: string) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
  const include = spec.include?.map(glob);
  const exclude = (spec.exclude ?? []).map(glob);
  return (key) =>
    (include === undefined || include.some((r) => r.test(key))) && !exclude.some((r) => r.test(key));
}
