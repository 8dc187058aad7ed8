/**
 * Issue 16, item 3, "dates in one format": the date pickers read and write UTC, as every date the admin
 * prints does ("2026-03-10 10:00 UTC"), in Chromium running in zones far from UTC. No edit form a staff
 * member uses today has a date field (every date column is written by the system: created/updated
 * times, sessions, keys, audit entries), so the pickers are met in the filter drawer: a product list
 * filtered by "Created at" from 2026-03-10 10:00 to 12:00 UTC, typed and picked from the calendar,
 * must list exactly the products created inside that UTC range, including its edges, and none of those
 * a picker reading the browser's zone would have let in. The pickers are the browser's: this runs in
 * the SQLite pass; services/admin/test/date-range-filter.test.ts checks such a range on both databases.
 */
/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { Product } from '@tandem/models';
import { sqlitePassOnly } from '@tandem/models/testing';
import type { Locator } from 'playwright-core';
import { browserSkip } from '../support/browser.js';
import { adminBrowser, browserStep } from '../support/browser-steps.js';

const skip =
  browserSkip('admin date-picker browser tests') ||
  sqlitePassOnly(
    'the pickers turn what is typed in the browser into UTC instants; the range query on each database is services/admin/test/date-range-filter.test.ts',
  );
if (skip) process.stdout.write(`# SKIP admin date-picker browser tests: ${skip}\n`);

/** The range the staff member picks, and when each seeded product was created. */
const FROM = '2026-03-10T10:00:00.000Z';
const TO = '2026-03-10T12:00:59.999Z';
const CREATED: Readonly<Record<string, string>> = {
  'SKU-001': '2026-03-10T09:59:30.000Z', // half a minute before "from"
  'SKU-002': '2026-03-10T10:00:00.000Z', // "from" itself
  'SKU-003': '2026-03-10T11:00:00.000Z',
  'SKU-004': '2026-03-10T12:00:30.000Z', // inside the minute "to 12:00" names
  'SKU-005': '2026-03-10T12:01:00.000Z', // a minute after it
  // 10:00-12:00 read as Auckland time (UTC+13 in March) is 21:00-23:00 UTC the day before.
  'SKU-006': '2026-03-09T22:00:00.000Z',
  // 10:00-12:00 read as Los Angeles time (UTC-7 after 8 March) is 17:00-19:00 UTC.
  'SKU-007': '2026-03-10T18:00:00.000Z',
};
const INSIDE = ['SKU-002', 'SKU-003', 'SKU-004'];

/** Each zone, its offset on that day (minutes, as getTimezoneOffset says), and how "to" is entered. */
const ZONES = [
  { timezoneId: 'Pacific/Auckland', offset: -780, toByCalendar: false },
  { timezoneId: 'America/Los_Angeles', offset: 420, toByCalendar: true },
] as const;

/** Waits (up to the default timeout) for the input to show this text, then asserts it, for the diff. */
async function expectValue(input: Locator, text: string): Promise<void> {
  await input
    .page()
    .waitForFunction(([element, wanted]) => (element as HTMLInputElement).value === wanted, [
      await input.elementHandle(),
      text,
    ] as const)
    .catch(() => undefined);
  assert.equal(await input.inputValue(), text);
}

describe('admin date pickers in UTC, in a browser', { skip }, () => {
  const browser = adminBrowser();
  const step = (name: string, fn: () => Promise<void>) => browserStep(browser, name, fn);
  const em = () => browser.current().admin.db.orm.em.fork();

  step('logs in; products created on both sides of the range’s edges', async () => {
    await browser.current().login();
    const writer = em();
    for (const [sku, createdAt] of Object.entries(CREATED))
      await writer.nativeUpdate(Product, { sku }, { createdAt: new Date(createdAt) });
    // The database's own comparison agrees with the list the browser must show.
    const inRange = await em().find(
      Product,
      { createdAt: { $gte: new Date(FROM), $lte: new Date(TO) } },
      { orderBy: { sku: 'asc' } },
    );
    assert.deepEqual(
      inRange.map((product) => product.sku),
      INSIDE,
    );
  });

  for (const { timezoneId, offset, toByCalendar } of ZONES) {
    step(
      `${timezoneId}: the Created at range is typed and picked in UTC and lists the UTC range`,
      async () => {
        const { page, goto, context, screenshot } = browser.current();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Emulation.setTimezoneOverride', { timezoneId });
        try {
          assert.equal(
            await page.evaluate(() => new Date('2026-03-10T10:00:00Z').getTimezoneOffset()),
            offset,
          );
          await goto('/resources/Product');
          await page.locator('[data-testid="property-list-sku"]').nth(24).waitFor();
          await page.click('[data-css="Product-filter-button"]');
          const from = page.locator('#filter-createdAt-from');
          const to = page.locator('#filter-createdAt-to');
          // The drawer says which zone its times are in.
          assert.equal(
            (await page.locator('label[for="filter-createdAt-from"]').innerText()).trim(),
            'From (UTC)',
          );
          assert.equal(
            (await page.locator('label[for="filter-createdAt-to"]').innerText()).trim(),
            'To (UTC)',
          );

          await from.click();
          await from.pressSequentially('2026-03-10 10:00');
          await from.press('Tab');
          await expectValue(from, '2026-03-10 10:00');
          if (toByCalendar) {
            // Another day and time typed, then the day clicked in the calendar and the time set in its
            // time field: both go through the picker's local Date.
            await to.click();
            await to.pressSequentially('2026-03-11 09:00');
            const calendar = page.locator('.react-datepicker');
            await calendar.locator('.react-datepicker__current-month').getByText('March 2026').waitFor();
            await calendar
              .locator('.react-datepicker__day--010:not(.react-datepicker__day--outside-month)')
              .click();
            await expectValue(to, '2026-03-10 09:00');
            await to.click(); // a day picked closes the calendar; open it again for its time field
            await calendar.locator('input.react-datepicker-time__input').fill('12:00');
            await screenshot(`dates-filter-calendar-${timezoneId.replace('/', '-')}`);
            await to.press('Escape');
          } else {
            await to.click();
            await to.pressSequentially('2026-03-10 12:00');
            await to.press('Tab');
          }
          await expectValue(to, '2026-03-10 12:00');
          await screenshot(`dates-filter-drawer-${timezoneId.replace('/', '-')}`);
          await page.click('[data-css="Product-filter-drawer-button-apply"]');

          await page.waitForFunction(
            (n) => document.querySelectorAll('[data-testid="property-list-sku"]').length === n,
            INSIDE.length,
          );
          const listed = await page.locator('[data-testid="property-list-sku"]').allInnerTexts();
          assert.deepEqual(listed.map((sku) => sku.trim()).sort(), INSIDE);
          const query = new URL(page.url()).searchParams;
          assert.equal(query.get('filters.createdAt~~from'), FROM);
          assert.equal(query.get('filters.createdAt~~to'), TO);
          // The chips print the range as every date is printed.
          const chips = await page.getByTestId('filter-chips').innerText();
          assert.match(chips, /Created from: 2026-03-10 10:00 UTC/);
          assert.match(chips, /Created to: 2026-03-10 12:00 UTC/);
          await screenshot(`dates-filter-list-${timezoneId.replace('/', '-')}`);

          // The drawer (still open, or opened again) shows the range as it was picked.
          if (!(await from.isVisible())) await page.click('[data-css="Product-filter-button"]');
          await expectValue(from, '2026-03-10 10:00');
          await expectValue(to, '2026-03-10 12:00');
          assert.deepEqual(browser.current().problems, []);
        } finally {
          await cdp.send('Emulation.setTimezoneOverride', { timezoneId: '' });
          await cdp.detach();
        }
      },
    );
  }
});
