import { describe, expect, it } from 'vitest';
import {
  negotiate,
  negotiateEncoding,
  PROTOBUF_OFFER,
  SERVED_OFFERS,
  TEXT_OFFERS,
} from '../../src/prometheus/negotiation.js';

/** The format the endpoint serves for an `Accept` header. */
const negotiateFormat = (accept: string | undefined) => negotiate(accept, SERVED_OFFERS).format;

describe('negotiateFormat', () => {
  it('gives text 0.0.4 without an Accept header, for */* and for types it does not produce', () => {
    expect(negotiateFormat(undefined)).toBe('text');
    expect(negotiateFormat('*/*')).toBe('text');
    expect(negotiateFormat('application/json')).toBe('text');
    expect(negotiateFormat('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily')).toBe(
      'text',
    );
  });

  it('gives OpenMetrics for version 1.0.0, 0.0.1 or no version', () => {
    expect(negotiateFormat('application/openmetrics-text; version=1.0.0')).toBe('openmetrics');
    expect(negotiateFormat('application/openmetrics-text;version=0.0.1')).toBe('openmetrics');
    expect(negotiateFormat('Application/OpenMetrics-Text')).toBe('openmetrics');
    expect(negotiateFormat('application/openmetrics-text; version=2.0.0')).toBe('text');
  });

  it('follows quality values, as in the headers Prometheus 2 and 3 send', () => {
    expect(
      negotiateFormat(
        'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      ),
    ).toBe('openmetrics');
    expect(
      negotiateFormat(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
    ).toBe('openmetrics');
    expect(negotiateFormat('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=0')).toBe('text');
  });
});

describe('negotiateEncoding', () => {
  it('picks gzip, then deflate, by quality, and identity when none is acceptable', () => {
    expect(negotiateEncoding(undefined)).toBeUndefined();
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('deflate')).toBe('deflate');
    expect(negotiateEncoding('gzip, deflate, br')).toBe('gzip');
    expect(negotiateEncoding('gzip;q=0.5, deflate')).toBe('deflate');
    expect(negotiateEncoding('gzip;q=0')).toBeUndefined();
    expect(negotiateEncoding('br, identity')).toBeUndefined();
    expect(negotiateEncoding('*')).toBe('gzip');
    expect(negotiateEncoding('*, gzip;q=0')).toBe('deflate');
    expect(negotiateEncoding('x-gzip')).toBe('gzip');
  });
});

const OM_1 = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT_004 = 'text/plain; version=0.0.4; charset=utf-8';
const PROTOBUF =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const PB_RANGE = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

// Accept headers as real scrapers send them (Prometheus's scrape code and config.DefaultScrapeProtocols,
// VictoriaMetrics' lib/promscrape/client.go, curl, Chrome, Firefox).
const SCRAPERS: readonly (readonly [string, string | undefined, string, string])[] = [
  [
    'Prometheus 2.x',
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    OM_1,
    OM_1,
  ],
  [
    'Prometheus 2.x with native histograms (protobuf first)',
    `${PB_RANGE},application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`,
    OM_1,
    PROTOBUF,
  ],
  [
    'Prometheus 3.x (UTF-8 names allowed)',
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    `${OM_1}; escaping=allow-utf-8`,
    `${OM_1}; escaping=allow-utf-8`,
  ],
  [
    'Prometheus 3.x with escaping on every range',
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2',
    `${OM_1}; escaping=allow-utf-8`,
    `${OM_1}; escaping=allow-utf-8`,
  ],
  [
    'Prometheus 3.x with metric_name_escaping_scheme: dots',
    'application/openmetrics-text;version=1.0.0;escaping=dots;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=dots;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    `${OM_1}; escaping=dots`,
    `${OM_1}; escaping=dots`,
  ],
  [
    'Prometheus 3.x with native histograms (protobuf first)',
    `${PB_RANGE};q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1`,
    `${OM_1}; escaping=allow-utf-8`,
    PROTOBUF,
  ],
  [
    'Prometheus 3.x, text formats only (scrape_protocols: [PrometheusText1.0.0, PrometheusText0.0.4])',
    'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    'text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8',
    'text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8',
  ],
  ['VictoriaMetrics / vmagent', 'text/plain;version=0.0.4;q=1,*/*;q=0.1', TEXT_004, TEXT_004],
  ['curl', '*/*', TEXT_004, TEXT_004],
  ['no Accept header', undefined, TEXT_004, TEXT_004],
  [
    'Chrome',
    'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    TEXT_004,
    TEXT_004,
  ],
  ['Firefox', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', TEXT_004, TEXT_004],
];

describe('negotiate', () => {
  it.each(SCRAPERS)('%s gets the format it ranks highest among what we serve', (_, accept, text, withPb) => {
    expect(negotiate(accept, TEXT_OFFERS).contentType).toBe(text);
    expect(negotiate(accept, [PROTOBUF_OFFER, ...TEXT_OFFERS]).contentType).toBe(withPb);
  });

  it('reports the format, version and escaping it chose', () => {
    expect(negotiate('text/plain;version=1.0.0;escaping=values')).toEqual({
      format: 'text',
      version: '1.0.0',
      escaping: 'values',
      contentType: 'text/plain; version=1.0.0; charset=utf-8; escaping=values',
    });
    expect(negotiate('application/openmetrics-text')).toEqual({
      format: 'openmetrics',
      version: '0.0.1',
      escaping: 'underscores',
      contentType: 'application/openmetrics-text; version=0.0.1; charset=utf-8',
    });
  });

  it('ignores an escaping scheme it does not know, as Prometheus does', () => {
    const chosen = negotiate('application/openmetrics-text;version=1.0.0;escaping=emoji');
    expect(chosen.escaping).toBe('underscores');
    expect(chosen.contentType).toBe(OM_1);
  });

  it('lets the most specific range decide an offer, so q=0 on a named type beats a wildcard', () => {
    expect(negotiate('text/plain;q=0,application/openmetrics-text;version=1.0.0;q=0.1,*/*').format).toBe(
      'openmetrics',
    );
    expect(negotiate('text/*;q=0.2,text/plain;version=0.0.4;q=0.9').contentType).toBe(TEXT_004);
  });

  it('breaks ties by the order of the offers, and serves text 0.0.4 when nothing offered is acceptable', () => {
    expect(negotiate('text/plain, application/openmetrics-text;version=1.0.0').format).toBe('openmetrics');
    expect(
      negotiate('text/plain, application/openmetrics-text;version=1.0.0', [...TEXT_OFFERS].reverse()).format,
    ).toBe('text');
    expect(negotiate('application/openmetrics-text;version=2.0.0').contentType).toBe(TEXT_004);
    expect(
      negotiate(`${PB_RANGE.replace('delimited', 'text')}`, [PROTOBUF_OFFER, ...TEXT_OFFERS]).contentType,
    ).toBe(TEXT_004);
    expect(negotiate('text/plain;q=0').contentType).toBe(TEXT_004);
  });
});
