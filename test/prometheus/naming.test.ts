import { describe, expect, it } from 'vitest';
import {
  escapeName,
  familyName,
  labelName,
  sanitizeLabelName,
  unitSuffix,
} from '../../src/prometheus/naming.js';

describe('OTel → Prometheus names', () => {
  it.each([
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['checkout.duration', 's', 'histogram', 'checkout_duration_seconds'],
    ['orders.placed', '{order}', 'counter', 'orders_placed_total'],
    ['foo.bar', 'By', 'counter', 'foo_bar_bytes_total'],
    ['requests_total', '', 'counter', 'requests_total'],
    ['queue.size', '{item}', 'gauge', 'queue_size'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['errors', '1', 'counter', 'errors_total'],
    ['net.io', 'By/s', 'gauge', 'net_io_bytes_per_second'],
    ['memory_bytes', 'By', 'gauge', 'memory_bytes'],
    ['latency', 'ms', 'histogram', 'latency_milliseconds'],
    ['disk.usage', 'KiBy', 'gauge', 'disk_usage_kibibytes'],
    ['load', '%', 'gauge', 'load_percent'],
    ['2fa.attempts', '', 'counter', '_2fa_attempts_total'],
    ['weird--name..x', '', 'gauge', 'weird_name_x'],
  ] as const)('%s (%s, %s) → %s', (name, unit, type, expected) => {
    expect(familyName(name, unit, type)).toBe(expected);
  });

  it('drops curly-brace annotations but keeps the rest of the unit', () => {
    expect(unitSuffix('{packet}/s', 'gauge')).toBe('per_second');
    expect(unitSuffix('{request}', 'counter')).toBe('');
  });

  it('sanitizes label names and guards a leading digit', () => {
    expect(sanitizeLabelName('http.request.method')).toBe('http_request_method');
    expect(sanitizeLabelName('1st')).toBe('key_1st');
    expect(sanitizeLabelName('a:b')).toBe('a_b');
  });
});

describe('translation strategies and escaping schemes (naming.ts)', () => {
  it.each([
    ['UnderscoreEscapingWithSuffixes', 'http_server_duration_seconds', 'jobs_done_total'],
    ['UnderscoreEscapingWithoutSuffixes', 'http_server_duration', 'jobs.done'.replace('.', '_')],
    ['NoUTF8EscapingWithSuffixes', 'http.server.duration_seconds', 'jobs.done_total'],
    ['NoTranslation', 'http.server.duration', 'jobs.done'],
  ] as const)('%s: http.server.duration (s) → %s, counter jobs.done → %s', (strategy, histogram, counter) => {
    expect(familyName('http.server.duration', 's', 'histogram', strategy)).toBe(histogram);
    expect(familyName('jobs.done', '', 'counter', strategy)).toBe(counter);
  });

  it('keeps UTF-8 label keys under the UTF-8 strategies, except the names the exposition reserves', () => {
    expect(labelName('http.route', 'NoTranslation')).toBe('http.route');
    expect(labelName('le', 'NoUTF8EscapingWithSuffixes')).toBe('key_le');
    expect(labelName('__name__', 'NoTranslation')).toBe('key___name__');
    expect(labelName('http.route', 'UnderscoreEscapingWithoutSuffixes')).toBe('http_route');
  });

  it.each([
    ['allow-utf-8', '"my.metric-1"', '"a\\"b"'],
    ['underscores', 'my_metric_1', 'a_b'],
    ['dots', 'my_dot_metric__1', 'a__b'],
    ['values', 'U__my_2e_metric_2d_1', 'U__a_22_b'],
  ] as const)('escapes names outside the legacy set with %s', (scheme, metric, label) => {
    expect(escapeName('my.metric-1', scheme)).toBe(metric);
    expect(escapeName('a"b', scheme, true)).toBe(label);
    // Legacy names pass unchanged under every scheme, as Prometheus's EscapeMetricFamily leaves them.
    expect(escapeName('http_requests_total', scheme)).toBe('http_requests_total');
    expect(escapeName('a:b', scheme)).toBe('a:b');
  });

  it('escapes a leading digit and a colon in label names', () => {
    expect(escapeName('1a', 'underscores')).toBe('_a');
    expect(escapeName('a:b', 'underscores', true)).toBe('a_b');
    expect(escapeName('ü', 'values', true)).toBe('U___fc_');
  });
});
