/**
 * Issue 16, the admin as a daily tool, done in Chromium as a staff member would: export what the
 * list shows; the list remembers where you were; bulk actions on all matching rows. The seeded catalog has 30 products, 15 in "Garden tools". Steps build on each other.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditEntry, Product } from '@tandem/models';
import { sqlitePassOnly } from '@tandem/models/testing';
import { browserSkip } from '../support/browser.js';
import { adminBrowser, browserStep } from '../support/browser-steps.js';

const skip =
  browserSkip('admin daily-use browser tests') ||
  sqlitePassOnly(
    'it checks what the pages show and do; the export, list-memory and bulk-job queries behind them run on both databases in services/admin/test',
  );
if (skip) process.stdout.write(`# SKIP admin daily-use browser tests: ${skip}\n`);

describe('admin daily use in a browser', { skip }, () => {
  const browser = adminBrowser();
  const step = (name: string, fn: () => Promise<void>) => browserStep(browser, name, fn);
  const skus = () => browser.current().page.locator('[data-testid="property-list-sku"]');

  step('logs in', async () => {
    await browser.current().login();
  });

  step('exports exactly the searched list, with category names, as CSV and JSON Lines', async () => {
    const { page, goto, admin, screenshot } = browser.current();
    await goto('/resources/Product?filters.q=garden&sortBy=stock&direction=desc');
    await skus().first().waitFor();
    assert.equal(await skus().first().textContent(), 'SKU-029', 'the list is sorted by stock, descending');
    await page.click('[data-testid="action-export"]');
    const count = page.getByTestId('export-count');
    await count.getByText('15 rows matching the list’s filters and search').waitFor();
    await screenshot('export-drawer');

    const csvDownload = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const csv = readFileSync(await (await csvDownload).path(), 'utf8').replace(/^\uFEFF/, '');
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    assert.ok(header?.startsWith('"id","sku","name"'), header);
    assert.equal(lines.length, 15, 'as many rows as the list matched, not one page');
    assert.ok(lines[0]?.includes('"SKU-029"'), 'in the list’s order');
    assert.ok(
      lines.every((line) => line.includes('"Garden tools"')),
      'the category by name',
    );

    const jsonDownload = page.waitForEvent('download');
    await page.getByTestId('export-jsonl').click();
    const rows = readFileSync(await (await jsonDownload).path(), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { sku: string; category: string });
    // Garden products are the odd-numbered ones, and stock is the number: 29, 27, … 1.
    const expected = Array.from({ length: 15 }, (_, i) => `SKU-${String(29 - 2 * i).padStart(3, '0')}`);
    assert.deepEqual(
      rows.map((row) => row.sku),
      expected,
    );
    assert.ok(rows.every((row) => row.category === 'Garden tools'));
    assert.ok((await admin.db.orm.em.fork().count(Product)) > 15, 'more products exist than were exported');
  });

  /** Waits until the list shows exactly these SKUs, in this order. */
  const expectSkus = async (expected: string[]) => {
    await browser
      .current()
      .page.waitForFunction(
        (want) =>
          JSON.stringify(
            Array.from(
              document.querySelectorAll('[data-testid="property-list-sku"]'),
              (el) => el.textContent,
            ),
          ) === JSON.stringify(want),
        expected,
        { timeout: 10_000 },
      );
  };
  const listQuery = () => Object.fromEntries(new URL(browser.current().page.url()).searchParams);
  const remembered = { 'filters.q': 'item', sortBy: 'stock', direction: 'desc', page: '2' };

  step('comes back to the same filtered, sorted page after saving a record', async () => {
    const { page, goto, admin } = browser.current();
    await goto(`/resources/Product?${new URLSearchParams(remembered)}`);
    await expectSkus(['SKU-005', 'SKU-004', 'SKU-003', 'SKU-002', 'SKU-001']);
    const product = await admin.db.orm.em.fork().findOneOrFail(Product, { sku: 'SKU-004' });
    await page.click(`tr[data-id="${product.id}"] [data-testid="property-list-sku"]`);
    await page.waitForURL(new RegExp(`/records/${product.id}/show`));
    await page.click('[data-testid="action-edit"]');
    await page.fill('#name', 'Kitchen item 4 (renamed)');
    await page.click('[data-testid="button-save"]');
    await page.waitForURL(/\/resources\/Product\?.*page=2/);
    assert.deepEqual({ ...listQuery(), refresh: undefined }, { ...remembered, refresh: undefined });
    await expectSkus(['SKU-005', 'SKU-004', 'SKU-003', 'SKU-002', 'SKU-001']);
    await page.getByText('Kitchen item 4 (renamed)').waitFor();
  });

  step('comes back to the same filtered, sorted page after deleting a record', async () => {
    const { page, admin, screenshot } = browser.current();
    const product = await admin.db.orm.em.fork().findOneOrFail(Product, { sku: 'SKU-003' });
    await page.click(`tr[data-id="${product.id}"] [data-testid="property-list-sku"]`);
    await page.waitForURL(new RegExp(`/records/${product.id}/show`));
    await page.click('[data-testid="action-delete"]');
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.waitForURL(/\/resources\/Product\?.*page=2/);
    await expectSkus(['SKU-005', 'SKU-004', 'SKU-002', 'SKU-001']);
    assert.equal(listQuery()['filters.q'], 'item');
    await screenshot('list-after-delete');
  });

  step(
    'publishes all products matching a search (14 garden products), across pages, with progress',
    async () => {
      const { page, goto, admin, screenshot } = browser.current();
      await goto('/resources/Product?filters.q=garden');
      await skus().first().waitFor();
      await page.click('[data-testid="action-allMatching"]');
      await page.getByTestId('all-matching-count').getByText('14 rows match').waitFor();
      await page.getByTestId('all-matching-publish').click();
      await page.getByTestId('all-matching-progress').getByText('Done: 14 of 14.').waitFor();
      await screenshot('all-matching-done');
      const em = admin.db.orm.em.fork();
      const garden = await em.find(Product, { category: { slug: 'garden-tools' } });
      assert.equal(garden.length, 14, 'SKU-003 was deleted by the step before');
      assert.ok(garden.every((product) => product.published));
      assert.equal(await em.count(Product, { published: true }), 14, 'nothing else was published');
      assert.equal(await em.count(AuditEntry, { action: 'publish' }), 14, 'one audit entry per record');
      await page.getByTestId('all-matching-back').click();
      await page.waitForURL(/filters\.q=garden/);
      await skus().first().waitFor();
    },
  );

  step('comes back to the same filtered, sorted page after a bulk action on selected rows', async () => {
    const { page, goto, admin } = browser.current();
    await goto(`/resources/Product?${new URLSearchParams(remembered)}`);
    await expectSkus(['SKU-005', 'SKU-004', 'SKU-002', 'SKU-001']);
    // Published by the step before (garden products); unpublished here, two of them, from page 2.
    const em = () => admin.db.orm.em.fork();
    const chosen = await em().find(Product, { sku: { $in: ['SKU-005', 'SKU-001'] } });
    for (const product of chosen) await page.click(`tr[data-id="${product.id}"] .adminjs_Checkbox`);
    await page.click('[data-testid="action-unpublish"]');
    await page.click('[data-testid="bulk-confirm"]');
    await page.getByText('Unpublish: 2 of 2 record(s) changed.').waitFor();
    await page.waitForURL((url) => !url.searchParams.has('refresh') && url.searchParams.get('page') === '2');
    assert.deepEqual({ ...listQuery() }, remembered, 'the same filter, search, sort and page');
    await expectSkus(['SKU-005', 'SKU-004', 'SKU-002', 'SKU-001']);
    const after = await em().find(Product, { sku: { $in: ['SKU-005', 'SKU-001'] } });
    assert.ok(after.every((product) => !product.published));
    assert.equal(
      await em().count(AuditEntry, { action: 'unpublish' }),
      2,
      'one audit entry per changed record',
    );
  });

  /** Fills the new-product form with a Kitchen product. */
  const fillProduct = async (sku: string, name: string) => {
    const { page } = browser.current();
    await page.fill('#sku', sku);
    await page.fill('#name', name);
    await page.locator('[data-testid="property-edit-category"] input').fill('kitch');
    await page
      .locator('[data-testid="property-edit-category"]')
      .getByText('Kitchen', { exact: true })
      .click();
    await page.fill('#priceCents', '990');
    await page.fill('#currency', 'EUR');
  };

  step('saves and adds another, then saves and continues editing', async () => {
    const { page, goto, admin, screenshot } = browser.current();
    const em = () => admin.db.orm.em.fork();
    await goto('/resources/Product/actions/new');
    await fillProduct('E2E-ANOTHER-1', 'Teapot');
    await screenshot('save-buttons');
    await page.click('[data-testid="button-save-another"]');
    await page.waitForFunction(
      () => (document.querySelector('#sku') as HTMLInputElement | null)?.value === '',
    );
    assert.ok(page.url().includes('/resources/Product/actions/new'), 'an empty new form');
    assert.ok(await em().findOne(Product, { sku: 'E2E-ANOTHER-1' }), 'the first one was saved');
    await fillProduct('E2E-CONTINUE-1', 'Kettle');
    await page.click('[data-testid="button-save-continue"]');
    const kettle = async () => em().findOne(Product, { sku: 'E2E-CONTINUE-1' });
    await page.waitForURL(/\/records\/\d+\/edit/);
    const saved = await kettle();
    assert.ok(saved);
    assert.ok(page.url().includes(`/records/${saved.id}/edit`), 'the saved record’s edit form');
    assert.equal(await page.inputValue('#name'), 'Kettle');
    await page.fill('#name', 'Kettle (steel)');
    await page.click('[data-testid="button-save-continue"]');
    // The save is an API call: wait (bounded) until the database has it.
    for (let i = 0; i < 100 && (await kettle())?.name !== 'Kettle (steel)'; i += 1) await sleep(100);
    assert.equal((await kettle())?.name, 'Kettle (steel)');
    assert.ok(page.url().includes(`/records/${saved.id}/edit`), 'still editing it');
  });

  step(
    'saves a product that sold meanwhile (the sale stays); a field changed both ways is refused beside it',
    async () => {
      const { page, goto, admin, screenshot } = browser.current();
      const em = () => admin.db.orm.em.fork();
      const { id, stock } = await em().findOneOrFail(Product, { sku: 'SKU-010' });
      /** Another writer's change, committed while the page is open (a sale, another staff member). */
      const meanwhile = async (change: (product: Product) => void) => {
        const fork = em();
        change(await fork.findOneOrFail(Product, id));
        await fork.flush();
      };
      const onTheList = (url: URL) => url.pathname.endsWith('/resources/Product');

      await goto(`/resources/Product/records/${id}/edit`);
      await page.locator('#description').waitFor();
      await meanwhile((product) => (product.stock -= 2));
      await page.fill('#description', 'Sold while this was typed.');
      await page.click('[data-testid="button-save"]');
      await page.waitForURL(onTheList);
      const saved = await em().findOneOrFail(Product, id);
      assert.deepEqual([saved.description, saved.stock], ['Sold while this was typed.', stock - 2]);

      await goto(`/resources/Product/records/${id}/edit`);
      await page.locator('#name').waitFor();
      const script = 'Spade: <img src="x" onerror="window.__xss = 1">';
      await meanwhile((product) => {
        product.stock -= 1;
        product.name = script;
      });
      await page.fill('#stock', String(stock + 10));
      await page.fill('#name', 'Mine');
      await page.click('[data-testid="button-save"]');
      await page
        .getByTestId('property-edit-stock')
        .getByText(`Changed to “${stock - 3}” meanwhile (this page showed “${stock - 2}”).`)
        .waitFor();
      await page.getByTestId('property-edit-name').getByText(`Changed to “${script}”`).waitFor();
      await page
        .getByText(
          "Someone else changed this product's name and stock after this page was opened: nothing was saved.",
        )
        .waitFor();
      await screenshot('edit-changed-meanwhile');
      assert.equal(
        await page.evaluate(() => (window as { __xss?: number }).__xss),
        undefined,
        'shown as text',
      );
      assert.ok(!onTheList(new URL(page.url())), 'the form stays open with its errors');
      const kept = await em().findOneOrFail(Product, id);
      assert.deepEqual([kept.stock, kept.name], [stock - 3, script], 'nothing saved');
    },
  );
});
