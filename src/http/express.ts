import { diag } from '@opentelemetry/api';

/**
 * `http.route` for Express 4 and 5 (and NestJS on Express), read when the response finishes, with no
 * middleware and no patching. Express leaves the matched `Route` on `req.route`; its `path` is relative to the
 * router it was registered on, and `req.baseUrl` holds the *actual* mount prefix (`/users/42/posts`), which
 * must not become a label. So the template of the mount chain is found once per `Route` object, by walking
 * the app's router tree to that route and reading each mount layer's registered path: `layer.rawPath` on
 * Express 5 (router ≥ 2.3), or the path rebuilt from the layer's regular expression on Express 4 (its
 * `path-to-regexp` 0.1 output is regular). The result is cached per `Route`, so the steady-state cost is one
 * `WeakMap` lookup per request.
 */

interface ExpressRoute {
  readonly path?: unknown;
}

interface Layer {
  readonly route?: ExpressRoute;
  readonly handle?: { readonly stack?: unknown };
  readonly rawPath?: unknown;
  readonly regexp?: RegExp & { fast_slash?: boolean };
  readonly keys?: readonly { readonly name: string | number; readonly optional?: boolean }[];
}

interface ExpressApp {
  readonly _router?: { readonly stack?: unknown };
  readonly mountpath?: unknown;
  readonly parent?: ExpressApp;
}

interface ExpressRequest {
  readonly route?: unknown;
  readonly app?: ExpressApp;
}

/** `null`: the template cannot be known (no label is better than a raw path). */
const templates = new WeakMap<object, string | null>();
const MAX_DEPTH = 16;
const MAX_VISITS = 20_000;
let warned = false;

/** A route whose own path is only a wildcard, such as NestJS's not-found handler `router.all('*path')`. */
const CATCH_ALL = /^\/?(\*\w*|\(\.\*\)|\{\*\w+\})$/;

/**
 * The route template of an Express request, or `undefined` when it has none (404, static files, …). A 404
 * answered by a catch-all route is a "not found" handler, not a route, and gets no template either.
 */
export function expressRoute(req: ExpressRequest, status: number): string | undefined {
  const route = req.route;
  if (route === undefined || route === null || typeof route !== 'object') return undefined;
  if (status === 404 && CATCH_ALL.test(String((route as ExpressRoute).path))) return undefined;
  const cached = templates.get(route);
  if (cached !== undefined) return cached ?? undefined;
  let template: string | null = null;
  try {
    template = computeTemplate(req, route as ExpressRoute);
  } catch (err) {
    template = null;
    diag.debug('otel-metrics-bootstrap: could not resolve the Express route template', err);
  }
  if (template === null && !warned) {
    warned = true;
    diag.info(
      'otel-metrics-bootstrap: an Express route is mounted under a path whose template is unknown ' +
        '(Express 5 needs router >= 2.3); its requests get no http.route. Use setHttpRoute(req, template) there.',
    );
  }
  templates.set(route, template);
  return template ?? undefined;
}

function computeTemplate(req: ExpressRequest, route: ExpressRoute): string | null {
  const routePath = pathTemplate(route.path);
  if (routePath === null) return null;
  let prefix = '';
  // Sub-apps: `req.app` is the innermost app while it handles the request; each knows its mount path.
  for (let app = req.app; app?.parent !== undefined; app = app.parent) {
    const mount = pathTemplate(app.mountpath);
    if (mount === null) return null;
    prefix = mount + prefix;
  }
  const stack = routerStack(req.app);
  const chain = stack ? findChain(stack, route, 0, { visits: 0 }) : undefined;
  // Not found in the tree (a router mounted by hand, or an app built unusually): the route's own path is
  // still a template, just possibly missing a prefix.
  if (chain === undefined) return join(prefix, routePath);
  let middle = '';
  for (const layer of chain) {
    const t = mountTemplate(layer);
    if (t === null) return null;
    middle += t;
  }
  return join(prefix + middle, routePath);
}

/** The top-level router's layers; Express 4 keeps it on `_router`, Express 5 on a lazy `router` getter. */
function routerStack(app: ExpressApp | undefined): readonly Layer[] | undefined {
  if (!app) return undefined;
  let router: { stack?: unknown } | undefined = app._router;
  // Express 4's `app.router` getter throws; only touch it when `_router` does not exist at all.
  if (router === undefined && !('_router' in app)) {
    router = (app as { router?: { stack?: unknown } }).router;
  }
  return Array.isArray(router?.stack) ? (router.stack as Layer[]) : undefined;
}

/** The mount layers from `stack` down to the layer holding `route` (depth-first, first match). */
function findChain(
  stack: readonly Layer[],
  route: ExpressRoute,
  depth: number,
  budget: { visits: number },
): Layer[] | undefined {
  if (depth > MAX_DEPTH) return undefined;
  for (const layer of stack) {
    if (++budget.visits > MAX_VISITS) return undefined;
    if (layer.route === route) return [];
    const sub = layer.route === undefined ? layer.handle?.stack : undefined;
    if (Array.isArray(sub)) {
      const chain = findChain(sub as Layer[], route, depth + 1, budget);
      if (chain) return [layer, ...chain];
    }
  }
  return undefined;
}

/** A mount layer's registered path, as a template ("" for the root mount). */
function mountTemplate(layer: Layer): string | null {
  if (layer.rawPath !== undefined) return pathTemplate(layer.rawPath);
  const re = layer.regexp;
  if (re instanceof RegExp) {
    if (re.fast_slash === true) return '';
    return fromExpress4Regexp(re.source, layer.keys ?? []);
  }
  return null;
}

function pathTemplate(path: unknown): string | null {
  if (typeof path === 'string') return path === '/' ? '' : path;
  // Arrays and regular expressions are still fixed strings per route, so they are low-cardinality labels.
  if (path instanceof RegExp || Array.isArray(path)) return String(path);
  return null;
}

/**
 * Rebuilds the registered path from Express 4's `path-to-regexp@0.1` output, e.g.
 * `^\/users(?:\/([^/]+?))\/posts\/?(?=\/|$)` with key `uid` → `/users/:uid/posts`. Anything it does not
 * recognise returns `null` rather than a guess.
 */
export function fromExpress4Regexp(
  source: string,
  keys: readonly { readonly name: string | number; readonly optional?: boolean }[],
): string | null {
  let s = source;
  if (!s.startsWith('^')) return null;
  s = s.slice(1);
  for (const tail of ['\\/?(?=\\/|$)', '\\/?$']) {
    if (s.endsWith(tail)) {
      s = s.slice(0, -tail.length);
      break;
    }
  }
  let k = 0;
  const name = () => {
    const key = keys[k++];
    if (key === undefined) return undefined;
    return typeof key.name === 'number' ? '*' : `:${key.name}`;
  };
  let out = '';
  let i = 0;
  const groups: [string, (n: string) => string][] = [
    ['(?:\\/([^/]+?))?', (n) => `/${n}?`],
    ['(?:\\/([^/]+?))', (n) => `/${n}`],
    ['(?:([^/]+?))?', (n) => `${n}?`],
    ['(?:([^/]+?))', (n) => n],
    ['(.*)', () => '*'],
  ];
  outer: while (i < s.length) {
    for (const [pattern, render] of groups) {
      if (s.startsWith(pattern, i)) {
        const n = name();
        if (n === undefined) return null;
        out += render(n);
        i += pattern.length;
        continue outer;
      }
    }
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null;
      out += next;
      i += 2;
      continue;
    }
    // A custom group such as `:id(\d+)` renders as `(?:(\d+))`; keep the name, drop the pattern.
    if (s.startsWith('(?:(', i)) {
      const close = s.indexOf('))', i);
      if (close === -1) return null;
      const n = name();
      if (n === undefined) return null;
      out += n;
      i = close + 2;
      continue;
    }
    if ('()[]{}|+*?^$.'.includes(c)) return null;
    out += c;
    i++;
  }
  return k === keys.length ? out : null;
}

function join(prefix: string, path: string): string {
  let out = prefix + (path.startsWith('/') || path === '' ? path : `/${path}`);
  out = out.replace(/\/{2,}/g, '/');
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out === '' ? '/' : out;
}
