/**
 * The parsing primitives every options resolver uses (strings, booleans, numbers, ports, comma lists, buckets,
 * attributes, the "did you mean" hint, deep freeze), so each subsystem's `options.ts` is a list of one-line reads.
 * Explicit option > environment variable > default, with `??` so an explicit `0` or `false` is kept. Nothing here
 * throws: every problem is collected, with a stable code and the option or variable it came from, and
 * `resolveConfig()` throws them all at once.
 *
 * Durations are whole milliseconds, read with `integer()`; limits with `integer()` or `number()`.
 *
 * Why no schema library (zod 4, valibot): measured with `node bench/run.js startup` (docs/benchmarks.md,
 * "Start-up"), importing either costs more at `--import` start-up than the 5 ms budget or sits at its edge
 * before a single schema is built, and neither removes the hand-written part that matters: most inputs are
 * environment strings that need parsing first (`"1,,2"`, `"user:pass"`, `"9464"`), each problem needs our stable
 * code and the name of the option *or* the variable it came from, and cross-field rules (distinct paths, token
 * versus basic auth, shadowed routes, TLS key/cert pairs) are checks a schema library would only wrap.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricsErrorCode, MetricsProblem } from './errors.js';

/** The process environment, or a stand-in for it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Environment variable → the option path it feeds (`OMB_PROMETHEUS_PATH: 'prometheus.path'`). */
export type EnvTable = Readonly<Record<string, string>>;

/** What an option or variable holds before it is checked, and the name to blame when it is wrong. */
interface Candidate {
  readonly value: unknown;
  readonly source: string;
}

/** Reads options and environment variables, collecting problems (and warnings) instead of throwing. */
export class Reader {
  readonly problems: MetricsProblem[] = [];
  /** Not errors, but worth telling: logged through `diag` once the logger is set up. */
  readonly warnings: string[] = [];

  constructor(private readonly env: Env) {}

  report(code: MetricsErrorCode, source: string, message: string): void {
    this.problems.push({ code, source, message });
  }

  /** The variable's trimmed value; `undefined` when unset or blank. */
  envValue(name: string | undefined): string | undefined {
    return name === undefined ? undefined : nonEmpty(this.env[name]?.trim());
  }

  str(option: string, value: unknown, envName?: string): string | undefined {
    if (value !== undefined) {
      if (typeof value !== 'string' || value.trim() === '') {
        this.report('ERR_INVALID_STRING', option, `must be a non-empty string, got ${show(value)}`);
        return undefined;
      }
      return value;
    }
    return this.envValue(envName);
  }

  /**
   * `lenient` follows the spec for OTEL_SDK_DISABLED: only `true` (any case) is true, anything else is false
   * with a warning, never an error.
   */
  bool(option: string, value: unknown, envName: string | undefined, fallback: boolean, lenient = false) {
    if (value !== undefined) {
      if (typeof value === 'boolean') return value;
      this.report('ERR_INVALID_BOOLEAN', option, `must be true or false, got ${show(value)}`);
      return fallback;
    }
    const raw = this.envValue(envName)?.toLowerCase();
    if (raw === undefined || envName === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (lenient) {
      this.warnings.push(
        `otel-metrics-bootstrap: ${envName}=${show(raw)} is not "true" or "false"; treating it as false`,
      );
      return false;
    }
    this.report('ERR_INVALID_BOOLEAN', envName, `must be "true" or "false", got ${show(raw)}`);
    return fallback;
  }

  /**
   * The option's value, else its variable's: a number when the text matches `pattern`, else the text itself so
   * the message shows what was written. `undefined` when neither is set.
   */
  candidate(option: string, value: unknown, envName: string | undefined, pattern: RegExp) {
    if (value !== undefined) return { value, source: option } satisfies Candidate;
    const raw = this.envValue(envName);
    if (raw === undefined || envName === undefined) return undefined;
    return { value: pattern.test(raw) ? Number(raw) : raw, source: envName } satisfies Candidate;
  }

  /** A number that passes `ok`, else reports `problem(shown value)` under `code` and returns `undefined`. */
  checked(
    c: Candidate | undefined,
    ok: (n: number) => boolean,
    code: MetricsErrorCode,
    problem: (shown: string) => string,
  ): number | undefined {
    if (c === undefined) return undefined;
    if (typeof c.value === 'number' && ok(c.value)) return c.value;
    this.report(code, c.source, problem(show(c.value)));
    return undefined;
  }

  /** A finite number ≥ `min` (an integer when `integer`), reported as `ERR_INVALID_LIMIT`. */
  limit(option: string, value: unknown, envName: string | undefined, integer: boolean, min: number) {
    return this.checked(
      this.candidate(option, value, envName, /^\d+(\.\d+)?$/),
      (n) => Number.isFinite(n) && n >= min && (!integer || Number.isInteger(n)),
      'ERR_INVALID_LIMIT',
      (v) => `${v} is not valid; use ${integer ? 'an integer' : 'a number'} of at least ${min}`,
    );
  }

  /** A TCP port, 0–65535; a wrong variable is shown as written. */
  port(option: string, value: unknown, envName: string, fallback: number): number {
    const fix = 'use an integer from 0 to 65535 (0 picks a free port)';
    const inRange = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
    if (value !== undefined) {
      if (typeof value === 'number' && inRange(value)) return value;
      this.report('ERR_INVALID_PORT', option, `${show(value)} is not a port; ${fix}`);
      return fallback;
    }
    const raw = this.envValue(envName);
    if (raw === undefined) return fallback;
    if (/^\d{1,5}$/.test(raw) && inRange(Number(raw))) return Number(raw);
    this.report('ERR_INVALID_PORT', envName, `${show(raw)} is not a port; ${fix}`);
    return fallback;
  }

  /** A list option, or a comma-separated environment variable; `undefined` when neither is set. */
  list(option: string, value: unknown, envName: string | undefined, code: MetricsErrorCode) {
    if (value !== undefined) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        this.report(code, option, `must be an array of strings, got ${show(value)}`);
        return undefined;
      }
      return [...(value as string[])];
    }
    const raw = this.envValue(envName);
    return raw === undefined ? undefined : commaList(raw).filter((s) => s !== '');
  }

  buckets(source: string, value: unknown): number[] | undefined {
    if (!Array.isArray(value) || value.length === 0) {
      this.report('ERR_INVALID_BUCKETS', source, `must be a non-empty array of numbers, got ${show(value)}`);
      return undefined;
    }
    const bad = value.findIndex((b) => typeof b !== 'number' || !Number.isFinite(b));
    if (bad !== -1) {
      this.report(
        'ERR_INVALID_BUCKETS',
        source,
        `boundary ${bad} is ${show(value[bad])}; boundaries must be finite numbers`,
      );
      return undefined;
    }
    for (let i = 1; i < value.length; i++) {
      if (value[i] <= value[i - 1]) {
        this.report(
          'ERR_INVALID_BUCKETS',
          source,
          `boundaries must be strictly increasing, but ${value[i]} follows ${value[i - 1]} at index ${i}`,
        );
        return undefined;
      }
    }
    return [...value];
  }

  /** Attribute values: strings, numbers and booleans only. */
  attributes(source: string, value: unknown): Attributes {
    if (value === undefined) return {};
    if (!isRecord(value)) {
      this.report(
        'ERR_INVALID_RESOURCE_ATTRIBUTES',
        source,
        `must be an object of attribute values, got ${show(value)}`,
      );
      return {};
    }
    const out: Attributes = {};
    for (const [k, v] of Object.entries(value)) {
      if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v as string | number | boolean;
      else
        this.report(
          'ERR_INVALID_RESOURCE_ATTRIBUTES',
          `${source}.${k}`,
          `must be a string, number or boolean`,
        );
    }
    return out;
  }

  /**
   * Opens an options object at `path` (`''` for the top level). `value` must be an object (or `undefined`);
   * anything else is reported with `shape`, the sentence saying what is accepted.
   */
  section<D extends object>(path: string, value: unknown, shape: string, envTable: EnvTable, defaults: D) {
    let opts: Record<string, unknown> = {};
    if (value !== undefined) {
      if (isRecord(value)) opts = value;
      else this.report('ERR_INVALID_CONFIG', path, `${shape}, got ${show(value)}`);
    }
    return new Section(this, path, opts, envTable, defaults);
  }
}

/**
 * One options object being read. Each read names a key; the option path, its environment variable (from the
 * subsystem's env table) and its default (from the subsystem's defaults) follow from it, and the key counts as
 * known. `close()` then reports the keys nobody read, with the nearest known name, ahead of the section's other
 * problems.
 */
export class Section<D extends object> {
  private readonly known = new Set<string>();
  private readonly start: number;

  constructor(
    readonly r: Reader,
    readonly path: string,
    private readonly opts: Record<string, unknown>,
    private readonly envTable: EnvTable,
    readonly defaults: D,
  ) {
    this.start = r.problems.length;
  }

  /** The option as given (unchecked); marks `key` as a known option. */
  get(key: string): unknown {
    this.known.add(key);
    return this.opts[key];
  }

  /** `prometheus.port`, or `port` at the top level. */
  source(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** The variable feeding `key`, if it has one. */
  envName(key: string): string | undefined {
    const path = this.source(key);
    return Object.keys(this.envTable).find((name) => this.envTable[name] === path);
  }

  /** The trimmed text of the variable feeding `key`. */
  env(key: string): string | undefined {
    return this.r.envValue(this.envName(key));
  }

  str(key: string): string | undefined {
    return this.r.str(this.source(key), this.get(key), this.envName(key));
  }

  /**
   * The option's value, else its variable's, when it is one of `allowed`; `undefined` when neither is set.
   * Anything else is reported under `code` as "… is not <what>; use one of …", blaming the option or variable.
   */
  oneOf<T extends string>(
    key: string,
    allowed: readonly T[],
    code: MetricsErrorCode,
    what: string,
  ): T | undefined {
    const option = this.get(key);
    const value = option ?? this.env(key);
    if (value === undefined) return undefined;
    if (allowed.includes(value as T)) return value as T;
    this.r.report(
      code,
      option !== undefined ? this.source(key) : (this.envName(key) ?? this.source(key)),
      `${show(value)} is not ${what}; use one of ${allowed.join(', ')}`,
    );
    return undefined;
  }

  bool(key: keyof D & string): boolean {
    return this.r.bool(this.source(key), this.get(key), this.envName(key), this.defaults[key] as boolean);
  }

  /** An integer ≥ `min`, e.g. a size in bytes or a duration in milliseconds (`ERR_INVALID_LIMIT`). */
  integer(key: keyof D & string, min: number): number {
    return this.r.limit(this.source(key), this.get(key), this.envName(key), true, min) ?? this.defaultOf(key);
  }

  /** A finite number ≥ `min`, fractions allowed (`ERR_INVALID_LIMIT`). */
  number(key: keyof D & string, min: number): number {
    return (
      this.r.limit(this.source(key), this.get(key), this.envName(key), false, min) ?? this.defaultOf(key)
    );
  }

  list(key: string, code: MetricsErrorCode): string[] | undefined {
    return this.r.list(this.source(key), this.get(key), this.envName(key), code);
  }

  private defaultOf(key: keyof D): number {
    return this.defaults[key] as number;
  }

  /** Reports every key no read asked for, placed before the problems found inside the section. */
  close(): void {
    const unknown: MetricsProblem[] = Object.keys(this.opts)
      .filter((key) => !this.known.has(key))
      .map((key) => ({
        code: 'ERR_UNKNOWN_OPTION',
        source: this.source(key),
        message: `unknown option${suggest(key, this.known)}`,
      }));
    this.r.problems.splice(this.start, 0, ...unknown);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** `"a, b"` → `['a', 'b']` (entries trimmed, empty ones kept). */
export function commaList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim());
}

/** A value as the messages quote it: strings in quotes, objects as JSON. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}

/** " (did you mean `port`?)" for a near-miss option name; edit distance ≤ 2. */
export function suggest(key: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best ? ` (did you mean \`${best}\`?)` : '';
}

/** Levenshtein edit distance; also used by the testing kit to suggest the nearest metric names. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/** Freezes `value` and everything reachable from it, except the objects in `skip` (the user's own). */
export function deepFreeze<T>(value: T, skip: ReadonlySet<unknown>): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !skip.has(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v, skip);
  }
  return value;
}
