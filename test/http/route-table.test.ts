import { describe, expect, it } from 'vitest';
import { fromExpress4Regexp } from '../../src/http/express.js';
import { RouteTable, routeTemplateProblem } from '../../src/http/route-table.js';

describe('RouteTable', () => {
  const table = new RouteTable([
    '/',
    '/users/:id',
    '/users/me',
    '/users/:id/posts/:postId',
    '/files/*',
    '/a/:x/c',
  ]);

  it('matches literal segments before parameters', () => {
    expect(table.match('/users/me')).toBe('/users/me');
    expect(table.match('/users/42')).toBe('/users/:id');
  });

  it('matches nested parameters, the root, and ignores the query string and one trailing slash', () => {
    expect(table.match('/users/1/posts/2?x=1')).toBe('/users/:id/posts/:postId');
    expect(table.match('/')).toBe('/');
    expect(table.match('/users/42/')).toBe('/users/:id');
    expect(table.match('/a/b/c')).toBe('/a/:x/c');
  });

  it('lets a trailing * take the rest of the path, slashes included', () => {
    expect(table.match('/files/a/b/c.txt')).toBe('/files/*');
    expect(table.match('/files/')).toBe('/files/*');
  });

  it('matches nothing for paths outside the table', () => {
    expect(table.match('/users')).toBeUndefined();
    expect(table.match('/users/1/posts')).toBeUndefined();
    expect(table.match('/a/b/d')).toBeUndefined();
    expect(table.match('/files')).toBeUndefined();
    expect(table.match('users/1')).toBeUndefined();
    expect(table.match('//users/1')).toBeUndefined();
  });

  it('reports templates that can never match', () => {
    expect(new RouteTable(['/u/:id', '/u/:name']).shadowed).toEqual(['/u/:name']);
  });
});

describe('routeTemplateProblem', () => {
  it('accepts well-formed templates', () => {
    for (const t of ['/', '/users/:id', '/files/*', '/files/*rest', '/v1/items/']) {
      expect(routeTemplateProblem(t)).toBeUndefined();
    }
  });

  it('explains what is wrong with a bad template', () => {
    expect(routeTemplateProblem('users/:id')).toMatch(/must start with "\/"/);
    expect(routeTemplateProblem('/a//b')).toMatch(/empty segment/);
    expect(routeTemplateProblem('/a/:')).toMatch(/needs a name/);
    expect(routeTemplateProblem('/a/*/b')).toMatch(/last segment/);
    expect(routeTemplateProblem('/a?b')).toMatch(/"\?"/);
    expect(routeTemplateProblem(42)).toMatch(/string/);
  });
});

describe('fromExpress4Regexp', () => {
  it('rebuilds mount paths from Express 4 regular expressions', () => {
    expect(fromExpress4Regexp('^\\/users(?:\\/([^/]+?))\\/posts\\/?(?=\\/|$)', [{ name: 'uid' }])).toBe(
      '/users/:uid/posts',
    );
    expect(fromExpress4Regexp('^\\/api\\/?(?=\\/|$)', [])).toBe('/api');
    expect(fromExpress4Regexp('^\\/v(?:(\\d+))\\/?(?=\\/|$)', [{ name: 'ver' }])).toBe('/v:ver');
    expect(fromExpress4Regexp('^\\/static\\/(.*)\\/?(?=\\/|$)', [{ name: 0 }])).toBe('/static/*');
    expect(fromExpress4Regexp('^\\/a(?:\\/([^/]+?))?\\/?(?=\\/|$)', [{ name: 'opt', optional: true }])).toBe(
      '/a/:opt?',
    );
  });

  it('gives up rather than guess on what it does not recognise', () => {
    expect(fromExpress4Regexp('^\\/a\\/?(?=\\/|$)|^\\/b\\/?(?=\\/|$)', [])).toBeNull();
    expect(fromExpress4Regexp('\\/no-anchor', [])).toBeNull();
    expect(fromExpress4Regexp('^\\/x(?:\\/([^/]+?))', [])).toBeNull();
  });
});
