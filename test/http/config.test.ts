import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { MetricsError } from '../../src/errors.js';
import { HTTP_KNOWN_METHODS } from '../../src/semconv.js';

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetricsError);
    return (err as MetricsError).problems.map((p) => [p.code, p.source]);
  }
  throw new Error('expected a MetricsError');
}

describe('http options', () => {
  it('defaults to server and client metrics with the diagnostics-channel engine', () => {
    const { http } = resolveConfig({}, {});
    expect(http).toMatchObject({
      server: true,
      client: true,
      engine: 'diagnostics-channel',
      routes: [],
      optInAttributes: [],
      knownMethods: HTTP_KNOWN_METHODS,
    });
  });

  it('turns both sides off with http: false', () => {
    expect(resolveConfig({ http: false }, {}).http).toMatchObject({ server: false, client: false });
  });

  it('reads OMB_HTTP_* and OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, explicit options winning', () => {
    const env = {
      OMB_HTTP_SERVER: 'false',
      OMB_HTTP_CLIENT: 'false',
      OMB_HTTP_ROUTES: '/users/:id, /files/*',
      OMB_HTTP_IGNORE: '/healthz,/internal/*',
      OMB_HTTP_OPT_IN_ATTRIBUTES: 'server.address',
      OMB_HTTP_ENGINE: 'instrumentation-http',
      OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET,POST,PURGE',
    };
    expect(resolveConfig({}, env).http).toMatchObject({
      server: false,
      client: false,
      routes: ['/users/:id', '/files/*'],
      ignorePaths: ['/healthz'],
      ignorePrefixes: ['/internal/'],
      optInAttributes: ['server.address'],
      engine: 'instrumentation-http',
      knownMethods: ['GET', 'POST', 'PURGE'],
    });
    expect(resolveConfig({ http: { server: true, routes: ['/a/:b'] } }, env).http).toMatchObject({
      server: true,
      routes: ['/a/:b'],
    });
  });

  it('keeps the user’s predicate callable and copies RegExps without the stateful flags', () => {
    const predicate = () => false;
    const re = /^\/x/gi;
    const a = resolveConfig({ http: { ignore: predicate } }, {}).http;
    expect(a.ignorePredicate).toBe(predicate);
    expect(Object.isFrozen(predicate)).toBe(false);
    const b = resolveConfig({ http: { ignore: [re] } }, {}).http;
    expect(b.ignorePatterns[0]!.flags).toBe('i');
    expect(Object.isFrozen(re)).toBe(false);
  });

  it('reports every HTTP problem at once with stable codes', () => {
    expect(
      problems(() =>
        resolveConfig(
          {
            http: {
              routes: ['users/:id', '/ok/:id', '/ok/:other'],
              ignore: ['healthz', 42 as never],
              optInAttributes: ['client.address' as never],
              knownMethods: ['GE T'],
              engine: 'otel' as never,
              rout: [] as never,
            } as never,
          },
          {},
        ),
      ),
    ).toEqual([
      ['ERR_UNKNOWN_OPTION', 'http.rout'],
      ['ERR_INVALID_HTTP_ROUTE', 'http.routes[0]'],
      ['ERR_INVALID_HTTP_ROUTE', 'http.routes'],
      ['ERR_INVALID_HTTP_IGNORE', 'http.ignore[0]'],
      ['ERR_INVALID_HTTP_IGNORE', 'http.ignore[1]'],
      ['ERR_INVALID_HTTP_OPTION', 'http.optInAttributes'],
      ['ERR_INVALID_HTTP_OPTION', 'http.knownMethods'],
      ['ERR_UNKNOWN_HTTP_ENGINE', 'http.engine'],
    ]);
  });

  it('rejects a non-object http option and bad environment values', () => {
    expect(problems(() => resolveConfig({ http: 'yes' as never }, {}))).toEqual([
      ['ERR_INVALID_CONFIG', 'http'],
    ]);
    expect(problems(() => resolveConfig({}, { OMB_HTTP_ENGINE: 'x', OMB_HTTP_SERVER: 'maybe' }))).toEqual([
      ['ERR_INVALID_BOOLEAN', 'OMB_HTTP_SERVER'],
      ['ERR_UNKNOWN_HTTP_ENGINE', 'OMB_HTTP_ENGINE'],
    ]);
  });
});
