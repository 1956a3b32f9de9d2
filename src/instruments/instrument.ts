import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { Clock } from '../clock.js';
import type { SeriesBudget, Stream } from '../http/series.js';
import { ATTR_OTEL_METRIC_OVERFLOW } from '../semconv.js';
import type { HistogramSnapshot } from './histogram.js';
import { labelNameProblem } from './labels.js';
import type { Problems, ProblemType } from './problems.js';
import type { SummarySnapshot } from './summary.js';

/** The instrument kinds of the instruments API. */
export type InstrumentKind = 'counter' | 'gauge' | 'histogram' | 'summary' | 'timer';

/** Options every instrument takes. */
export interface InstrumentOptions {
  /** Human-readable description (Prometheus `# HELP`). Default: the instrument name. */
  description?: string;
  /** UCUM unit (`s`, `By`, `{order}`); becomes the Prometheus suffix (`_seconds`, `_bytes`). Default none. */
  unit?: string;
  /**
   * The attribute (label) keys this instrument accepts. Any other key given at record time is dropped and
   * reported once; a declared key left out is simply absent. Default: any key is accepted. Declaring them also
   * makes labelled calls faster (the lookup follows the declared order).
   */
  labels?: readonly string[];
}

/** What an instrument shares with the others of its instruments API. */
export interface InstrumentContext {
  readonly problems: Problems;
  /** Series budget of the API (`maxSeries`). */
  readonly budget: SeriesBudget;
  readonly valueLengthLimit: number;
  /** Attributes on every series (`withAttributes()`, `createInstruments({ attributes })`), validated. */
  readonly constAttributes: Readonly<Attributes>;
  readonly clock: Clock;
}

/** One series read back: its attributes and value (counters, gauges) or distribution (histograms, summaries). */
export type SeriesReading =
  | { readonly attributes: Attributes; readonly value: number }
  | ({ readonly attributes: Attributes } & HistogramSnapshot)
  | ({ readonly attributes: Attributes } & SummarySnapshot);

/** The leaf marker of a lookup path when labels are not declared (paths then have variable length). */
const LEAF = Symbol('series');
type Node = Map<unknown, unknown>;

/**
 * What every instrument does with attributes: finds the series for an attribute object without hashing it,
 * and on a miss builds the series' attributes (constant attributes, declared keys only, valid values,
 * truncated strings) and asks the stream for the series, which applies the allow-list, the cardinality limit
 * and the API's series budget.
 *
 * The lookup is a tree of Maps keyed by attribute values in the declared label order (by key, then value,
 * when labels are not declared). Map lookups of strings use the hash V8 caches in the string, so a call with
 * literal values costs a few `Map#get`s and allocates nothing; the attribute key string the SDK builds per
 * call is what this avoids. Overflow results are not cached (each such call is counted), and at most
 * `4 × cardinalityLimit` paths are cached per instrument, so values that fold into one series (truncation,
 * dropped keys) cannot grow memory without bound.
 */
export abstract class Instrument<S extends { readonly attributes: Attributes }> {
  abstract readonly kind: InstrumentKind;
  private readonly root: Node = new Map();
  private cached = 0;
  private readonly maxCached: number;
  private readonly declared: ReadonlySet<string> | undefined;
  protected baseSeries: S | undefined;

  constructor(
    /** The full instrument name (namespace and subsystem included). */
    readonly name: string,
    protected readonly stream: Stream<S>,
    protected readonly context: InstrumentContext,
    /** Declared label keys, in lookup order; `undefined` accepts any key. */
    readonly labels: readonly string[] | undefined,
  ) {
    this.maxCached = 4 * stream.descriptor.cardinalityLimit;
    this.declared = labels ? new Set(labels) : undefined;
  }

  /** The series of `attributes` (the constant attributes alone when `undefined`), created if needed. */
  protected series(attributes: Attributes | undefined): S {
    if (attributes === undefined) return this.baseSeries ?? this.miss(undefined);
    const labels = this.labels;
    let node: unknown = this.root;
    if (labels !== undefined) {
      for (let i = 0; i < labels.length; i++) {
        node = (node as Node).get(attributes[labels[i]!]);
        if (node === undefined) return this.miss(attributes);
      }
      return node as S;
    }
    for (const key in attributes) {
      node = (node as Node).get(key);
      if (node === undefined) return this.miss(attributes);
      node = (node as Node).get(attributes[key]);
      if (node === undefined) return this.miss(attributes);
    }
    return ((node as Node).get(LEAF) as S | undefined) ?? this.miss(attributes);
  }

  /** The existing series of `attributes`, without creating one or reporting anything. */
  protected peek(attributes: Attributes | undefined): S | undefined {
    if (attributes === undefined && this.baseSeries) return this.baseSeries;
    return this.stream.find(this.attributesOf(attributes, false));
  }

  /** Every series of this instrument read back, the overflow series last. */
  readings(): SeriesReading[] {
    return Array.from(this.stream.all(), (s) => this.read(s));
  }

  /** The stream behind this instrument (for the registry). @internal */
  streamOf(): Stream<S> {
    return this.stream;
  }

  protected abstract read(series: S): SeriesReading;

  protected problem(type: ProblemType, detail: string): void {
    this.context.problems.report(this.name, type, detail);
  }

  private miss(attributes: Attributes | undefined): S {
    const series = this.stream.resolve(this.attributesOf(attributes, true));
    if (series.attributes[ATTR_OTEL_METRIC_OVERFLOW] === true) {
      this.problem(
        'overflow',
        `a new attribute set went to the overflow series (otel.metric.overflow=true): the instrument's cardinality limit (${this.stream.descriptor.cardinalityLimit}) or the instruments API's maxSeries (${this.context.budget.max}) is reached`,
      );
      return series;
    }
    if (attributes === undefined) {
      this.baseSeries = series;
      return series;
    }
    if (this.cached >= this.maxCached) return series;
    this.cached++;
    let node = this.root;
    const step = (key: unknown): Node => {
      let next = node.get(key) as Node | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(key, next);
      }
      return next;
    };
    const labels = this.labels;
    if (labels !== undefined) {
      for (let i = 0; i < labels.length - 1; i++) node = step(attributes[labels[i]!]);
      if (labels.length === 0) this.baseSeries = series;
      else node.set(attributes[labels[labels.length - 1]!], series);
      return series;
    }
    for (const key in attributes) {
      node = step(key);
      node = step(attributes[key]);
    }
    node.set(LEAF, series);
    return series;
  }

  /**
   * The series' attributes: constant attributes, then the given ones (declared keys only, in declared order),
   * with invalid values dropped and long strings truncated. Constant attributes win over given ones.
   */
  private attributesOf(attributes: Attributes | undefined, report: boolean): Attributes {
    const out: Attributes = {};
    if (attributes !== undefined) {
      const limit = this.context.valueLengthLimit;
      const keys = this.labels ?? Object.keys(attributes);
      for (const key of keys) {
        let value: AttributeValue | undefined = attributes[key];
        if (value === undefined) continue;
        if (this.labels === undefined) {
          const problem = labelNameProblem(key, this.kind);
          if (problem !== undefined) {
            if (report) this.problem('invalid_label', `attribute ${JSON.stringify(key)} dropped: ${problem}`);
            continue;
          }
        }
        if (typeof value === 'string') {
          if (value.length > limit) {
            if (report)
              this.problem(
                'truncated_value',
                `a value of attribute ${JSON.stringify(key)} was longer than ${limit} characters and was truncated (valueLengthLimit, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT)`,
              );
            value = value.slice(0, limit);
          }
        } else if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
          if (report)
            this.problem(
              'invalid_label',
              `attribute ${JSON.stringify(key)} dropped: its value must be a string, a finite number or a boolean`,
            );
          continue;
        }
        out[key] = value;
      }
      if (report && this.declared !== undefined) {
        for (const key in attributes) {
          if (!this.declared.has(key) && attributes[key] !== undefined)
            this.problem(
              'undeclared_label',
              `attribute ${JSON.stringify(key)} is not among the declared labels (${[...this.declared].join(', ')}) and was dropped`,
            );
        }
      }
    }
    return Object.keys(out).length === 0
      ? { ...this.context.constAttributes }
      : { ...this.context.constAttributes, ...out, ...this.context.constAttributes };
  }
}
