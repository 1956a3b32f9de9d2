import { describe, expect, it } from 'vitest';
import { negotiateEncoding, negotiateFormat } from '../../src/prometheus/negotiation.js';

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
