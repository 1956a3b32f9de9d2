// The incident metrics of the users' Rust guide (seed 004, "MetricsRegistry"), on the instruments API: the same
// names and labels, so its dashboards and alerts carry over (incidents_total, incidents_active, …).

/** Seconds buckets of the guide's incident_resolution_duration_seconds: 1 minute to 1 day. */
export const RESOLUTION_BUCKETS = [60, 300, 900, 1800, 3600, 14400, 43200, 86400];

/** Creates the incident instruments on `instruments` (`telemetry.instruments` or `createTestMeter().instruments`). */
export function createIncidentMetrics(instruments) {
  const labels = ['severity', 'source', 'category'];
  return {
    created: instruments.counter('incidents', {
      unit: '{incident}',
      description: 'Total number of incidents created',
      labels,
    }),
    active: instruments.gauge('incidents.active', {
      unit: '{incident}',
      description: 'Number of currently active incidents',
      labels,
    }),
    resolved: instruments.counter('incidents.resolved', {
      unit: '{incident}',
      description: 'Total number of incidents resolved',
      labels,
    }),
    deduplicated: instruments.counter('incidents.deduplicated', {
      unit: '{event}',
      description: 'Events folded into an open incident',
      labels: ['source'],
    }),
    resolution: instruments.histogram('incident.resolution.duration', {
      unit: 's',
      description: 'Time taken to resolve incidents in seconds',
      labels: ['severity', 'source'],
      buckets: RESOLUTION_BUCKETS,
    }),
  };
}
