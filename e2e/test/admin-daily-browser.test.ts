/**
 * Issue 16, the admin as a daily tool, done in Chromium as a staff member would: export what the
 * list shows. The seeded catalog has 30 products, 15 in "Garden tools". Steps build on each other.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe } from 'node:test';
import { Product } from '@tandem/models';
import { browserSkip } from '../support/browser.js';
import { adminBrowser, browserStep } from '../support/browser-steps.js';

const skip = browserSkip('admin daily-use browser tests');
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
});
