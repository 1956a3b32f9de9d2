import { diag } from '@opentelemetry/api';
import { type ExpositionFamily, type ExpositionSample, parseExposition } from '../testing/exposition.js';
import { bucketQuantile } from '../testing/quantile.js';

/** One series of a family in the JSON view: a value, or a histogram/summary's count, sum and buckets. */
export interface ViewSeries {
  labels: Record<string, string>;
  /** Counter total, gauge or unknown value; `null` for NaN. */
  value?: number | null;
  count?: number;
  sum?: number | null;
  /** Histograms: the finite upper bounds and the per-bucket (not cumulative) counts, `+Inf` last. */
  bounds?: number[];
  counts?: number[];
  /** Histograms: p50/p95/p99 since the start, by `histogram_quantile()`'s rules; summaries: their quantiles. */
  quantiles?: Record<string, number | null>;
}

/** One metric family as the scrape showed it. */
export interface ViewFamily {
  name: string;
  type: string;
  unit: string;
  help: string;
  series: ViewSeries[];
}

/** The JSON view the live page polls. */
export interface MetricsView {
  /** When the view was made, in ms since the epoch. */
  time: number;
  families: ViewFamily[];
}

const QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;

/**
 * The JSON view of one OpenMetrics exposition. Built from the exposition itself (read by the test kit's parser),
 * not from the SDK data, so the page shows exactly the names, labels and values the scrape of the same
 * collection serves (including what the serializer renamed, dropped or marked as overflow). An exposition the
 * parser rejects, which only a serializer bug can produce, shows as an empty page, reported once.
 */
export function metricsView(exposition: string, time: number): MetricsView {
  let parsed: ExpositionFamily[];
  try {
    parsed = parseExposition(exposition);
  } catch (err) {
    if (!warned)
      diag.warn(`otel-metrics-bootstrap: the live page cannot read the exposition: ${String(err)}`);
    warned = true;
    return { time, families: [] };
  }
  const families = parsed.map((f) => {
    const family: ViewFamily = {
      name: f.name,
      type: f.type,
      unit: f.unit ?? '',
      help: f.help ?? '',
      series: [],
    };
    // Histogram and summary samples of one series arrive on several lines; they meet under their label set.
    const grouped = new Map<string, ViewSeries>();
    for (const sample of f.samples) addSample(family, grouped, sample.name.slice(f.name.length), sample);
    if (family.type === 'histogram') for (const series of family.series) finishHistogram(series);
    return family;
  });
  return { time, families };
}

let warned = false;

function addSample(
  family: ViewFamily,
  grouped: Map<string, ViewSeries>,
  suffix: string,
  sample: ExpositionSample,
): void {
  const { value } = sample;
  if (suffix === '_created') return;
  const labels = { ...sample.labels };
  const le = labels['le'];
  const quantile = family.type === 'summary' ? labels['quantile'] : undefined;
  delete labels['le'];
  if (quantile !== undefined) delete labels['quantile'];
  const key = JSON.stringify(labels);
  let series = grouped.get(key);
  if (series === undefined) {
    series = { labels };
    if (family.type === 'histogram') Object.assign(series, { bounds: [], counts: [] });
    if (family.type === 'summary') series.quantiles = {};
    grouped.set(key, series);
    family.series.push(series);
  }
  if (suffix === '_count') series.count = value;
  else if (suffix === '_sum') series.sum = finite(value);
  else if (suffix === '_bucket' && le !== undefined) {
    // Cumulative for now; finishHistogram() turns them into per-bucket counts.
    series.bounds?.push(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));
    series.counts?.push(value);
  } else if (quantile !== undefined && series.quantiles) series.quantiles[quantile] = finite(value);
  else series.value = finite(value);
}

function finishHistogram(series: ViewSeries): void {
  const cumulative = series.counts ?? [];
  const counts = cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!));
  series.counts = counts;
  series.bounds = (series.bounds ?? []).filter((b) => b !== Number.POSITIVE_INFINITY);
  series.quantiles = {};
  for (const [name, q] of Object.entries(QUANTILES)) {
    series.quantiles[name] = finite(bucketQuantile(q, series.bounds, counts));
  }
}

/** JSON has no NaN or infinities. */
function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
