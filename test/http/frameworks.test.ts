import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import Router from '@koa/router';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { koaHttpRoute, type MetricsHandle } from '../../src/index.js';
import { close, count, eventually, get, listen, points, startMeter } from './helpers.js';

const DURATION = 'http.server.request.duration';
// Express 4 is installed under an alias so both majors can be tested side by side.
const express4 = createRequire(import.meta.url)('express4') as typeof express;

let handle: MetricsHandle;
beforeAll(async () => {
  handle = await startMeter();
});
afterAll(async () => {
  await handle.shutdown();
});

/** GETs each path once and returns the `http.route` recorded for it (`undefined`: no route attribute). */
async function routesOf(base: string, paths: string[]): Promise<(string | undefined)[]> {
  const before = await count(DURATION);
  const seen: (string | undefined)[] = [];
  for (const path of paths) {
    const status = (await get(base + path)).status;
    const total = before + seen.length + 1;
    await eventually(async () => expect(await count(DURATION)).toBe(total));
    // The newest data point for this status: compare counts before and after via a fresh collection.
    seen.push(await lastRoute(status));
  }
  return seen;
}

const lastCounts = new Map<string, number>();
/** The route label of the series whose count just went up. */
async function lastRoute(status: number): Promise<string | undefined> {
  let changed: string | undefined;
  let found = false;
  for (const p of await points(DURATION, { 'http.response.status_code': status })) {
    const key = JSON.stringify(p.attributes);
    if ((lastCounts.get(key) ?? 0) !== p.value.count) {
      lastCounts.set(key, p.value.count);
      changed = p.attributes['http.route'] as string | undefined;
      found = true;
    }
  }
  expect(found).toBe(true);
  return changed;
}

for (const [name, make] of [
  ['Express 4', express4],
  ['Express 5', express],
] as const) {
  describe(name, () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      const app = make();
      app.get('/', (_req, res) => {
        res.send('root');
      });
      app.get('/users/:id', (_req, res) => {
        res.send('user');
      });
      const posts = make.Router();
      posts.get('/', (_req, res) => {
        res.send('posts');
      });
      posts.get('/:postId', (_req, res) => {
        res.status(500).send('broken');
      });
      const api = make.Router();
      api.use('/users/:userId/posts', posts);
      app.use('/api/v1', api);
      const admin = make();
      admin.get('/stats', (_req, res) => {
        res.send('stats');
      });
      app.use('/admin', admin);
      server = createServer(app);
      base = await listen(server);
    });
    afterAll(async () => {
      await close(server);
    });

    it('labels top-level, nested-router (with parameters in mount paths) and sub-app routes with their templates', async () => {
      const routes = await routesOf(base, [
        '/',
        '/users/42',
        '/api/v1/users/7/posts',
        '/api/v1/users/7/posts/99',
        '/admin/stats',
      ]);
      expect(routes).toEqual([
        '/',
        '/users/:id',
        '/api/v1/users/:userId/posts',
        '/api/v1/users/:userId/posts/:postId',
        '/admin/stats',
      ]);
    });

    it('gives unmatched requests (404) no route', async () => {
      expect(await routesOf(base, ['/nothing/here', '/api/v1/unknown'])).toEqual([undefined, undefined]);
    });
  });
}

describe('Fastify 5', () => {
  let base: string;
  const app = Fastify();
  beforeAll(async () => {
    app.get('/users/:id', async () => 'user');
    await app.register(
      async (scope) => {
        scope.get('/orders/:orderId', async () => 'order');
        await scope.register(
          async (inner) => {
            inner.get('/items/:itemId', async () => 'item');
          },
          { prefix: '/carts/:cartId' },
        );
      },
      { prefix: '/shop' },
    );
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('labels routes with the template, prefixes of nested plugins included', async () => {
    expect(await routesOf(base, ['/users/1', '/shop/orders/2', '/shop/carts/3/items/4'])).toEqual([
      '/users/:id',
      '/shop/orders/:orderId',
      '/shop/carts/:cartId/items/:itemId',
    ]);
  });

  it('gives unmatched requests (404) no route', async () => {
    expect(await routesOf(base, ['/missing'])).toEqual([undefined]);
  });
});

describe('Koa with @koa/router', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = new Koa();
    app.use(koaHttpRoute());
    const router = new Router();
    router.get('/users/:id', (ctx) => {
      ctx.body = 'user';
    });
    const nested = new Router();
    nested.get('/comments/:commentId', (ctx) => {
      ctx.body = 'comment';
    });
    router.use('/posts/:postId', nested.routes());
    app.use(router.routes());
    server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await close(server);
  });

  it('labels routes, nested routers included, with the template', async () => {
    expect(await routesOf(base, ['/users/5', '/posts/6/comments/7'])).toEqual([
      '/users/:id',
      '/posts/:postId/comments/:commentId',
    ]);
  });

  it('gives unmatched requests (404) no route', async () => {
    expect(await routesOf(base, ['/nope'])).toEqual([undefined]);
  });
});

/** A NestJS app built without decorator syntax (the test transform does not need to support it). */
function nestModule() {
  class UsersController {
    find(id: string) {
      return { id };
    }
    list() {
      return [];
    }
  }
  Controller('users')(UsersController);
  const proto = UsersController.prototype;
  Get(':id')(proto, 'find', Object.getOwnPropertyDescriptor(proto, 'find')!);
  Param('id')(proto, 'find', 0);
  Get()(proto, 'list', Object.getOwnPropertyDescriptor(proto, 'list')!);
  class AppModule {}
  Module({ controllers: [UsersController] })(AppModule);
  return AppModule;
}

for (const [name, adapter] of [
  ['NestJS on Express', () => new ExpressAdapter(express())],
  ['NestJS on Fastify', () => new FastifyAdapter()],
] as const) {
  describe(name, () => {
    let app: Awaited<ReturnType<typeof NestFactory.create>>;
    let base: string;
    beforeAll(async () => {
      app = await NestFactory.create(nestModule(), adapter(), { logger: false });
      app.setGlobalPrefix('api');
      await app.listen(0, '127.0.0.1');
      base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    });
    afterAll(async () => {
      await app.close();
    });

    it('labels controller routes with the full template (global prefix and controller path)', async () => {
      expect(await routesOf(base, ['/api/users/12', '/api/users'])).toEqual(['/api/users/:id', '/api/users']);
    });

    it('gives unmatched requests (404) no route', async () => {
      expect(await routesOf(base, ['/api/nothing'])).toEqual([undefined]);
    });
  });
}
