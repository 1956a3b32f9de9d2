import { ESCAPING_SCHEMES, type EscapingScheme } from './naming.js';
import type { ExpositionFormat } from './serializer.js';

/** Prometheus text format 0.0.4, the format every scraper understands. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** OpenMetrics 1.0 text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The Prometheus protobuf format: varint-delimited `io.prometheus.client.MetricFamily` messages. */
export const PROTOBUF_CONTENT_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** Compressions we produce. */
export type Encoding = 'gzip' | 'deflate';

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

/** What a scrape can be served as: the text formats, and the protobuf format (native histograms). */
export type WireFormat = ExpositionFormat | 'protobuf';

/** One representation an endpoint can serve: a format and its version (`''` for protobuf, which has none). */
export interface Offer {
  readonly format: WireFormat;
  readonly version: string;
}

/** What {@link negotiate} chose, and the `Content-Type` that says exactly that. */
export interface Negotiated {
  readonly format: WireFormat;
  /** `0.0.4`/`1.0.0` for text, `0.0.1`/`1.0.0` for OpenMetrics, `''` for protobuf. */
  readonly version: string;
  /** How names outside the legacy character set are written (only the UTF-8 translation strategies make any). */
  readonly escaping: EscapingScheme;
  readonly contentType: string;
}

/** `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`, the only protobuf Prometheus reads. */
export const PROTOBUF_OFFER: Offer = { format: 'protobuf', version: '' };

/** The text representations, in our order of preference when the client weighs several equally. */
export const TEXT_OFFERS: readonly Offer[] = [
  { format: 'openmetrics', version: '1.0.0' },
  { format: 'openmetrics', version: '0.0.1' },
  { format: 'text', version: '1.0.0' },
  { format: 'text', version: '0.0.4' },
];

/**
 * What the endpoint offers: the text formats first, so a client that weighs protobuf no higher than a text format
 * gets text, which every client parses (Prometheus with native histograms on asks for protobuf first).
 */
export const SERVED_OFFERS: readonly Offer[] = [...TEXT_OFFERS, PROTOBUF_OFFER];

const PROTOBUF_TYPE = 'application/vnd.google.protobuf';
const PROTOBUF_PROTO = 'io.prometheus.client.MetricFamily';
const OPENMETRICS_TYPE = 'application/openmetrics-text';

/**
 * Content negotiation per Prometheus's rules (prometheus/docs `content_negotiation.md`), over what `offers` lists
 * (in our order of preference). Each offer takes the quality of the most specific `Accept` range that names it;
 * the highest quality wins, ties go to the earlier offer. Ranges name an offer by media type and version:
 * `text/plain` without a version means 0.0.4 and `application/openmetrics-text` without one means 0.0.1 (as
 * Prometheus's own client library reads them); protobuf needs `proto=io.prometheus.client.MetricFamily;
 * encoding=delimited`. The wildcards `*\/*` and `text/*` stand for text 0.0.4 only: a client that names none of
 * the newer formats gets the one every scraper parses. Nothing acceptable, no header, unknown types: text 0.0.4 —
 * never a 406 for a scraper.
 *
 * The chosen range's `escaping=` (`allow-utf-8`, `underscores`, `dots`, `values`; others are ignored, as
 * Prometheus does) decides how names outside the legacy character set are written, `underscores` by default;
 * the `Content-Type` then carries it, so it says exactly how the body was written.
 *
 * Prometheus 3 sends `application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,
 * application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,
 * text/plain;version=0.0.4;q=0.3,*\/*;q=0.2`: OpenMetrics 1.0.0 with `escaping=allow-utf-8` wins.
 */
export function negotiate(accept: string | undefined, offers: readonly Offer[] = TEXT_OFFERS): Negotiated {
  const best = offers.map(() => ({
    q: 0,
    specificity: -1,
    escaping: undefined as EscapingScheme | undefined,
  }));
  if (accept !== undefined && accept !== '') {
    for (const range of parseList(accept)) {
      for (let i = 0; i < offers.length; i++) {
        const specificity = matches(range, offers[i]!);
        const b = best[i]!;
        if (
          specificity === -1 ||
          specificity < b.specificity ||
          (specificity === b.specificity && range.q <= b.q)
        )
          continue;
        b.q = range.q;
        b.specificity = specificity;
        const escaping = range.params.get('escaping');
        b.escaping = (ESCAPING_SCHEMES as readonly string[]).includes(escaping ?? '')
          ? (escaping as EscapingScheme)
          : undefined;
      }
    }
  }
  let chosen = -1;
  for (let i = 0; i < offers.length; i++) {
    if (best[i]!.q > 0 && (chosen === -1 || best[i]!.q > best[chosen]!.q)) chosen = i;
  }
  if (chosen === -1) {
    const text = offers.findIndex((o) => o.format === 'text' && o.version === '0.0.4');
    const offer = text === -1 ? (offers[0] ?? { format: 'text', version: '0.0.4' }) : offers[text]!;
    return { ...offer, escaping: 'underscores', contentType: contentType(offer, undefined) };
  }
  const offer = offers[chosen]!;
  const escaping = best[chosen]!.escaping;
  return {
    format: offer.format,
    version: offer.version,
    escaping: escaping ?? 'underscores',
    contentType: contentType(offer, escaping),
  };
}

/** How specifically `range` names `offer`: 2 by type (and version), 1 by `text/*`, 0 by `*\/*`; -1 not at all. */
function matches(range: MediaRange, offer: Offer): number {
  const text04 = offer.format === 'text' && offer.version === '0.0.4';
  switch (range.type) {
    case '*/*':
      return text04 ? 0 : -1;
    case 'text/*':
      return text04 ? 1 : -1;
    case 'text/plain':
      return offer.format === 'text' && (range.params.get('version') ?? '0.0.4') === offer.version ? 2 : -1;
    case OPENMETRICS_TYPE:
      return offer.format === 'openmetrics' && (range.params.get('version') ?? '0.0.1') === offer.version
        ? 2
        : -1;
    case PROTOBUF_TYPE:
      return offer.format === 'protobuf' &&
        range.params.get('proto') === PROTOBUF_PROTO &&
        range.params.get('encoding') === 'delimited'
        ? 2
        : -1;
    default:
      return -1;
  }
}

function contentType(offer: Offer, escaping: EscapingScheme | undefined): string {
  const base =
    offer.format === 'protobuf'
      ? PROTOBUF_CONTENT_TYPE
      : `${offer.format === 'text' ? 'text/plain' : OPENMETRICS_TYPE}; version=${offer.version}; charset=utf-8`;
  return escaping === undefined ? base : `${base}; escaping=${escaping}`;
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
