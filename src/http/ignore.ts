import { diag } from '@opentelemetry/api';
import type { HttpRequestInfo, ResolvedHttpConfig } from './options.js';

/** Decides, at request start, whether a server request is left out of every HTTP metric. */
export type RequestFilter = (req: HttpRequestInfo) => boolean;

/**
 * Compiles the `http.ignore` rules: exact paths (a `Set` lookup), prefixes (`/health*`), regular expressions
 * tested on the path without its query string, or one predicate. A predicate that throws is reported once and
 * treated as "record it": a bug in a filter must neither crash the app nor silently drop its metrics.
 */
export function compileIgnore(config: ResolvedHttpConfig): RequestFilter | undefined {
  const predicate = config.ignorePredicate;
  if (predicate) {
    let warned = false;
    return (req) => {
      try {
        return predicate(req) === true;
      } catch (err) {
        if (!warned) {
          warned = true;
          diag.error('otel-metrics-bootstrap: the http.ignore predicate threw; recording the request', err);
        }
        return false;
      }
    };
  }
  const exact = new Set(config.ignorePaths);
  const prefixes = config.ignorePrefixes;
  const patterns = config.ignorePatterns;
  if (exact.size === 0 && prefixes.length === 0 && patterns.length === 0) return undefined;
  return (req) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (exact.has(path)) return true;
    for (const p of prefixes) if (path.startsWith(p)) return true;
    // The config copied the patterns without the g/y flags, so test() is stateless.
    for (const re of patterns) if (re.test(path)) return true;
    return false;
  };
}
