// Issue 10, findings 1 and 7 (raw CR) and 8 (a user attribute named otel.metric.overflow): attribute keys that
// repeat labels the exposition writes itself, and control characters in label values, HELP, scope and resource.
export const config = { resourceAttributes: { 'deploy.note': 'line\rbreak\u0000' } };

export default function record(handle) {
  const meter = handle.meter;
  meter.createHistogram('upload.duration', { unit: 's' }).record(0.1, { le: '5', quantile: '0.5' });
  meter.createCounter('uploads').add(1, {
    'otel.scope.name': 'spoofed',
    otel_scope_version: '9',
    __name__: 'spoofed',
    __meta_x: 'y',
  });
  meter
    .createCounter('lines', { description: 'HELP with a CR\r, a NUL\u0000 and a "quote"' })
    .add(1, { raw: 'a\rb\u0000c\u0085d\u2028e', tab: 'x\ty', lone: '\ud800' });
  meter.createCounter('spoofed.overflow').add(1, { 'otel.metric.overflow': true });
  handle.getMeter('scope\rwith\ncontrol "chars"', '1\r0').createCounter('scoped').add(1);
}
