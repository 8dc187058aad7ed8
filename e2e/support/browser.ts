/**
 * Debian's Chromium driven by playwright-core, with the flags this offline machine needs (no background
 * networking: its connections would be refused, many at a time). One place for every browser test.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** False when Chromium is installed, else the message a skipped browser test shows. */
export function browserSkip(what: string): false | string {
  return existsSync(CHROMIUM)
    ? false
    : `Chromium not found at ${CHROMIUM} (apt-get install chromium); ${what} skipped`;
}

/** A headless Chromium with a fresh profile (Playwright refuses --user-data-dir in args). */
export async function launchChromium(): Promise<{ context: BrowserContext; profile: string }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'tandem-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(15_000);
  return { context, profile };
}

/**
 * What a page did, kept so that a failed step can say why the page looks the way it does: a blank
 * screenshot alone cannot tell a request that never reached the server from a script that failed.
 */
export interface PageEvents {
  readonly lines: string[];
}

const KEPT_EVENTS = 60;

export function recordPageEvents(page: Page): PageEvents {
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (lines.length > KEPT_EVENTS) lines.shift();
  };
  page.on('console', (message) => keep(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => keep(`page error: ${String(error)}`));
  page.on('requestfailed', (request) =>
    keep(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText ?? '?'})`),
  );
  page.on('response', (response) => {
    const request = response.request();
    if (response.status() >= 400 || request.resourceType() === 'document')
      keep(`${response.status()} ${request.method()} ${response.url()} (${request.resourceType()})`);
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) keep(`navigated to ${frame.url()}`);
  });
  return { lines };
}

/**
 * What a failed browser step leaves behind: a full-page screenshot in the temporary folder, the page's
 * address, the start of its body, the page events, and whatever else the suite knows (service logs).
 */
export async function reportFailedStep(
  page: Page | undefined,
  events: PageEvents | undefined,
  step: string,
  more: Record<string, string> = {},
): Promise<void> {
  const file = path.join(tmpdir(), `tandem-e2e-${step.replace(/\W+/g, '-').slice(0, 60)}.png`);
  await page?.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  const body = page
    ? await page
        .evaluate(() => document.body?.outerHTML.slice(0, 600) ?? '(no body)')
        .catch((error: unknown) => `(unreadable: ${String(error)})`)
    : '(no page)';
  const sections: Record<string, string> = {
    screenshot: file,
    'page address': page?.url() ?? '(no page)',
    'page body (start)': body,
    'page events': events?.lines.join('\n') || '(none)',
    ...more,
  };
  for (const [title, text] of Object.entries(sections))
    process.stdout.write(`# ${title}:\n${text.replace(/^/gm, '#   ')}\n`);
}
