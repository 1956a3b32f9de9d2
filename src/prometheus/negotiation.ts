import type { WireFormat } from './protobuf.js';

/** Prometheus text format 0.0.4, the format every scraper understands. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** OpenMetrics 1.0 text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The Prometheus protobuf format: varint-delimited `io.prometheus.client.MetricFamily` messages. */
export const PROTOBUF_CONTENT_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

export const CONTENT_TYPES: Readonly<Record<WireFormat, string>> = {
  text: TEXT_CONTENT_TYPE,
  openmetrics: OPENMETRICS_CONTENT_TYPE,
  protobuf: PROTOBUF_CONTENT_TYPE,
};

/** Compressions we produce. */
export type Encoding = 'gzip' | 'deflate';

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

/**
 * Picks the exposition format for an `Accept` header. Protobuf (`application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily;encoding=delimited`) is chosen when the client ranks it above every
 * text format: Prometheus asks for it first when native histograms are on (2.42: q=1 against OpenMetrics'
 * 0.8). OpenMetrics is chosen when the client names
 * `application/openmetrics-text` (version 1.0.0, 0.0.1 — which Prometheus 2 asks for and which this output
 * also satisfies — or no version) with a quality at least as high as any text alternative; everything else,
 * including no header, `*\/*` and unknown types, gets text 0.0.4 (the issue's rule: never 406 a scraper).
 *
 * Prometheus 3 sends e.g. `application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,
 * application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,
 * text/plain;version=0.0.4;q=0.3,*\/*;q=0.2`: OpenMetrics 1.0 wins. The `escaping` parameter needs nothing
 * from us: names are always translated to the legacy character set, which every escaping scheme accepts.
 */
export function negotiateFormat(accept: string | undefined): WireFormat {
  if (accept === undefined || accept === '') return 'text';
  let openMetrics = 0;
  let text = 0;
  let protobuf = 0;
  for (const range of parseList(accept)) {
    if (range.q <= 0) continue;
    if (range.type === 'application/vnd.google.protobuf') {
      if (
        range.params.get('proto')?.toLowerCase() === 'io.prometheus.client.metricfamily' &&
        range.params.get('encoding') === 'delimited'
      ) {
        protobuf = Math.max(protobuf, range.q);
      }
    } else if (range.type === 'application/openmetrics-text') {
      const version = range.params.get('version');
      if (version === undefined || version === '1.0.0' || version === '0.0.1') {
        openMetrics = Math.max(openMetrics, range.q);
      }
    } else if (range.type === 'text/plain' || range.type === 'text/*' || range.type === '*/*') {
      text = Math.max(text, range.q);
    }
  }
  // Protobuf only when ranked strictly highest: on a tie the text formats, which every client can read, win.
  if (protobuf > 0 && protobuf > openMetrics && protobuf > text) return 'protobuf';
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'text';
}

/**
 * Picks a compression for an `Accept-Encoding` header: the acceptable one (q > 0) with the highest quality,
 * gzip on a tie (every scraper has it; deflate is here for the rare client that only asks for it). `*` stands
 * for any coding the header does not name. `undefined` means identity.
 */
export function negotiateEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (acceptEncoding === undefined || acceptEncoding === '') return undefined;
  let gzip: number | undefined;
  let deflate: number | undefined;
  let any: number | undefined;
  for (const range of parseList(acceptEncoding)) {
    if (range.type === 'gzip' || range.type === 'x-gzip') gzip = Math.max(gzip ?? 0, range.q);
    else if (range.type === 'deflate') deflate = Math.max(deflate ?? 0, range.q);
    else if (range.type === '*') any = Math.max(any ?? 0, range.q);
  }
  const g = gzip ?? any ?? 0;
  const d = deflate ?? any ?? 0;
  if (g <= 0 && d <= 0) return undefined;
  return g >= d ? 'gzip' : 'deflate';
}

/** A comma list of `token;param=value;q=0.5` items, lower-cased, quotes removed from parameter values. */
function parseList(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const item of header.split(',')) {
    const parts = item.split(';');
    const type = parts[0]!.trim().toLowerCase();
    if (type === '') continue;
    const params = new Map<string, string>();
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      if (eq === -1) continue;
      const key = part.slice(0, eq).trim().toLowerCase();
      const value = part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (key === 'q') {
        const n = Number(value);
        // RFC 9110 qvalues are 0…1; anything unparsable counts as "not acceptable" rather than "best".
        q = value !== '' && Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
      } else {
        params.set(key, value);
      }
    }
    out.push({ type, params, q });
  }
  return out;
}
