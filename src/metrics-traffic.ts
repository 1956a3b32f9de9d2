import type { Agent, ClientRequest, IncomingMessage, Server } from 'node:http';
import { state } from './global-state.js';

// Which requests are our own: scrapes of our endpoint (the Prometheus endpoint marks them) and our push
// exporters' requests (they mark their agents). The HTTP metrics skip both, so neither is counted as the
// application's traffic. Neither subsystem owns the other's code.
const traffic = state.traffic;

/** Marks our own metrics server: every request it receives is endpoint traffic, not application traffic. */
export function markMetricsServer(server: Server): void {
  traffic.servers.add(server);
}

/** Marks one request served by the metrics handler mounted in the application's own server. */
export function markMetricsRequest(req: IncomingMessage): void {
  traffic.mounted = true;
  traffic.requests.add(req);
}

/**
 * `true` for scrapes of the metrics endpoint (on its own server, or through `createMetricsHandler()` once the
 * handler has seen the request).
 */
export function isMetricsTraffic(req: IncomingMessage, server?: Server): boolean {
  return (
    (traffic.mounted && traffic.requests.has(req)) || (server !== undefined && traffic.servers.has(server))
  );
}

/** Marks an agent that only our push exporters use: its requests are ours, not the application's. */
export function markExportAgent(agent: Agent): void {
  traffic.exportAgents ??= new WeakSet();
  traffic.exportAgents.add(agent);
}

/**
 * `true` for a request made by our push exporters (OTLP over HTTP, Pushgateway), which the HTTP client metrics
 * leave out: `http.client.*` describes the application's calls, and an exporter pushing every interval would
 * otherwise show up as a steady stream of outgoing requests.
 */
export function isExportRequest(request: ClientRequest): boolean {
  const agent = (request as { agent?: Agent }).agent;
  return traffic.exportAgents !== undefined && agent !== undefined && traffic.exportAgents.has(agent);
}
