import { describe, expect, it } from 'vitest';
import { familyName, sanitizeLabelName, unitSuffix } from '../../src/prometheus/naming.js';

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
