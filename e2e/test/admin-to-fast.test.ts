/**
 * Issue 4, end to end: a change made in the admin through a real headless Chromium reaches the fast
 * service over HTTP and WebSocket, and an unpublish or a delete removes the product from it. The admin,
 * auth and fast services run compiled, as child processes, on one fresh database; the only path from
 * the admin to fast is the database's change feed. Steps build on each other, so they run in order.
 */
/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  browserSkip,
  launchChromium,
  recordPageEvents,
  reportFailedStep,
  type PageEvents,
} from '../support/browser.js';
import WebSocket from 'ws';
import { Product } from '@tandem/models';
import { createMigratedDatabase, eventually, type MigratedTestDatabase } from '@tandem/models/testing';
import { E2E_SECRET_KEY, STAFF_PASSWORD, seedCatalog, startAdminProcess } from '../support/admin-process.js';
import { readerToken, seedReader } from '../support/catalog.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const skip = browserSkip('admin-to-fast tests');
if (skip) process.stdout.write(`# SKIP admin-to-fast tests: ${skip}\n`);

/** seedCatalog's products are unpublished; these are published before the services start. */
const EDITED_SKU = 'SKU-001';
const UNPUBLISHED_SKU = 'SKU-002';
const DELETED_SKU = 'SKU-003';
const NEW_NAME = 'Garden item 1, renamed in the admin';

interface LiveFrame {
  type: string;
  topic?: string;
  op?: 'upsert' | 'delete';
  id?: number;
  data?: { name?: string } | null;
}

describe('admin changes reach the fast service', { skip }, () => {
  let db: MigratedTestDatabase;
  const processes: ServiceProcess[] = [];
  let admin: ServiceProcess;
  let fast: ServiceProcess;
  let token = '';
  let socket: WebSocket | undefined;
  const frames: LiveFrame[] = [];
  let context: BrowserContext | undefined;
  let page: Page;
  let events: PageEvents | undefined;
  let profile = '';
  /** Product id by SKU, read once after seeding (a deleted product cannot be looked up later). */
  const ids = new Map<string, number>();
  const idOf = (sku: string) => ids.get(sku)!;

  const fastGet = async (id: number) => {
    const response = await fetch(`${fast.url}/v1/products/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as { name?: string } };
  };
  const changeFrame = (id: number, op: 'upsert' | 'delete') =>
    frames.find((f) => f.type === 'change' && f.topic === `products/${id}` && f.id === id && f.op === op);
  const goto = async (route: string) => {
    await page.goto(`${admin.url}${route}`);
  };

  /** A step that, when it fails, leaves a screenshot, the frames seen and every service's log behind. */
  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        const logs = Object.fromEntries(processes.map((service) => [`${service.name} log`, service.logs()]));
        await reportFailedStep(page, events, `a2f-${name}`, { frames: JSON.stringify(frames), ...logs });
        throw error;
      }
    });

  before(async () => {
    db = await createMigratedDatabase();
    await seedCatalog(db);
    await seedReader(db);
    const em = db.orm.em.fork();
    const published = [EDITED_SKU, UNPUBLISHED_SKU, DELETED_SKU];
    await em.nativeUpdate(Product, { sku: { $in: published } }, { published: true });
    for (const product of await em.find(Product, { sku: { $in: published } }))
      ids.set(product.sku, product.id);

    const base = { DATABASE_URL: db.url, HOST: '127.0.0.1', TANDEM_SECRET_KEY: E2E_SECRET_KEY };
    const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, { env: { ...base, AUTH_PORT: '0' } });
    processes.push(auth);
    fast = await startServiceProcess('fast', ENTRY_POINTS.fast, {
      env: { ...base, FAST_PORT: '0', TOKEN_ISSUER: auth.url, FEED_POLL_MS: '5' },
    });
    processes.push(fast);
    admin = await startAdminProcess(db.url);
    processes.push(admin);
    token = await readerToken(auth.url);

    ({ context, profile } = await launchChromium());
    page = context.pages()[0] ?? (await context.newPage());
    events = recordPageEvents(page);
  });

  after(async () => {
    socket?.terminate();
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    for (const service of processes.reverse()) await service.stop();
    await db?.close();
  });

  step('fast serves the published products and a reader subscribes to them live', async () => {
    for (const sku of [EDITED_SKU, UNPUBLISHED_SKU, DELETED_SKU])
      await eventually(
        `fast serves ${sku} from its snapshot`,
        async () => (await fastGet(idOf(sku))).status === 200,
      );
    assert.equal((await fastGet(idOf(EDITED_SKU))).body.name, 'Garden item 1');

    socket = new WebSocket(`${fast.url.replace(/^http/, 'ws')}/v1/live`, {
      headers: { authorization: `Bearer ${token}` },
    });
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as LiveFrame));
    await new Promise((resolve, reject) => {
      socket!.once('open', resolve);
      socket!.once('error', reject);
    });
    for (const sku of [EDITED_SKU, UNPUBLISHED_SKU, DELETED_SKU]) {
      const topic = `products/${idOf(sku)}`;
      socket.send(JSON.stringify({ type: 'subscribe', topic }));
      await eventually(`subscribed to ${topic}`, async () =>
        frames.some((f) => f.type === 'subscribed' && f.topic === topic),
      );
    }
  });

  step('logs a staff superuser into the admin', async () => {
    await goto('/login');
    await page.fill('input[name="email"]', 'admin@example.com');
    await page.fill('input[name="password"]', STAFF_PASSWORD);
    await page.click('form button');
    await page.waitForURL(/\/admin$/);
  });

  step('a name edited in the admin form is served by fast over HTTP and WebSocket', async () => {
    const id = idOf(EDITED_SKU);
    await goto(`/resources/Product/records/${id}/edit`);
    await page.fill('#name', NEW_NAME);
    await page.click('[data-testid="button-save"]');
    await page.waitForURL(/\/resources\/Product(\?|$)/);
    await eventually('fast serves the new name', async () => {
      const { status, body } = await fastGet(id);
      return status === 200 && body.name === NEW_NAME;
    });
    await eventually(
      'a change frame with the new name',
      async () => changeFrame(id, 'upsert')?.data?.name === NEW_NAME,
    );
  });

  step('a product unpublished with the bulk action disappears from fast', async () => {
    const id = idOf(UNPUBLISHED_SKU);
    await goto('/resources/Product');
    await page.click(`tr[data-id="${id}"] .adminjs_Checkbox`);
    await page.click('[data-testid="action-unpublish"]');
    await page.click('[data-testid="bulk-confirm"]');
    await page.getByText('Unpublish: 1 of 1 record(s) changed.').waitFor();
    await eventually(
      'fast answers 404 for the unpublished product',
      async () => (await fastGet(id)).status === 404,
    );
    await eventually(
      'a delete frame for the unpublished product',
      async () => changeFrame(id, 'delete') !== undefined,
    );
    assert.equal((await fastGet(idOf(EDITED_SKU))).status, 200, 'the other products are still served');
  });

  step('a product deleted in the admin disappears from fast', async () => {
    const id = idOf(DELETED_SKU);
    await goto(`/resources/Product/records/${id}/show`);
    await page.click('[data-testid="action-delete"]');
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.waitForURL(/\/resources\/Product(\?|$)/);
    assert.equal(await db.orm.em.fork().count(Product, { sku: DELETED_SKU }), 0, 'the admin deleted it');
    await eventually(
      'fast answers 404 for the deleted product',
      async () => (await fastGet(id)).status === 404,
    );
    await eventually(
      'a delete frame for the deleted product',
      async () => changeFrame(id, 'delete') !== undefined,
    );
    assert.equal((await fastGet(idOf(EDITED_SKU))).body.name, NEW_NAME, 'the edited product is still served');
  });
});
