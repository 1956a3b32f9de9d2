import { readFileSync } from 'node:fs';
import { diag } from '@opentelemetry/api';
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

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/;
const QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;

/**
 * The JSON view of one OpenMetrics exposition. Built from the exposition itself, not from the SDK data, so the
 * page shows exactly the names, labels and values the scrape of the same collection serves (including what the
 * serializer renamed, dropped or marked as overflow).
 */
export function metricsView(exposition: string, time: number): MetricsView {
  const families: ViewFamily[] = [];
  let family: ViewFamily | undefined;
  // Histogram and summary samples of one series arrive on several lines; they meet under their label set.
  let grouped = new Map<string, ViewSeries>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('# ')) {
      const [, keyword, name, rest = ''] = /^# (\w+) (\S+) ?(.*)$/.exec(line) ?? [];
      if (name === undefined) continue;
      if (family?.name !== name) {
        family = { name, type: 'unknown', unit: '', help: '', series: [] };
        families.push(family);
        grouped = new Map();
      }
      if (keyword === 'TYPE') family.type = rest;
      else if (keyword === 'UNIT') family.unit = rest;
      else if (keyword === 'HELP') family.help = unescapeHelp(rest);
      continue;
    }
    const sample = parseSample(line);
    if (sample === undefined || family === undefined) continue;
    const suffix = sample.name.startsWith(family.name) ? sample.name.slice(family.name.length) : '';
    addSample(family, grouped, suffix, sample);
  }
  for (const f of families) if (f.type === 'histogram') for (const s of f.series) finishHistogram(s);
  return { time, families };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function addSample(
  family: ViewFamily,
  grouped: Map<string, ViewSeries>,
  suffix: string,
  sample: Sample,
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

/** `name{a="x",b="y"} value [timestamp] [# exemplar]`. */
function parseSample(line: string): Sample | undefined {
  const name = SAMPLE.exec(line)?.[1];
  if (name === undefined) return undefined;
  const labels: Record<string, string> = {};
  let i = name.length;
  if (line[i] === '{') {
    i++;
    while (i < line.length && line[i] !== '}') {
      const eq = line.indexOf('="', i);
      if (eq === -1) return undefined;
      const key = line.slice(i, eq);
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\') {
          j++;
          value += line[j] === 'n' ? '\n' : line[j];
        } else value += line[j];
      }
      labels[key] = value;
      i = j + 1;
      if (line[i] === ',') i++;
    }
    i++;
  }
  const raw = line.slice(i).trim().split(' ')[0] ?? '';
  const value =
    raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
  return { name, labels, value };
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** JSON has no NaN or infinities. */
function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

const ASSETS = new URL('./ui/', import.meta.url);
let page: string | undefined;

/**
 * The live page, one self-contained HTML document: its styles and script are inlined from `ui/` (copied next
 * to this module by the build) together with the test kit's `bucketQuantile`, so the browser computes windowed
 * percentiles with the very code the JSON view and the tests use. Read once; `undefined` (reported once) when
 * the files are missing, which only a broken install can cause. `dataPath` is where its JSON view is served.
 */
export function uiPage(dataPath: string): string | undefined {
  if (page === undefined) page = readPage();
  const attr = dataPath.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return page === '' ? undefined : page.replace('__DATA_PATH__', () => attr);
}

function readPage(): string {
  try {
    const read = (file: string) => readFileSync(new URL(file, ASSETS), 'utf8');
    return read('index.html')
      .replace('/*STYLE*/', () => read('style.css'))
      .replace('/*SCRIPT*/', () => `${bucketQuantile.toString()}\n${read('app.js')}`);
  } catch (err) {
    diag.error('otel-metrics-bootstrap: the live metrics page is missing from the package', err);
    return '';
  }
}
