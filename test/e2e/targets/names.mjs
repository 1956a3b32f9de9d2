// Issue 10, finding 2: instrument names with nothing to represent, and names that clash once translated.
export default function record(handle) {
  const meter = handle.meter;
  meter.createCounter('').add(1);
  meter.createCounter('_total').add(1);
  meter.createGauge('…').record(1);
  meter.createCounter('x').add(1);
  meter.createCounter('x_total').add(2);
  meter.createHistogram('h').record(1);
  meter.createGauge('h_count').record(3);
  meter.createGauge('y').record(5);
  meter.createCounter('y').add(6);
  // `target` is target_info's OpenMetrics family name; `target_info` is taken by the resource.
  meter.createGauge('target').record(1);
  meter.createGauge('target_info').record(1);
  handle.getMeter('other').createCounter('x').add(3);
}
