/**
 * @tandem/client in a real browser (Debian's Chromium): the compiled modules are loaded as they are by
 * a page of another origin, which signs in at the auth service, reads the fast service (a second read
 * is a 304 answered from the client's cache) and receives a live change over the browser's own
 * WebSocket, all across origins with the services' CORS allowing the page's origin.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { Product } from '@tandem/models';
import { eventually, sqlitePassOnly, testDialect } from '@tandem/models/testing';
import { browserSkip, launchChromium } from '../support/browser.js';
import { READER_EMAIL, READER_PASSWORD } from '../support/catalog.js';
import { useClientServices } from '../support/client-services.js';
import { withServiceLogs } from '../support/token-services.js';

const skip =
  browserSkip('the typed client in a browser') ||
  sqlitePassOnly(
    'loading the client’s modules, CORS and the browser’s fetch and WebSocket are the same whatever ' +
      'fast reads from; the one database write reaches fast through the change feed as admin-to-fast’s ' +
      'do on both databases',
  );
const compiledClient = fileURLToPath(new URL('../../../packages/client/dist/src/', import.meta.url));

let origin = '';
let page: Page;

const services = useClientServices({
  products: 3,
  skip,
  // The page's own site starts first: the services allow its origin (CORS).
  env: async () => {
    const site = await startSite();
    services.closeAtEnd(() => new Promise((resolve) => site.close(() => resolve())));
    const address = site.address();
    assert.ok(typeof address === 'object' && address);
    origin = `http://127.0.0.1:${address.port}`;
    return { CORS_ALLOWED_ORIGINS: origin };
  },
});

/** The page's origin: an HTML page and the client's compiled modules, nothing else. */
async function startSite(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client</title>');
      return;
    }
    const file = path.normalize(path.join(compiledClient, url.pathname.replace(/^\/client\//, '')));
    if (!url.pathname.startsWith('/client/') || !file.startsWith(compiledClient) || !file.endsWith('.js')) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

before(async () => {
  if (skip) return;
  await services.ready;
  const { context, profile } = await launchChromium();
  services.closeAtEnd(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  page = await context.newPage();
  await page.goto(`${origin}/`);
});

interface PageResult {
  readonly signedIn: boolean;
  readonly names: string[];
  readonly statuses: number[];
  readonly pages: number;
  readonly usesPlatformWebSocket: boolean;
}

test(
  `in Chromium: sign in, read with a 304 from the cache, iterate, and receive a live change (${testDialect()})`,
  {
    skip,
  },
  async () => {
    const { auth, fast } = services;
    await withServiceLogs(services.processes, async () => {
      const result = await page.evaluate(
        async ({ authUrl, fastUrl, username, password }): Promise<PageResult> => {
          const { createTandemClient } = await import('/client/index.js' as string);
          const statuses: number[] = [];
          const recorded: typeof fetch = async (input, init) => {
            const response = await fetch(input, init);
            if (String(input).includes('/v1/products/1')) statuses.push(response.status);
            return response;
          };
          const client = createTandemClient({ authUrl, fastUrl, fetch: recorded });
          await client.tokens.password({ username, password });
          const first = await client.collections.products.get(1);
          const second = await client.collections.products.get(1);
          let pages = 0;
          for await (const product of client.collections.products.iterate({ limit: 2 }))
            if (product) pages += 1;
          const changes: unknown[] = [];
          (globalThis as { changes?: unknown[] }).changes = changes;
          const subscription = client.live.subscribe('products/1', (change: unknown) => changes.push(change));
          await subscription.ready;
          return {
            signedIn: client.tokens.current !== undefined,
            names: [first.name, second.name],
            statuses,
            pages,
            usesPlatformWebSocket: typeof WebSocket === 'function',
          };
        },
        { authUrl: auth.url, fastUrl: fast.url, username: READER_EMAIL, password: READER_PASSWORD },
      );
      assert.equal(result.signedIn, true);
      assert.deepEqual(result.names, ['Tool 1', 'Tool 1']);
      assert.deepEqual(
        result.statuses,
        [200, 304],
        'the browser passed the 304 through; the client used its copy',
      );
      assert.equal(result.pages, 3);
      assert.equal(result.usesPlatformWebSocket, true);

      await services.db.orm.em
        .fork()
        .nativeUpdate(Product, { id: 1 }, { name: 'Seen in the browser', updatedAt: new Date() });
      await eventually('the page receives the change', async () =>
        page.evaluate(() =>
          ((globalThis as { changes?: { data?: { name?: string } }[] }).changes ?? []).some(
            (change) => change.data?.name === 'Seen in the browser',
          ),
        ),
      );
    });
  },
);
