import type { Agent, ClientRequest, IncomingMessage, Server } from 'node:http';

interface Registry {
  readonly servers: WeakSet<Server>;
  readonly requests: WeakSet<IncomingMessage>;
  /** Agents of our push exporters (added by the first exporter; older copies of the slot lack it). */
  exportAgents?: WeakSet<Agent>;
  /** Whether any request was ever marked: until then the HTTP hot path skips the lookup. */
  mounted?: boolean;
}

// Shared by every copy of this package in the process, like the handle slot in init.ts.
const SLOT = Symbol.for('otel-metrics-bootstrap.metrics-traffic');
const g = globalThis as typeof globalThis & { [SLOT]?: Registry };
g[SLOT] ??= { servers: new WeakSet(), requests: new WeakSet() };
const registry: Registry = g[SLOT];

/** Marks our own metrics server: every request it receives is endpoint traffic, not application traffic. */
export function markMetricsServer(server: Server): void {
  registry.servers.add(server);
}

/** Marks one request served by the metrics handler mounted in the application's own server. */
export function markMetricsRequest(req: IncomingMessage): void {
  registry.mounted = true;
  registry.requests.add(req);
}

/**
 * `true` for scrapes of the metrics endpoint (on its own server, or through `createMetricsHandler()` once the
 * handler has seen the request). HTTP server metrics skip these, so scrapes are not counted as the
 * application's traffic.
 */
export function isMetricsTraffic(req: IncomingMessage, server?: Server): boolean {
  return (
    (registry.mounted === true && registry.requests.has(req)) ||
    (server !== undefined && registry.servers.has(server))
  );
}

/** Marks an agent that only our push exporters use: its requests are ours, not the application's. */
export function markExportAgent(agent: Agent): void {
  registry.exportAgents ??= new WeakSet();
  registry.exportAgents.add(agent);
}

/**
 * `true` for a request made by our push exporters (OTLP over HTTP, Pushgateway), which the HTTP client metrics
 * leave out: `http.client.*` describes the application's calls, and an exporter pushing every interval would
 * otherwise show up as a steady stream of outgoing requests.
 */
export function isExportRequest(request: ClientRequest): boolean {
  const agent = (request as { agent?: Agent }).agent;
  return registry.exportAgents !== undefined && agent !== undefined && registry.exportAgents.has(agent);
}
