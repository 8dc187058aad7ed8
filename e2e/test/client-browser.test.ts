/**
 * @tandem/client in a real browser (Debian's Chromium): the compiled modules are loaded as they are by
 * a page of another origin, which signs in at the auth service, reads the fast service (a second read
 * is a 304 answered from the client's cache) and receives a live change over the browser's own
 * WebSocket, all across origins with the services' CORS allowing the page's origin.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { Product } from '@tandem/models';
import {
  createMigratedDatabase,
  eventually,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { browserSkip, launchChromium } from '../support/browser.js';
import { READER_EMAIL, READER_PASSWORD, seedReaderCatalog } from '../support/catalog.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { withServiceLogs } from '../support/token-services.js';

const skip = browserSkip('the typed client in a browser');
const compiledClient = fileURLToPath(new URL('../../../packages/client/dist/src/', import.meta.url));

let db: MigratedTestDatabase;
let site: Server;
let origin: string;
const services: ServiceProcess[] = [];
let browser: { context: BrowserContext; profile: string } | undefined;
let page: Page;

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
  db = await createMigratedDatabase();
  await seedReaderCatalog(db, 3);
  site = await startSite();
  const address = site.address();
  assert.ok(typeof address === 'object' && address);
  origin = `http://127.0.0.1:${address.port}`;
  const base = {
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    TANDEM_SECRET_KEY: E2E_SECRET_KEY,
    CORS_ALLOWED_ORIGINS: origin,
  };
  const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, { env: { ...base, AUTH_PORT: '0' } });
  services.push(auth);
  services.push(
    await startServiceProcess('fast', ENTRY_POINTS.fast, {
      env: { ...base, FAST_PORT: '0', TOKEN_ISSUER: auth.url, FEED_POLL_MS: '10' },
    }),
  );
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(`${origin}/`);
});

after(async () => {
  await browser?.context.close();
  if (browser) rmSync(browser.profile, { recursive: true, force: true });
  for (const service of [...services].reverse()) await service.stop();
  await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
  await db?.close();
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
    const [auth, fast] = services as [ServiceProcess, ServiceProcess];
    await withServiceLogs(services, async () => {
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

      await db.orm.em
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
