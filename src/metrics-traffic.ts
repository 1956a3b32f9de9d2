import type { IncomingMessage, Server } from 'node:http';
import { state } from './global-state.js';

// Which requests are scrapes of our own endpoint. The Prometheus endpoint marks them; the HTTP metrics skip
// them, so scrapes are not counted as the application's traffic. Neither subsystem owns the other's code.
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
