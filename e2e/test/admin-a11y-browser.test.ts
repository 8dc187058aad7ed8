/**
 * Issue 16, item 4: the admin by keyboard and for screen readers, in Chromium. axe-core checks each
 * page a staff member goes through (login, dashboard, product list, show, edit, the delete dialog)
 * for serious and critical violations; the keyboard steps do what a mouse-less staff member does.
 * Steps build on each other; an axe report is saved next to the screenshots.
 */
/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import { Product } from '@tandem/models';
import { sqlitePassOnly } from '@tandem/models/testing';
import { axeViolations, describeViolations, seriousOrCritical } from '../support/axe.js';
import { browserSkip } from '../support/browser.js';
import { ARTIFACTS, adminBrowser, browserStep } from '../support/browser-steps.js';

const skip =
  browserSkip('admin accessibility browser tests') ||
  sqlitePassOnly(
    'what it checks is the pages’ markup, names, contrast and keyboard paths, which the database does not reach',
  );
if (skip) process.stdout.write(`# SKIP admin accessibility browser tests: ${skip}\n`);

describe('admin by keyboard and screen reader', { skip }, () => {
  const browser = adminBrowser();
  const step = (name: string, fn: () => Promise<void>) => browserStep(browser, name, fn);
  const report: Record<string, unknown> = {};

  /** axe-core on the page as it is: no serious or critical violation; the findings go to the report. */
  const expectAccessible = async (name: string) => {
    const { page, screenshot } = browser.current();
    const violations = await axeViolations(page);
    report[name] = violations;
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'axe-report.json'), JSON.stringify(report, null, 2));
    await screenshot(`a11y-${name}`);
    const blocking = seriousOrCritical(violations);
    assert.equal(blocking.length, 0, `${name}:\n${describeViolations(blocking)}`);
  };
  /** The element that has the keyboard focus, described for assertions. */
  const focused = () =>
    browser.current().page.evaluate(() => {
      const el = document.activeElement;
      return el
        ? {
            tag: el.tagName.toLowerCase(),
            text: (el.textContent ?? '').trim(),
            label: el.getAttribute('aria-label'),
            testid: el.getAttribute('data-testid'),
            css: el.getAttribute('data-css'),
            href: el.getAttribute('href'),
          }
        : null;
    });
  /** Keyboard focus back to the start of the page, as after loading it. */
  const startOfPage = () =>
    browser.current().page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  /** Presses Tab until `match` holds for the focused element (at most `limit` times). */
  const tabTo = async (
    what: string,
    match: (el: Awaited<ReturnType<typeof focused>>) => boolean,
    limit = 80,
  ) => {
    const { page } = browser.current();
    const trail: string[] = [];
    for (let i = 0; i < limit; i += 1) {
      await page.keyboard.press('Tab');
      const el = await focused();
      if (match(el)) return;
      trail.push(el ? `${el.tag}[${el.testid ?? el.css ?? el.label ?? el.text.slice(0, 20)}]` : 'none');
    }
    assert.fail(`${what} was not reached by Tab in ${limit} presses (focus went: ${trail.join(' → ')})`);
  };

  step('login page: labels tied to inputs, current-password, no serious violation', async () => {
    const { page, admin } = browser.current();
    // The first page load compiles the admin's scripts: allowed longer on a busy machine.
    await page.goto(`${admin.url}/login`, { timeout: 120_000 });
    const email = page.getByLabel('Email');
    const password = page.getByLabel('Password');
    assert.equal(await email.getAttribute('name'), 'email', 'the Email label names the email input');
    assert.equal(await password.getAttribute('name'), 'password');
    assert.equal(await password.getAttribute('autocomplete'), 'current-password');
    assert.equal(await email.getAttribute('autocomplete'), 'username');
    await expectAccessible('login');
  });

  step('logs in by keyboard only', async () => {
    const { page } = browser.current();
    await page.getByLabel('Email').focus();
    await page.keyboard.type('admin@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('browser test password');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/admin\/?$/);
  });

  step('dashboard: no serious violation', async () => {
    const { page } = browser.current();
    await page.locator('section[data-css="sidebar"], [data-css="sidebar"]').first().waitFor();
    await page.waitForLoadState('networkidle');
    await expectAccessible('dashboard');
  });

  step('product list: no serious violation (checkboxes, pagination, contrast)', async () => {
    const { page, goto } = browser.current();
    await goto('/resources/Product?perPage=10');
    await page.locator('[data-testid="property-list-sku"]').first().waitFor();
    const checkboxes = page.locator('table input[type="checkbox"]');
    assert.ok((await checkboxes.count()) > 10, 'a checkbox per row and one for the page');
    for (const box of await checkboxes.all())
      assert.match((await box.getAttribute('aria-label')) ?? '', /^Select /);
    await page.getByRole('button', { name: 'Next page' }).waitFor();
    await expectAccessible('list');
  });

  step('the sidebar groups, Filter and a row menu are reached by Tab and work by keyboard', async () => {
    const { page, goto } = browser.current();
    await goto('/resources/Product?perPage=10');
    await page.locator('[data-testid="property-list-sku"]').first().waitFor();
    await startOfPage();
    await tabTo('the Catalog sidebar group', (el) => el?.text === 'Catalog');
    const expanded = await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded'));
    await page.keyboard.press('Enter');
    const after = await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded'));
    assert.notEqual(after, expanded, 'Enter opens or closes the group');
    await page.keyboard.press('Enter');

    await tabTo('the Filter button', (el) => el?.css === 'Product-filter-button');
    await page.keyboard.press('Enter');
    await page.locator('[data-css="Product-filter-drawer"]').waitFor();
    await page.keyboard.press('Escape');
    await page.goto(page.url());
    await page.locator('[data-testid="property-list-sku"]').first().waitFor();

    await tabTo('a row menu', (el) => el?.testid === 'actions-dropdown');
    await page.keyboard.press('Enter');
    // As a person would, Tab once the menu shows: on a busy machine React renders it (and the
    // repair makes its items focusable) after the key press, and Tabs sent before that move on
    // through the next rows.
    await page.locator('[data-testid="action-edit"]').first().waitFor();
    await tabTo('the row menu’s Edit', (el) => el?.testid === 'action-edit', 5);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/records\/\d+\/edit/);
  });

  step('opens a product from the list by keyboard', async () => {
    const { page, goto, admin } = browser.current();
    await goto('/resources/Product?perPage=10');
    await page.locator('[data-testid="property-list-sku"]').first().waitFor();
    await startOfPage();
    const first = await admin.db.orm.em.fork().findOneOrFail(Product, { sku: 'SKU-001' });
    await tabTo('the first product’s name', (el) => el?.text === 'Garden item 1' && Boolean(el.href));
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/records/${first.id}/show`));
  });

  step('show and edit pages: no serious violation', async () => {
    const { page } = browser.current();
    await page.locator('[data-testid="action-edit"]').waitFor();
    await page.waitForLoadState('networkidle');
    await expectAccessible('show');
    await page.click('[data-testid="action-edit"]');
    await page.locator('#name').waitFor();
    await expectAccessible('edit');
  });

  step('delete dialog: named buttons, no serious violation, Cancel keeps the product', async () => {
    const { page, admin } = browser.current();
    await page.goBack();
    await page.click('[data-testid="action-delete"]');
    const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    await confirm.waitFor();
    await cancel.waitFor();
    await expectAccessible('delete-dialog');
    await cancel.focus();
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    assert.ok(await admin.db.orm.em.fork().findOne(Product, { sku: 'SKU-001' }), 'not deleted');
  });
});
