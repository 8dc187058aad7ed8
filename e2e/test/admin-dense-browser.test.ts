/**
 * Issue 16, item 3: dense data that reads well, in Chromium at 1400×900. The seeded catalog has 30
 * products (SKU-001…SKU-030, priceCents 100·n in EUR, 15 in "Garden tools"); a later step adds 1,200
 * more to see thousands separators. Steps build on each other; screenshots are kept as artifacts.
 */
/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { AuditEntry, Category, Product } from '@tandem/models';
import { sqlitePassOnly } from '@tandem/models/testing';
import { browserSkip } from '../support/browser.js';
import { adminBrowser, browserStep } from '../support/browser-steps.js';

const skip =
  browserSkip('admin dense-data browser tests') ||
  sqlitePassOnly(
    'it checks layout and formatting; the list’s search, filter, sort and count queries run on both databases in services/admin/test and in admin-browser and admin-daily-browser',
  );
if (skip) process.stdout.write(`# SKIP admin dense-data browser tests: ${skip}\n`);

/** "2026-12-01 23:44 UTC": the admin's one date format (services/admin/components/dates.jsx). */
const utcMinute = (instant: Date) => `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

describe('admin dense data in a browser', { skip }, () => {
  const browser = adminBrowser();
  const step = (name: string, fn: () => Promise<void>) => browserStep(browser, name, fn);
  const skus = () => browser.current().page.locator('[data-testid="property-list-sku"]');
  const listQuery = () => Object.fromEntries(new URL(browser.current().page.url()).searchParams);
  /** Waits until the list shows this many rows. */
  const expectRows = async (count: number) => {
    await browser
      .current()
      .page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="property-list-sku"]').length === n,
        count,
        { timeout: 30_000 },
      );
  };

  step('logs in', async () => {
    const { page, admin, login } = browser.current();
    // The first page load compiles the admin's scripts: allowed longer on a busy machine.
    await page.goto(`${admin.url}/login`, { timeout: 120_000 });
    await login();
  });

  step('shows at least 20 whole rows at 1400×900, no cell broken across lines', async () => {
    const { page, goto, screenshot } = browser.current();
    await goto('/resources/Product');
    await expectRows(25);
    const visible = await page.evaluate(
      () =>
        Array.from(document.querySelectorAll('tbody tr[data-id]')).filter(
          (row) => row.getBoundingClientRect().bottom <= window.innerHeight,
        ).length,
    );
    assert.ok(visible >= 20, `${visible} rows visible without scrolling`);
    // Every cell's text sits on one line: an id, a SKU, a date or a word is never split.
    const broken = await page.evaluate(() =>
      Array.from(document.querySelectorAll('tbody td[data-property-name]'))
        .filter((cell) => {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          for (let text = walker.nextNode(); text; text = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(text);
            const lines = new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top)));
            if (lines.size > 1) return true;
          }
          return false;
        })
        .map((cell) => cell.textContent),
    );
    assert.deepEqual(broken, [], 'cells whose text wraps');
    await screenshot('dense-list');
  });

  step('shows money with its currency on the list and the show page', async () => {
    const { page } = browser.current();
    const row = page.locator('tr', { has: page.getByText('SKU-019', { exact: true }) });
    assert.equal((await row.getByTestId('property-list-priceCents').textContent())?.trim(), '€19.00');
    await page.locator('thead').getByText('Price', { exact: true }).waitFor();
    await row.getByTestId('record-link').click();
    await page.waitForURL(/\/records\/\d+\/show/);
    // What the page reads: the field's label, then the amount.
    await page.waitForFunction(() => /\bPrice\s+€19\.00\b/.test(document.body.innerText), null, {
      timeout: 15_000,
    });
  });

  step('shows dates in one format, in UTC and saying so, on the list and the show page', async () => {
    const { page } = browser.current();
    // The show page's section holds the label ("Updated") and the date.
    const section = (await page.getByTestId('property-show-updatedAt').textContent()) ?? '';
    const shown = section.replace(/^\s*Updated\s*/, '').trim();
    await page.goBack();
    await skus().first().waitFor();
    const row = page.locator('tr', { has: page.getByText('SKU-019', { exact: true }) });
    const listed = (await row.getByTestId('property-list-updatedAt').textContent())?.trim() ?? '';
    const product = await browser.current().admin.db.orm.em.fork().findOneOrFail(Product, { sku: 'SKU-019' });
    assert.equal(listed, utcMinute(product.updatedAt), 'the stored instant, in UTC');
    assert.equal(shown, listed, 'the same date, written the same way');
  });

  step('searches from the box above the list and shows the search as a removable chip', async () => {
    const { page, goto, screenshot } = browser.current();
    await goto('/resources/Product');
    await expectRows(25);
    await page.getByLabel('Search', { exact: true }).fill('garden');
    await page.keyboard.press('Enter');
    await page.waitForURL(/filters\.q=garden/);
    await expectRows(15);
    await page.getByTestId('list-total').getByText('15 products').waitFor();
    const chip = page.getByTestId('filter-chip-q');
    assert.equal((await chip.textContent())?.trim(), 'Search: garden');
    await screenshot('dense-search-chip');
    // By keyboard: the chip's remove button is a real button.
    await chip.getByRole('button', { name: 'Remove filter Search: garden' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => !url.searchParams.has('filters.q'));
    await expectRows(25);
    assert.equal(await page.getByTestId('filter-chips').count(), 0, 'no chips without filters');
  });

  step('shows each active filter as a chip that removes only itself', async () => {
    const { page, goto } = browser.current();
    await goto('/resources/Product?filters.q=item&filters.stock=7&sortBy=sku');
    await expectRows(1);
    await page.getByTestId('filter-chip-stock').getByRole('button').click();
    await page.waitForURL((url) => !url.searchParams.has('filters.stock'));
    assert.equal(listQuery()['filters.q'], 'item', 'the search stays');
    assert.equal(listQuery().sortBy, 'sku', 'the sort stays');
    await expectRows(25);
  });

  step('says what found nothing instead of offering to create a first record', async () => {
    const { page, screenshot } = browser.current();
    await page.getByLabel('Search', { exact: true }).fill('xyz');
    await page.keyboard.press('Enter');
    await page.getByText("No products match 'xyz'").waitFor();
    assert.equal(await page.getByText('Create first record').count(), 0);
    await screenshot('dense-no-match');
    await page.getByRole('button', { name: 'Clear search and filters' }).click();
    await expectRows(25);
  });

  step('chooses 50 rows per page, and the list keeps it after a save', async () => {
    const { page } = browser.current();
    await page.getByLabel('Rows per page').selectOption('50');
    await page.waitForURL(/perPage=50/);
    await expectRows(30);
    assert.equal(await page.getByTestId('list-range').textContent(), '1–30 of 30');
    await page
      .locator('tr', { has: page.getByText('SKU-002', { exact: true }) })
      .getByTestId('record-link')
      .click();
    await page.click('[data-testid="action-edit"]');
    await page.fill('#name', 'Kitchen item 2 (renamed)');
    await page.click('[data-testid="button-save"]');
    await page.waitForURL(/\/resources\/Product\?.*perPage=50/);
    await expectRows(30);
  });

  step(
    'one change’s time reads the same in the history, the audit log, its page and the dashboard, whatever the browser’s zone',
    async () => {
      const { page, goto, context, admin, screenshot } = browser.current();
      // A zone 5½ hours from UTC: a time printed in the browser's zone would differ in hour and minute.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Asia/Kolkata' });
      assert.equal(await page.evaluate(() => new Date(0).getTimezoneOffset()), -330);
      const em = admin.db.orm.em.fork();
      const product = await em.findOneOrFail(Product, { sku: 'SKU-002' });
      // The previous step renamed it: its update entry, the newest of this staff member's actions.
      const [entry] = await em.find(
        AuditEntry,
        { model: 'Product', recordId: String(product.id), action: 'update' },
        { orderBy: { id: 'desc' }, limit: 1 },
      );
      assert.ok(entry);
      const expected = utcMinute(entry.createdAt);

      await goto(`/resources/Product/records/${product.id}/show`);
      const heading = page.getByTestId('history-entry-heading').first();
      await heading.waitFor();
      assert.ok(((await heading.textContent()) ?? '').endsWith(` at ${expected}`), 'the record’s history');
      const updated = (await page.getByTestId('property-show-updatedAt').textContent()) ?? '';
      assert.equal(updated.replace(/^\s*Updated\s*/, '').trim(), utcMinute(product.updatedAt));

      await goto('/resources/AuditEntry');
      const cell = page.locator(`tr[data-id="${entry.id}"] [data-testid="property-list-createdAt"]`);
      await cell.waitFor();
      assert.equal((await cell.textContent())?.trim(), expected, 'the audit log');
      await screenshot('dense-dates-audit-list');

      await goto(`/resources/AuditEntry/records/${entry.id}/show`);
      const created = page.getByTestId('property-show-createdAt');
      await created.waitFor();
      assert.ok(((await created.textContent()) ?? '').trim().endsWith(expected), 'the audit entry’s page');

      await goto('');
      const recent = page.getByTestId('recent-action').first();
      await recent.waitFor();
      assert.ok(((await recent.textContent()) ?? '').startsWith(`${expected} — update`), 'the dashboard');
      await cdp.send('Emulation.setTimezoneOverride', { timezoneId: '' });
    },
  );

  step('writes counts with thousands separators', async () => {
    const { page, goto, admin, screenshot } = browser.current();
    const em = admin.db.orm.em.fork();
    const kitchen = await em.findOneOrFail(Category, { slug: 'kitchen' });
    for (let i = 1; i <= 1200; i += 1)
      em.create(Product, {
        sku: `BULK-${String(i).padStart(4, '0')}`,
        name: `Bulk item ${i}`,
        priceCents: 123456,
        currency: 'EUR',
        category: kitchen,
      });
    await em.flush();
    await goto('/resources/Product?perPage=25&page=2');
    await expectRows(25);
    await page.getByTestId('list-total').getByText('1,230 products').waitFor();
    assert.equal(await page.getByTestId('list-range').textContent(), '26–50 of 1,230');
    await page.getByRole('button', { name: 'Page 50' }).waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL(/page=3/);
    assert.equal(listQuery().perPage, '25', 'the page size stays when paging');
    await page.getByText('€1,234.56').first().waitFor();
    await screenshot('dense-thousands');
  });
});
