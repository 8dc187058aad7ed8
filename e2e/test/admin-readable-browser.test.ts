/**
 * Issue 16, the remaining gaps, in Chromium as a staff member meets them: a filter chip names the
 * related record ("Category: Garden tools", not its id); a record's history prints money as the list
 * does, in the currency it was in ("€12.50 → ¥1,500"); a bulk delete lists the selected records other
 * rows still use (how many, the first few by name) before it is confirmed, deletes only the others and
 * says which were kept. The seeded catalog: 30 products (100·n cents, EUR), 15 in "Garden tools".
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Category, Product } from '@tandem/models';
import { sqlitePassOnly } from '@tandem/models/testing';
import { browserSkip } from '../support/browser.js';
import { adminBrowser, browserStep } from '../support/browser-steps.js';

const skip =
  browserSkip('admin readable-names browser tests') ||
  sqlitePassOnly(
    'it checks what the pages show; the lookups behind them (filter titles, history currencies, bulk delete references) run on both databases in services/admin/test',
  );
if (skip) process.stdout.write(`# SKIP admin readable-names browser tests: ${skip}\n`);

describe('admin names and money in a browser', { skip }, () => {
  const browser = adminBrowser();
  const step = (name: string, fn: () => Promise<void>) => browserStep(browser, name, fn);
  const em = () => browser.current().admin.db.orm.em.fork();

  step('logs in', async () => {
    await browser.current().login();
  });

  step('a filter chip names the category it filters by', async () => {
    const { page, goto, screenshot } = browser.current();
    const garden = await em().findOneOrFail(Category, { slug: 'garden-tools' });
    await goto(`/resources/Product?filters.category=${garden.id}`);
    const chip = page.getByTestId('filter-chip-category');
    await chip.getByText('Category: Garden tools').waitFor();
    await chip.getByRole('button', { name: 'Remove filter Category: Garden tools' }).waitFor();
    assert.equal(await chip.getByText(`Category: ${garden.id}`, { exact: true }).count(), 0);
    await screenshot('filter-chip-named');
  });

  step('history prints price changes in the product’s currency, before and after', async () => {
    const { page, goto, screenshot } = browser.current();
    const product = await em().findOneOrFail(Product, { sku: 'SKU-005' });
    // Two edits through the admin's own API, from its page: a new price, then a new price in yen.
    for (const form of [{ priceCents: '1250' }, { priceCents: '1500', currency: 'JPY' }]) {
      const status = await page.evaluate(
        async ({ id, fields }) => {
          const body = new FormData();
          for (const [name, value] of Object.entries(fields)) body.set(name, value);
          return (await fetch(`/admin/api/resources/Product/records/${id}/edit`, { method: 'POST', body }))
            .status;
        },
        { id: product.id, fields: form },
      );
      assert.equal(status, 200);
    }
    await goto(`/resources/Product/records/${product.id}/show`);
    const entries = page.getByTestId('history-entry');
    await entries.nth(1).waitFor();
    const prices = async (n: number) =>
      (await entries.nth(n).getByTestId('diff-priceCents').locator('td').allInnerTexts())
        .slice(1)
        .map((cell) => cell.trim());
    assert.deepEqual(await prices(0), ['€12.50', '¥1,500'], 'newest first; the currency changed with it');
    assert.deepEqual(await prices(1), ['€5.00', '€12.50']);
    await entries.first().scrollIntoViewIfNeeded();
    await screenshot('history-money');
  });

  step(
    'bulk delete lists the category still in use, deletes the unused one, and says which stayed',
    async () => {
      const { page, goto, screenshot } = browser.current();
      const writer = em();
      writer.create(Category, { name: 'Spare shelf', slug: 'spare-shelf' });
      await writer.flush();
      const [garden, unused] = await Promise.all([
        em().findOneOrFail(Category, { slug: 'garden-tools' }),
        em().findOneOrFail(Category, { slug: 'spare-shelf' }),
      ]);
      await goto('/resources/Category');
      await page.locator(`tr[data-id="${garden.id}"] .adminjs_Checkbox`).click();
      await page.locator(`tr[data-id="${unused.id}"] .adminjs_Checkbox`).click();
      await page.click('[data-testid="action-bulkDelete"]');
      const summary = page.getByTestId('bulk-delete-summary');
      await summary.getByText('1 of the 2 selected categories cannot be deleted yet').waitFor();
      assert.equal(
        (await summary.getByTestId('bulk-delete-blocked-by').innerText()).trim(),
        '15 products use this category: Garden item 1, Garden item 3, Garden item 5 and 12 more. Show them',
      );
      await page.getByTestId('bulk-delete-question').getByText('Spare shelf').waitFor();
      await screenshot('bulk-delete-references');
      await page.getByTestId('bulk-delete-confirm').click();
      await page
        .getByText('Deleted 1 of the 2 selected categories. Not deleted, still in use: “Garden tools”.')
        .waitFor();
      assert.equal(await em().count(Category, { slug: 'spare-shelf' }), 0, 'the unused one is gone');
      assert.equal(await em().count(Category, { slug: 'garden-tools' }), 1, 'the used one stays');
      assert.equal(await em().count(Product), 30);
      assert.deepEqual(browser.current().problems, []);
    },
  );
});
